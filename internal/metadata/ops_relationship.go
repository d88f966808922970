package metadata

import (
	"encoding/json"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
)

// Relationship operations (hasura/graphql-engine:
// server/src-lib/Hasura/RQL/DDL/Relationship.hs, Relationship/Rename.hs).

type createRelationshipArgs struct {
	Source  string          `json:"source"`
	Table   *TableName      `json:"table"`
	Name    string          `json:"name"`
	Using   json.RawMessage `json:"using"`
	Comment *string         `json:"comment"`
}

func createObjectRelationship(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	return createRelationship(md, raw, path, env, "object")
}

func createArrayRelationship(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	return createRelationship(md, raw, path, env, "array")
}

func createRelationship(md *Metadata, raw json.RawMessage, path string, env Env, relType string) (*Change, error) {
	var a createRelationshipArgs
	if err := decodeArgs(raw, path, &a, "table", "name", "using"); err != nil {
		return nil, err
	}
	use, err := decodeRelationshipUse(a.Using, path+".using", relType)
	if err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Table.QualifiedName
	_, t, err := md.tableOf(source, q)
	if err != nil {
		return nil, err
	}
	if t.hasField(a.Name, env.catalog(source)) {
		return nil, errf(apierr.AlreadyExists, "field with name %q already exists in table %s", a.Name, Quoted(q))
	}
	r := &Relationship{Name: a.Name, Using: use, Comment: a.Comment}
	if relType == "object" {
		t.ObjectRelationships = append(t.ObjectRelationships, r)
	} else {
		t.ArrayRelationships = append(t.ArrayRelationships, r)
	}
	return objectChange(RelationshipID(source, q, a.Name, relType))
}

// decodeRelationshipUse checks a relationship's "using": exactly one of
// foreign_key_constraint_on and manual_configuration, of the shape the
// relationship type allows.
func decodeRelationshipUse(raw json.RawMessage, path, relType string) (RelationshipUse, error) {
	var u RelationshipUse
	var probe map[string]json.RawMessage
	if JSONKind(raw) != "Object" {
		return u, parseFailed(path, "parsing RelUsing failed, expected Object, but encountered %s", JSONKind(raw))
	}
	_ = json.Unmarshal(raw, &probe)
	fk, hasFK := probe["foreign_key_constraint_on"]
	manual, hasManual := probe["manual_configuration"]
	switch {
	case hasFK && hasManual:
		return u, parseFailed(path, "only one of foreign_key_constraint_on/manual_configuration should be present")
	case hasFK:
		u.ForeignKeyConstraintOn = fk
		f, err := u.ForeignKey()
		if err != nil {
			return u, parseFailed(path+".foreign_key_constraint_on", "%s", err.Error())
		}
		if relType == "array" && f.Table == nil {
			return u, parseFailed(path+".foreign_key_constraint_on",
				"parsing ArrRelUsingFKeyOn failed, expected Object, but encountered %s", JSONKind(fk))
		}
	case hasManual:
		var m ManualRelationship
		if err := decodeArgs(manual, path+".manual_configuration", &m, "remote_table", "column_mapping"); err != nil {
			return u, err
		}
		u.ManualConfiguration = &m
	default:
		return u, parseFailed(path, "one of foreign_key_constraint_on/manual_configuration should be present")
	}
	return u, nil
}

// hasField reports whether name is already a field of t: a column (when
// the catalog knows the table), a relationship, a computed field or a
// remote relationship.
func (t *Table) hasField(name string, cat *catalog.Catalog) bool {
	if cat != nil {
		if ti, ok := cat.Table(t.Table.QualifiedName); ok {
			if _, ok := ti.Column(name); ok {
				return true
			}
		}
	}
	if r, _ := t.relationship(name); r != nil {
		return true
	}
	if t.computedField(name) != nil {
		return true
	}
	return rawHasName(t.RemoteRelationships, name)
}

func rawHasName(raw json.RawMessage, name string) bool {
	var list []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &list) != nil {
		return false
	}
	for _, e := range list {
		if e.Name == name {
			return true
		}
	}
	return false
}

type dropRelationshipArgs struct {
	Source       string     `json:"source"`
	Table        *TableName `json:"table"`
	Relationship string     `json:"relationship"`
	Cascade      bool       `json:"cascade"`
}

func dropRelationship(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	var a dropRelationshipArgs
	if err := decodeArgs(raw, path, &a, "table", "relationship"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Table.QualifiedName
	_, t, err := md.tableOf(source, q)
	if err != nil {
		return nil, err
	}
	r, relType := t.relationship(a.Relationship)
	if r == nil {
		return nil, errf(apierr.NotExists, "relationship %q does not exist", a.Relationship)
	}
	g := newDepGraph(md, source, env.catalog(source))
	deps := g.dependents(depRef{kind: depOnRelationship, table: q, name: r.Name})
	if len(deps) > 0 && !a.Cascade {
		return nil, dependencyError(deps)
	}
	for _, d := range deps {
		PurgeObject(md, d)
	}
	PurgeObject(md, RelationshipID(source, q, r.Name, relType))
	return newCheck()
}

type renameRelationshipArgs struct {
	Source  string     `json:"source"`
	Table   *TableName `json:"table"`
	Name    string     `json:"name"`
	NewName string     `json:"new_name"`
}

func renameRelationship(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	var a renameRelationshipArgs
	if err := decodeArgs(raw, path, &a, "table", "name", "new_name"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	q := a.Table.QualifiedName
	_, t, err := md.tableOf(source, q)
	if err != nil {
		return nil, err
	}
	r, relType := t.relationship(a.Name)
	if r == nil {
		return nil, errf(apierr.NotExists, "relationship %q does not exist", a.Name)
	}
	if a.NewName != a.Name && t.hasField(a.NewName, env.catalog(source)) {
		return nil, errf(apierr.AlreadyExists, "cannot rename relationship %q to %q in table %s as a column/relationship with the name already exists",
			a.Name, a.NewName, Quoted(q))
	}
	renameFieldInBoolExps(md, source, env.catalog(source), q, a.Name, a.NewName)
	r.Name = a.NewName
	return objectChange(RelationshipID(source, q, a.NewName, relType))
}

type setRelationshipCommentArgs struct {
	Source       string     `json:"source"`
	Table        *TableName `json:"table"`
	Relationship string     `json:"relationship"`
	Name         string     `json:"name"`
	Comment      *string    `json:"comment"`
}

func setRelationshipComment(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a setRelationshipCommentArgs
	if err := decodeArgs(raw, path, &a, "table"); err != nil {
		return nil, err
	}
	name := a.Relationship
	if name == "" {
		name = a.Name
	}
	if name == "" {
		return nil, parseFailed(path, "key %q not found", "relationship")
	}
	_, t, err := md.tableOf(sourceOr(a.Source), a.Table.QualifiedName)
	if err != nil {
		return nil, err
	}
	r, _ := t.relationship(name)
	if r == nil {
		return nil, errf(apierr.NotExists, "relationship %q does not exist", name)
	}
	r.Comment = a.Comment
	return noCheck()
}
