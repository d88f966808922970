package metadata

import (
	"encoding/json"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
)

// Function and computed field operations (hasura/graphql-engine:
// server/src-lib/Hasura/Function/API.hs, RQL/DDL/ComputedField.hs).

type trackFunctionArgs struct {
	Source        string          `json:"source"`
	Function      *FunctionName   `json:"function"`
	Configuration *FunctionConfig `json:"configuration"`
	Comment       *string         `json:"comment"`
}

// decodeFunctionArgs decodes TrackFunctionV2 ({function, configuration,
// source, comment}) or the v1 form, a bare function name.
func decodeFunctionArgs(raw json.RawMessage, path string) (trackFunctionArgs, error) {
	var a trackFunctionArgs
	if JSONKind(raw) == "Object" && hasKey(raw, "function") {
		err := decodeArgs(raw, path, &a, "function")
		return a, err
	}
	if k := JSONKind(raw); k != "Object" && k != "String" {
		return a, parseFailed(path, "parsing QualifiedObject failed, expected Object, but encountered %s", k)
	}
	if JSONKind(raw) == "Object" && !hasKey(raw, "name") {
		return a, parseFailed(path, "key %q not found", "function")
	}
	var fn FunctionName
	if err := unmarshalAt(raw, path, &fn); err != nil {
		return a, err
	}
	a.Function = &fn
	return a, nil
}

func trackFunction(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	a, err := decodeFunctionArgs(raw, path)
	if err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	s, err := md.sourceOf(source)
	if err != nil {
		return nil, err
	}
	q := a.Function.QualifiedName
	if _, ok := s.Function(q); ok {
		return nil, errf(apierr.AlreadyTracked, "function already tracked: %s", Quoted(q))
	}
	if _, ok := s.Table(q); ok {
		return nil, errf(apierr.NotSupported, "table with name %s already exists", Quoted(q))
	}
	f := &Function{Function: *a.Function, Comment: a.Comment}
	if a.Configuration != nil && *a.Configuration != (FunctionConfig{}) {
		c := *a.Configuration
		f.Configuration = &c
	} else if a.Configuration != nil {
		f.Configuration = &FunctionConfig{}
	}
	s.Functions = append(s.Functions, f)
	return objectChange(FunctionID(source, q))
}

func untrackFunction(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	a, err := decodeFunctionArgs(raw, path)
	if err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	s, err := md.sourceOf(source)
	if err != nil {
		return nil, err
	}
	q := a.Function.QualifiedName
	if _, ok := s.Function(q); !ok {
		return nil, errf(apierr.NotExists, "function not found in cache %s", Quoted(q))
	}
	PurgeObject(md, FunctionID(source, q))
	return newCheck()
}

func setFunctionCustomization(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a trackFunctionArgs
	if err := decodeArgs(raw, path, &a, "function"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	f, err := md.functionOf(source, a.Function.QualifiedName)
	if err != nil {
		return nil, err
	}
	f.Configuration = nil
	if a.Configuration != nil {
		c := *a.Configuration
		f.Configuration = &c
	}
	return objectChange(FunctionID(source, a.Function.QualifiedName))
}

func (m *Metadata) functionOf(source string, q catalog.QualifiedName) (*Function, error) {
	s, err := m.sourceOf(source)
	if err != nil {
		return nil, err
	}
	f, ok := s.Function(q)
	if !ok {
		return nil, errf(apierr.NotExists, "function %s does not exist in source: %s", Quoted(q), source)
	}
	return f, nil
}

type functionPermissionArgs struct {
	Source   string        `json:"source"`
	Function *FunctionName `json:"function"`
	Role     string        `json:"role"`
}

func createFunctionPermission(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a functionPermissionArgs
	if err := decodeArgs(raw, path, &a, "function", "role"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Function.QualifiedName
	f, err := md.functionOf(source, q)
	if err != nil {
		return nil, err
	}
	for _, p := range f.Permissions {
		if p.Role == a.Role {
			return nil, errf(apierr.AlreadyExists, "permission of role %q already exists for function %s in source: %s", a.Role, Quoted(q), source)
		}
	}
	f.Permissions = append(f.Permissions, &FunctionPerm{Role: a.Role})
	return objectChange(FunctionPermissionID(source, q, a.Role))
}

func dropFunctionPermission(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a functionPermissionArgs
	if err := decodeArgs(raw, path, &a, "function", "role"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Function.QualifiedName
	f, err := md.functionOf(source, q)
	if err != nil {
		return nil, err
	}
	for _, p := range f.Permissions {
		if p.Role == a.Role {
			PurgeObject(md, FunctionPermissionID(source, q, a.Role))
			return newCheck()
		}
	}
	return nil, errf(apierr.NotExists, "permission of role %q does not exist for function %s in source: %s", a.Role, Quoted(q), source)
}

type addComputedFieldArgs struct {
	Source     string                   `json:"source"`
	Table      *TableName               `json:"table"`
	Name       string                   `json:"name"`
	Definition *ComputedFieldDefinition `json:"definition"`
	Comment    *string                  `json:"comment"`
}

func addComputedField(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a addComputedFieldArgs
	if err := decodeArgs(raw, path, &a, "table", "name", "definition"); err != nil {
		return nil, err
	}
	var def ComputedFieldDefinition
	if err := decodeArgs(rawField(raw, "definition"), path+".definition", &def, "function"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Table.QualifiedName
	_, t, err := md.tableOf(source, q)
	if err != nil {
		if ae, ok := err.(*apierr.Error); ok {
			return nil, ae.At(path + ".table")
		}
		return nil, err
	}
	cf := &ComputedField{Name: a.Name, Definition: def, Comment: a.Comment}
	if old := t.computedField(a.Name); old != nil {
		*old = *cf
	} else {
		t.ComputedFields = append(t.ComputedFields, cf)
	}
	return objectChange(ComputedFieldID(source, q, a.Name))
}

func rawField(raw json.RawMessage, key string) json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m[key]
}

type dropComputedFieldArgs struct {
	Source  string     `json:"source"`
	Table   *TableName `json:"table"`
	Name    string     `json:"name"`
	Cascade bool       `json:"cascade"`
}

func dropComputedField(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	var a dropComputedFieldArgs
	if err := decodeArgs(raw, path, &a, "table", "name"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Table.QualifiedName
	_, t, err := md.tableOf(source, q)
	if err != nil {
		if ae, ok := err.(*apierr.Error); ok {
			return nil, ae.At(path + ".table")
		}
		return nil, err
	}
	if t.computedField(a.Name) == nil {
		return nil, errf(apierr.NotExists, "computed field %q does not exist", a.Name).At(path + ".name")
	}
	g := newDepGraph(md, source, env.catalog(source))
	deps := g.dependents(depRef{kind: depOnComputedField, table: q, name: a.Name})
	if len(deps) > 0 && !a.Cascade {
		return nil, dependencyError(deps)
	}
	for _, d := range deps {
		PurgeObject(md, d)
	}
	PurgeObject(md, ComputedFieldID(source, q, a.Name))
	return newCheck()
}
