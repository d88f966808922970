package schema

import (
	"errors"
	"fmt"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// nonColumn is a relationship or computed field while fields are checked
// for conflicts.
type nonColumn struct {
	name string
	id   metadata.ObjectID
	def  any
	rel  *Relationship
	cf   *ComputedField
	// target is the relationship's target; returns the table a computed
	// field returns rows of.
	target  catalog.QualifiedName
	returns *catalog.QualifiedName
	// deps are the dependencies checked once every field is built.
	deps []dependency
}

// dependency is a schema object a relationship needs (Hasura's
// SchemaDependency): a tracked table, or a column of one.
type dependency struct {
	table  catalog.QualifiedName
	column string // "" for the table itself
}

// buildFields runs phase 2 (Note [building the model]) for every table.
func (b *builder) buildFields() {
	fields := make(map[*tableState][]*nonColumn)
	for _, ts := range b.order {
		fields[ts] = b.tableFields(ts)
	}
	// Dependencies are resolved once all fields exist, as Hasura's
	// resolveDependencies does after building every object.
	for _, ts := range b.order {
		for _, f := range fields[ts] {
			if err := b.checkDeps(f.deps); err != nil {
				b.fail(f.id, err.Error(), f.def)
				if f.rel != nil {
					ts.lost[f.name] = f.target
				}
				continue
			}
			switch {
			case f.rel != nil:
				f.rel.Target = b.tables[f.target].t
				if f.rel.Kind == ObjectRel {
					ts.t.ObjectRelationships = append(ts.t.ObjectRelationships, f.rel)
				} else {
					ts.t.ArrayRelationships = append(ts.t.ArrayRelationships, f.rel)
				}
			case f.cf != nil:
				if f.returns != nil {
					f.cf.ReturnTable = b.tables[*f.returns].t
				}
				ts.t.ComputedFields = append(ts.t.ComputedFields, f.cf)
			}
		}
		ts.t.Index()
	}
}

// tableFields builds the relationships and computed fields of ts and drops
// the ones whose names conflict (addNonColumnFields).
func (b *builder) tableFields(ts *tableState) []*nonColumn {
	var rels, cfs []*nonColumn
	relNames := map[string]bool{}
	for _, kind := range []RelKind{ObjectRel, ArrayRel} {
		list := ts.meta.ObjectRelationships
		if kind == ArrayRel {
			list = ts.meta.ArrayRelationships
		}
		for _, mr := range list {
			f := b.relationship(ts, mr, kind)
			if f == nil {
				continue
			}
			// Object and array relationships share one map; the object
			// relationship of a name wins.
			if relNames[f.name] {
				continue
			}
			relNames[f.name] = true
			rels = append(rels, f)
		}
	}
	for _, mc := range ts.meta.ComputedFields {
		if f := b.computedField(ts, mc); f != nil {
			cfs = append(cfs, f)
		}
	}

	// A relationship and a computed field of the same name conflict.
	cfByName := map[string]*nonColumn{}
	for _, f := range cfs {
		cfByName[f.name] = f
	}
	dropped := map[*nonColumn]bool{}
	for _, r := range rels {
		if c, ok := cfByName[r.name]; ok {
			b.report(metadata.NewConflict(fmt.Sprintf("conflicting definitions for field %q", r.name),
				[]metadata.ObjectID{r.id, c.id}, []any{r.def, c.def}))
			dropped[r], dropped[c] = true, true
		}
	}

	var out []*nonColumn
	for _, f := range append(rels, cfs...) {
		if dropped[f] {
			continue
		}
		if err := b.fieldNameConflict(ts, f); err != nil {
			b.fail(f.id, err.Error(), f.def)
			continue
		}
		out = append(out, f)
	}
	return out
}

// fieldNameConflict checks a relationship or computed field against the
// columns (noCustomFieldConflicts, noColumnConflicts).
func (b *builder) fieldNameConflict(ts *tableState, f *nonColumn) error {
	names := []string{f.name}
	if f.rel != nil && f.rel.Kind == ArrayRel {
		names = append(names, f.name+"_aggregate")
	}
	for _, n := range names {
		if c, ok := ts.t.ColumnByField(n); ok && c.Name != n {
			return fmt.Errorf("field definition conflicts with custom field name for postgres column %q", c.Name)
		}
	}
	if _, ok := ts.t.ColumnBySQL(f.name); ok {
		return errors.New("field definition conflicts with postgres column")
	}
	return nil
}

// checkDeps resolves dependencies as Hasura's pruneDanglingDependents does.
func (b *builder) checkDeps(deps []dependency) error {
	for _, d := range deps {
		ts, ok := b.tables[d.table]
		if !ok {
			return fmt.Errorf("table %s is not tracked", quoteQN(d.table))
		}
		if d.column == "" {
			continue
		}
		if _, ok := ts.t.ColumnBySQL(d.column); ok {
			continue
		}
		if _, ok := ts.t.relByName[d.column]; ok {
			return fmt.Errorf("field %q"+"of table %s is not a column", d.column, quoteQN(d.table))
		}
		if _, ok := ts.t.cfByName[d.column]; ok {
			// Hasura's message lacks the space.
			return fmt.Errorf("field %q"+"of table %s is not a column", d.column, quoteQN(d.table))
		}
		return fmt.Errorf("table %s has no field named %q", quoteQN(d.table), d.column)
	}
	return nil
}

func relTypeName(k RelKind) string {
	if k == ObjectRel {
		return "object"
	}
	return "array"
}

// relationship builds one relationship (defaultBuildObjectRelationshipInfo,
// defaultBuildArrayRelationshipInfo); it reports and returns nil on error.
func (b *builder) relationship(ts *tableState, mr *metadata.Relationship, kind RelKind) *nonColumn {
	q := ts.info.Name
	id := metadata.RelationshipID(b.in.Source, q, mr.Name, relTypeName(kind))
	def := jsonObject(mr)
	def["source"] = b.in.Source
	def["table"] = qn(q)
	f := &nonColumn{name: mr.Name, id: id, def: def}
	rel, target, deps, err := b.relationshipInfo(ts, mr, kind)
	if err != nil {
		b.fail(id, fmt.Sprintf("in table %s: in relationship %q: %s", quoteQN(q), mr.Name, err), def)
		return nil
	}
	f.rel, f.target, f.deps = rel, target, deps
	return f
}

func (b *builder) relationshipInfo(ts *tableState, mr *metadata.Relationship, kind RelKind) (*Relationship, catalog.QualifiedName, []dependency, error) {
	var none catalog.QualifiedName
	q := ts.info.Name
	rel := &Relationship{Name: mr.Name, Kind: kind}
	if mr.Comment != nil {
		rel.Description = *mr.Comment
	}
	if m := mr.Using.ManualConfiguration; m != nil {
		remote := m.RemoteTable.QualifiedName
		rel.Nullable = true
		rel.InsertionOrder = "after_parent"
		if kind == ObjectRel {
			rel.InsertionOrder = "before_parent"
			if m.InsertionOrder != "" {
				rel.InsertionOrder = m.InsertionOrder
			}
		}
		var deps []dependency
		for _, kv := range m.ColumnMapping {
			rel.Mapping = append(rel.Mapping, boolexp.ColumnPair{Local: kv.Key, Remote: kv.Value})
			deps = append(deps, dependency{table: q, column: kv.Key})
		}
		deps = append(deps, dependency{table: remote})
		for _, kv := range m.ColumnMapping {
			deps = append(deps, dependency{table: remote, column: kv.Value})
		}
		return rel, remote, deps, nil
	}
	fkOn, err := mr.Using.ForeignKey()
	if err != nil {
		return nil, none, nil, err
	}
	if fkOn.Table == nil {
		if kind == ArrayRel {
			return nil, none, nil, errors.New(`the key 'table' was not present`)
		}
		// The foreign key is this table's.
		fk, err := requiredForeignKey(fkOn.Columns, ts.info.ForeignKeys)
		if err != nil {
			return nil, none, nil, err
		}
		rel.InsertionOrder = "before_parent"
		for i, c := range fk.Columns {
			rel.Mapping = append(rel.Mapping, boolexp.ColumnPair{Local: c, Remote: fk.RefColumns[i]})
			if col, ok := ts.t.ColumnBySQL(c); ok && col.Nullable {
				rel.Nullable = true
			}
		}
		return rel, fk.RefTable, []dependency{{table: fk.RefTable}}, nil
	}
	// The foreign key is the remote table's, referencing this one.
	remote := *fkOn.Table
	rs, ok := b.tables[remote]
	if !ok {
		// mkFkeyRel looks the remote table up among the tracked ones.
		return nil, none, nil, fmt.Errorf("table %s does not exist in source: %s", quoteQN(remote), b.in.Source)
	}
	var ours []*catalog.ForeignKey
	for _, fk := range rs.info.ForeignKeys {
		if fk.RefTable == q {
			ours = append(ours, fk)
		}
	}
	fk, err := requiredForeignKey(fkOn.Columns, ours)
	if err != nil {
		return nil, none, nil, err
	}
	rel.Nullable = true
	rel.InsertionOrder = "after_parent"
	for i, c := range fk.Columns {
		rel.Mapping = append(rel.Mapping, boolexp.ColumnPair{Local: fk.RefColumns[i], Remote: c})
	}
	return rel, remote, []dependency{{table: remote}}, nil
}

// requiredForeignKey finds the one foreign key whose columns are cols
// (getRequiredFkey).
func requiredForeignKey(cols []string, fks []*catalog.ForeignKey) (*catalog.ForeignKey, error) {
	want := map[string]bool{}
	for _, c := range cols {
		want[c] = true
	}
	var found []*catalog.ForeignKey
	for _, fk := range fks {
		if len(fk.Columns) != len(want) {
			continue
		}
		match := true
		for _, c := range fk.Columns {
			if !want[c] {
				match = false
				break
			}
		}
		if match {
			found = append(found, fk)
		}
	}
	switch len(found) {
	case 0:
		return nil, errors.New("no foreign constraint exists on the given column(s)")
	case 1:
		return found[0], nil
	}
	return nil, errors.New("more than one foreign key constraint exists on the given column(s)")
}

// computedField builds one computed field (buildComputedFieldInfo); it
// reports and returns nil on error.
func (b *builder) computedField(ts *tableState, mc *metadata.ComputedField) *nonColumn {
	q := ts.info.Name
	id := metadata.ComputedFieldID(b.in.Source, q, mc.Name)
	def := map[string]any{
		"source":     b.in.Source,
		"table":      qn(q),
		"name":       mc.Name,
		"definition": jsonObject(mc.Definition),
		"comment":    mc.Comment,
	}
	cf, returns, err := b.computedFieldInfo(ts, mc)
	if err != nil {
		b.fail(id, fmt.Sprintf("in table %s: in computed field %q: %s", quoteQN(q), mc.Name, err), def)
		return nil
	}
	return &nonColumn{name: mc.Name, id: id, def: def, cf: cf, returns: returns}
}

func (b *builder) computedFieldInfo(ts *tableState, mc *metadata.ComputedField) (*ComputedField, *catalog.QualifiedName, error) {
	q := ts.info.Name
	fq := mc.Definition.Function.QualifiedName
	fn, err := b.singleFunction(fq)
	if err != nil {
		return nil, nil, err
	}
	var returns *catalog.QualifiedName
	var errs []string
	if !isGraphQLName(mc.Name) {
		errs = append(errs, fmt.Sprintf("%q is not valid GraphQL name", mc.Name))
	}
	if fn.Volatility == 'v' {
		errs = append(errs, fmt.Sprintf("the function %s is of type VOLATILE; cannot be added as a computed field", quoteQN(fq)))
	}
	cf := &ComputedField{Name: mc.Name, Function: fn, SessionArg: -1, ReturnsSet: fn.ReturnsSet, ResultType: fn.ReturnType}
	if fn.ReturnTable != nil {
		rt := *fn.ReturnTable
		if _, ok := b.tables[rt]; !ok {
			errs = append(errs, fmt.Sprintf("the function %s returning set of table %s is not tracked or not found in database", quoteQN(fq), quoteQN(rt)))
		}
		returns = &rt
	} else {
		s := functionTypeScalar(fn.ReturnType)
		if !isBaseFunctionType(fn.ReturnType) {
			errs = append(errs, fmt.Sprintf("the function %s returning type %s is not a BASE type", quoteQN(fq), s.text()))
		} else if name, err := s.graphqlName(); err == nil {
			cf.Scalar = b.scalarName(name)
		}
	}
	args := functionArgs(fn)
	// The table argument.
	tableArg := -1
	argDesc := fmt.Sprintf("first argument of the function %s", quoteQN(fq))
	if ta := mc.Definition.TableArgument; ta != nil {
		for i, a := range args {
			if a.name == *ta {
				tableArg = i
			}
		}
		if tableArg < 0 {
			errs = append(errs, fmt.Sprintf("%q is not an input argument of the function %s", *ta, quoteQN(fq)))
			return nil, nil, computedFieldError(mc.Name, q, errs)
		}
		argDesc = fmt.Sprintf("%q argument of the function %s", *ta, quoteQN(fq))
	} else if len(args) == 0 {
		errs = append(errs, fmt.Sprintf("the function %s has no input arguments", quoteQN(fq)))
	} else {
		tableArg = 0
	}
	if tableArg >= 0 {
		at := args[tableArg].typ
		if at.Kind != catalog.TypeComposite {
			errs = append(errs, argDesc+" is not COMPOSITE type")
		}
		if at.Schema != q.Schema || at.Name != q.Name {
			errs = append(errs, fmt.Sprintf("%s of type %s is not the table to which the computed field is being added",
				argDesc, quoteQN(catalog.QualifiedName{Schema: at.Schema, Name: functionTypeScalar(at).text()})))
		}
	}
	cf.TableArg = tableArg
	// The session argument.
	if sa := mc.Definition.SessionArgument; sa != nil {
		idx := -1
		for i, a := range args {
			if a.name == *sa {
				idx = i
			}
		}
		if idx < 0 {
			errs = append(errs, fmt.Sprintf("%q is not an input argument of the function %s", *sa, quoteQN(fq)))
			return nil, nil, computedFieldError(mc.Name, q, errs)
		}
		if n := baseType(args[idx].typ).Name; n != "json" && n != "jsonb" {
			errs = append(errs, fmt.Sprintf("%q argument of the function %s is not of type JSON", *sa, quoteQN(fq)))
		}
		cf.SessionArg = idx
	}
	if len(errs) > 0 {
		return nil, nil, computedFieldError(mc.Name, q, errs)
	}
	cf.Args = userArgs(args, cf.TableArg, cf.SessionArg, b.scalarName)
	switch {
	case mc.Comment != nil:
		cf.Description = *mc.Comment
	case fn.Description != "":
		cf.Description = fn.Description
	default:
		cf.Description = "A computed field, executes function " + quoteQN(fq)
	}
	return cf, returns, nil
}

func computedFieldError(name string, q catalog.QualifiedName, errs []string) error {
	return fmt.Errorf("the computed field %q cannot be added to table %s %s", name, quoteQN(q), reasonMessage(errs))
}

// singleFunction returns the function named q unless it is missing or
// overloaded (getSingleUniqueFunctionOverload).
func (b *builder) singleFunction(q catalog.QualifiedName) (*catalog.Function, error) {
	fs := b.in.Catalog.Functions[q]
	switch len(fs) {
	case 0:
		return nil, fmt.Errorf("no such function exists: %s", quoteQN(q))
	case 1:
		return fs[0], nil
	}
	return nil, fmt.Errorf("function %s is overloaded. Overloaded functions are not supported", quoteQN(q))
}

// funcArg is a function argument as Hasura reads it (mkFunctionArgs).
type funcArg struct {
	name       string
	typ        *catalog.Type
	hasDefault bool
}

// functionArgs returns fn's input arguments. A function without any
// argument names has no defaults either, as in Hasura's mkFunctionArgs.
func functionArgs(fn *catalog.Function) []funcArg {
	named := false
	for _, a := range fn.Args {
		if a.Name != "" {
			named = true
		}
	}
	out := make([]funcArg, len(fn.Args))
	for i, a := range fn.Args {
		out[i] = funcArg{name: a.Name, typ: a.Type, hasDefault: named && a.HasDefault}
	}
	return out
}

// userArgs are the arguments a client supplies: all but the table and
// session arguments. Unnamed ones are called arg_1, arg_2, ... counting
// only unnamed arguments.
func userArgs(args []funcArg, tableArg, sessionArg int, scalarName func(string) string) []*FunctionArg {
	var out []*FunctionArg
	pos := 1
	for i, a := range args {
		if i == tableArg || i == sessionArg {
			continue
		}
		fa := &FunctionArg{Name: a.name, Index: i, Type: a.typ, HasDefault: a.hasDefault}
		if fa.Name == "" {
			fa.Name = fmt.Sprintf("arg_%d", pos)
			pos++
		}
		s := functionTypeScalar(a.typ)
		if name, err := s.graphqlName(); err == nil {
			fa.Scalar = scalarName(name)
		} else {
			fa.Scalar = s.Name
		}
		out = append(out, fa)
	}
	return out
}
