package plan

import (
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// Note [mutations]: a mutation root field plans to a [Mutation]: the rows
// to insert (with nested parents and children), or the updates, or the
// rows to delete, each with the role's filters, checks and presets, and
// what to return. All root fields of one mutation run in one transaction
// (package exec); package pgsql compiles each to data-modifying SQL
// (hasura/graphql-engine: server/src-lib/Hasura/Backends/Postgres/Translate/
// Insert.hs, Update.hs, Delete.hs, Returning.hs).

// MutationKind says what a mutation writes.
type MutationKind int

const (
	Insert MutationKind = iota
	Update
	Delete
)

// MutationOutput says what a mutation field returns.
type MutationOutput int

const (
	// OutputResponse is <t>_mutation_response: Fields are FieldAffectedRows,
	// FieldReturning and FieldTypename.
	OutputResponse MutationOutput = iota
	// OutputRow is one row or null (insert_one, update_by_pk, delete_by_pk):
	// Fields are row fields.
	OutputRow
	// OutputResponses is a list of mutation responses, one per update
	// (update_many).
	OutputResponses
)

// Mutation is a write root field.
type Mutation struct {
	Kind  MutationKind
	Table *schema.Table
	// Objects are the rows to insert, with OnConflict for the root table.
	Objects    []*InsertObject
	OnConflict *OnConflict
	// Updates are the updates, applied in order (one except for update_many).
	Updates []*UpdateSpec
	// Where and Perm select the rows to delete.
	Where, Perm boolexp.Expr
	Output      MutationOutput
	// Fields describe the output (see MutationOutput).
	Fields []*Field
}

// Nested reports whether an insert has nested relationship inserts.
func (m *Mutation) Nested() bool {
	for _, o := range m.Objects {
		if len(o.ObjectRels) > 0 || len(o.ArrayRels) > 0 {
			return true
		}
	}
	return false
}

// InsertObject is one row to insert.
type InsertObject struct {
	Table *schema.Table
	// Values are the row's column values, presets included, in column order.
	Values []ColumnValue
	// Check is the role's insert check (nil: none).
	Check boolexp.Expr
	// ObjectRels are inserted first; their mapped columns fill this row.
	ObjectRels []*NestedInsert
	// ArrayRels are inserted after this row, with its mapped columns.
	ArrayRels []*NestedInsert
}

// NestedInsert inserts through a relationship.
type NestedInsert struct {
	Rel        *schema.Relationship
	Objects    []*InsertObject
	OnConflict *OnConflict
}

// ColumnValue is a column's value in an insert or update.
type ColumnValue struct {
	Column boolexp.Column
	Value  boolexp.Operand
}

// OnConflict is an upsert: ON CONFLICT ON CONSTRAINT ... DO NOTHING, or DO
// UPDATE of UpdateColumns where the role's update filter and Where hold.
type OnConflict struct {
	Constraint    string
	UpdateColumns []boolexp.Column
	Where         boolexp.Expr
	// UpdateFilter and UpdateCheck are the role's update permission; Presets
	// its presets.
	UpdateFilter boolexp.Expr
	UpdateCheck  boolexp.Expr
	Presets      []ColumnValue
}

// UpdateSpec is one UPDATE.
type UpdateSpec struct {
	Where boolexp.Expr
	Perm  boolexp.Expr
	Check boolexp.Expr
	Sets  []SetClause
	// Fields are the output of this update in update_many (a mutation
	// response); otherwise the Mutation's Fields apply.
	Fields []*Field
}

// SetOp is an update operator.
type SetOp int

const (
	SetValue        SetOp = iota // _set (and presets)
	SetInc                       // _inc
	SetAppend                    // _append
	SetPrepend                   // _prepend
	SetDeleteKey                 // _delete_key
	SetDeleteElem                // _delete_elem
	SetDeleteAtPath              // _delete_at_path
)

// SetClause sets a column.
type SetClause struct {
	Column boolexp.Column
	Op     SetOp
	Value  boolexp.Operand
}

// Field kinds of mutation responses.
const (
	FieldAffectedRows FieldKind = iota + 100
	FieldReturning              // Children are row fields
)

var updateOps = map[string]SetOp{
	"_set": SetValue, "_inc": SetInc, "_append": SetAppend, "_prepend": SetPrepend,
	"_delete_key": SetDeleteKey, "_delete_elem": SetDeleteElem, "_delete_at_path": SetDeleteAtPath,
}

// mutation plans a mutation root field.
func (b *builder) mutation(bind *schema.RootField, cf *collectedField, path string) (*Mutation, error) {
	t := bind.Table
	args := cf.field.Arguments
	switch bind.Kind {
	case schema.RootInsert, schema.RootInsertOne:
		return b.insert(t, bind.Kind == schema.RootInsertOne, args, cf, path)
	case schema.RootUpdate, schema.RootUpdateByPk:
		return b.update(t, bind.Kind == schema.RootUpdateByPk, args, cf, path)
	case schema.RootUpdateMany:
		return b.updateMany(t, args, cf, path)
	case schema.RootDelete, schema.RootDeleteByPk:
		return b.delete(t, bind.Kind == schema.RootDeleteByPk, args, cf, path)
	}
	return nil, apierr.New(apierr.NotSupported, "the root field '%s' is not supported", cf.field.Name).At(path)
}

func (b *builder) insertPerm(t *schema.Table, path string) (*schema.InsertPerm, error) {
	if b.role == "admin" {
		return nil, nil
	}
	p, ok := t.Insert[b.role]
	if !ok || (p.BackendOnly && !b.in.BackendOnly) {
		return nil, apierr.New(apierr.PermissionError, "insert permission on table %q is not defined for role %q", t.Name.Name, b.role).At(path)
	}
	for _, v := range p.SessionVars {
		b.sessionVars[v] = true
	}
	return p, nil
}

func (b *builder) updatePerm(t *schema.Table, path string) (*schema.UpdatePerm, error) {
	if b.role == "admin" {
		return nil, nil
	}
	p, ok := t.Update[b.role]
	if !ok || (p.BackendOnly && !b.in.BackendOnly) {
		return nil, apierr.New(apierr.PermissionError, "update permission on table %q is not defined for role %q", t.Name.Name, b.role).At(path)
	}
	for _, v := range p.SessionVars {
		b.sessionVars[v] = true
	}
	return p, nil
}

// insert plans insert_<t> and insert_<t>_one.
func (b *builder) insert(t *schema.Table, one bool, args ast.ArgumentList, cf *collectedField, path string) (*Mutation, error) {
	m := &Mutation{Kind: Insert, Table: t}
	argName := "objects"
	if one {
		argName = "object"
		m.Output = OutputRow
	}
	a := args.ForName(argName)
	if a == nil {
		return nil, apierr.New(apierr.ValidationFailed, "missing required field '%s'", argName).At(path + ".args")
	}
	apath := path + ".args." + argName
	for i, it := range b.items(astVal(a.Value)) {
		opath := apath
		if !one {
			opath += "[" + itoa(i) + "]"
		}
		o, err := b.insertObject(t, it, nil, opath)
		if err != nil {
			return nil, err
		}
		m.Objects = append(m.Objects, o)
	}
	if oc := args.ForName("on_conflict"); oc != nil && !b.isNull(astVal(oc.Value)) {
		c, err := b.onConflict(t, astVal(oc.Value), path+".args.on_conflict")
		if err != nil {
			return nil, err
		}
		m.OnConflict = c
	}
	return m, b.mutationOutput(m, t, cf, path)
}

// insertObject plans one row; determined are the columns a parent insert
// fills (they may not be given).
func (b *builder) insertObject(t *schema.Table, v val, determined map[string]string, path string) (*InsertObject, error) {
	p, err := b.insertPerm(t, path)
	if err != nil {
		return nil, err
	}
	o := &InsertObject{Table: t}
	if p != nil && !boolexp.IsTrue(p.Check) {
		o.Check = p.Check
	}
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	given := map[string]boolexp.Operand{}
	for _, e := range kvs {
		fpath := path + "." + e.name
		if c, ok := t.ColumnByField(e.name); ok {
			if p != nil && !p.Columns[c.Name] {
				return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_insert_input'", e.name, t.TypeName).At(fpath)
			}
			if _, ok := determined[c.Name]; ok {
				return nil, apierr.New(apierr.ValidationFailed, "cannot insert %q columns as their values are already being determined by parent insert", c.Name).At(path)
			}
			op := b.operand(e.v, c.Operand())
			if err := b.checkValue(op, fpath); err != nil {
				return nil, err
			}
			given[c.Name] = op
			continue
		}
		if r, ok := t.Relationship(e.name); ok {
			if b.isNull(e.v) {
				continue
			}
			n, err := b.nestedInsert(r, e.v, fpath)
			if err != nil {
				return nil, err
			}
			if insertedBefore(r) {
				o.ObjectRels = append(o.ObjectRels, n)
			} else {
				o.ArrayRels = append(o.ArrayRels, n)
			}
			continue
		}
		return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_insert_input'", e.name, t.TypeName).At(fpath)
	}
	// An object relationship fills this row's mapped columns.
	for _, n := range o.ObjectRels {
		for _, m := range n.Rel.Mapping {
			if _, ok := given[m.Local]; ok {
				return nil, apierr.New(apierr.ValidationFailed, "cannot insert object relationship %q as %q column values are already determined", n.Rel.Name, m.Local).At(path + "." + n.Rel.Name)
			}
		}
	}
	if p != nil {
		for col, val := range p.Set {
			c, ok := t.ColumnBySQL(col)
			if !ok {
				continue
			}
			given[col] = boolexp.Operand{Value: val, Type: c.Operand()}
			b.noteSessionValue(val)
		}
	}
	for _, c := range t.Columns {
		if v, ok := given[c.Name]; ok {
			o.Values = append(o.Values, ColumnValue{Column: c.BoolexpColumn(), Value: v})
		}
	}
	return o, nil
}

func (b *builder) noteSessionValue(v boolexp.Value) {
	if s, ok := v.(boolexp.SessionVar); ok {
		b.sessionVars[s.Name] = true
	}
}

// insertedBefore reports whether a nested insert through r happens before
// the parent row (object relationships on the parent's own columns) rather
// than after it (array relationships, object relationships whose foreign
// key is on the remote table or whose insertion_order is after_parent).
func insertedBefore(r *schema.Relationship) bool {
	return r.Kind == schema.ObjectRel && r.InsertionOrder != "after_parent"
}

// nestedInsert plans {data, on_conflict} of a relationship.
func (b *builder) nestedInsert(r *schema.Relationship, v val, path string) (*NestedInsert, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	n := &NestedInsert{Rel: r}
	determined := map[string]string{}
	if !insertedBefore(r) {
		for _, m := range r.Mapping {
			determined[m.Remote] = r.Name
		}
	}
	for _, e := range kvs {
		fpath := path + "." + e.name
		switch e.name {
		case "data":
			items := b.items(e.v)
			if r.Kind == schema.ObjectRel {
				if b.isNull(e.v) {
					return nil, apierr.New(apierr.ValidationFailed, "unexpected null value for type '%s_insert_input'", r.Target.TypeName).At(fpath)
				}
				items = []val{b.resolve(e.v)}
			}
			for i, it := range items {
				ipath := fpath
				if r.Kind == schema.ArrayRel {
					ipath += "[" + itoa(i) + "]"
				}
				o, err := b.insertObject(r.Target, it, determined, ipath)
				if err != nil {
					return nil, err
				}
				n.Objects = append(n.Objects, o)
			}
		case "on_conflict":
			if b.isNull(e.v) {
				continue
			}
			c, err := b.onConflict(r.Target, e.v, fpath)
			if err != nil {
				return nil, err
			}
			n.OnConflict = c
		default:
			return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found", e.name).At(fpath)
		}
	}
	return n, nil
}

// onConflict plans <t>_on_conflict; the role needs update permission.
func (b *builder) onConflict(t *schema.Table, v val, path string) (*OnConflict, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	up, err := b.updatePerm(t, path)
	if err != nil {
		return nil, err
	}
	c := &OnConflict{}
	if up != nil {
		c.UpdateFilter = nonTrivial(up.Filter)
		c.UpdateCheck = nonTrivial(up.Check)
		c.Presets = b.presets(t, up.Set)
	}
	for _, e := range kvs {
		fpath := path + "." + e.name
		switch e.name {
		case "constraint":
			n, _ := b.name(e.v)
			c.Constraint = n
		case "update_columns":
			for _, it := range b.items(e.v) {
				n, _ := b.name(it)
				if n == "_PLACEHOLDER" {
					// The enum's only value when no column is updatable.
					return nil, apierr.New(apierr.ValidationFailed, "erroneous column name").At(path)
				}
				col, ok := t.ColumnByField(n)
				if !ok || (up != nil && !up.Columns[col.Name]) {
					return nil, apierr.New(apierr.ValidationFailed, "unexpected value '%s' for enum: '%s_update_column'", n, t.TypeName).At(fpath)
				}
				c.UpdateColumns = append(c.UpdateColumns, col.BoolexpColumn())
			}
		case "where":
			if b.isNull(e.v) {
				continue
			}
			w, err := b.boolExp(t, e.v, fpath)
			if err != nil {
				return nil, err
			}
			c.Where = nonTrivial(w)
		}
	}
	if c.Constraint == "" {
		return nil, apierr.New(apierr.ValidationFailed, "missing required field 'constraint'").At(path)
	}
	return c, nil
}

func nonTrivial(e boolexp.Expr) boolexp.Expr {
	if boolexp.IsTrue(e) {
		return nil
	}
	return e
}

// presets returns a permission's presets as column values, in column order.
func (b *builder) presets(t *schema.Table, set map[string]boolexp.Value) []ColumnValue {
	var out []ColumnValue
	for _, c := range t.Columns {
		v, ok := set[c.Name]
		if !ok {
			continue
		}
		b.noteSessionValue(v)
		out = append(out, ColumnValue{Column: c.BoolexpColumn(), Value: boolexp.Operand{Value: v, Type: c.Operand()}})
	}
	return out
}

// update plans update_<t> and update_<t>_by_pk.
func (b *builder) update(t *schema.Table, byPk bool, args ast.ArgumentList, cf *collectedField, path string) (*Mutation, error) {
	m := &Mutation{Kind: Update, Table: t}
	if byPk {
		m.Output = OutputRow
	}
	u, err := b.updateSpec(t, argKVs(args), byPk, path+".args", path)
	if err != nil {
		return nil, err
	}
	m.Updates = []*UpdateSpec{u}
	return m, b.mutationOutput(m, t, cf, path)
}

// updateSpec plans one update from its arguments (where or pk_columns, and
// the operators).
func (b *builder) updateSpec(t *schema.Table, args []kv, byPk bool, apath, path string) (*UpdateSpec, error) {
	p, err := b.updatePerm(t, path)
	if err != nil {
		return nil, err
	}
	u := &UpdateSpec{}
	if p != nil {
		u.Perm, u.Check = nonTrivial(p.Filter), nonTrivial(p.Check)
	}
	seen := map[string]string{}
	var multi []string
	for _, a := range args {
		fpath := apath + "." + a.name
		switch a.name {
		case "where":
			if b.isNull(a.v) {
				continue
			}
			w, err := b.boolExp(t, a.v, fpath)
			if err != nil {
				return nil, err
			}
			u.Where = nonTrivial(w)
		case "pk_columns":
			kvs, err := b.fields(a.v, fpath)
			if err != nil {
				return nil, err
			}
			var and boolexp.And
			for _, e := range kvs {
				c, ok := t.ColumnByField(e.name)
				if !ok {
					return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_pk_columns_input'", e.name, t.TypeName).At(fpath)
				}
				and = append(and, &boolexp.Compare{Column: c.BoolexpColumn(), Op: boolexp.OpEq, Args: []boolexp.Operand{b.operand(e.v, c.Operand())}})
			}
			u.Where = and
		default:
			op, ok := updateOps[a.name]
			if !ok {
				continue
			}
			if b.isNull(a.v) {
				continue
			}
			kvs, err := b.fields(a.v, fpath)
			if err != nil {
				return nil, err
			}
			for _, e := range kvs {
				c, ok := t.ColumnByField(e.name)
				if !ok || (p != nil && !p.Columns[c.Name]) {
					return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s%s_input'", e.name, t.TypeName, a.name).At(fpath + "." + e.name)
				}
				if prev, dup := seen[c.Name]; dup && prev != a.name {
					multi = append(multi, c.Name)
				}
				seen[c.Name] = a.name
				val := b.operand(e.v, setOperandType(op, c))
				if err := b.checkValue(val, fpath+"."+e.name); err != nil {
					return nil, err
				}
				u.Sets = append(u.Sets, SetClause{Column: c.BoolexpColumn(), Op: op, Value: val})
			}
		}
	}
	if len(multi) > 0 {
		// In the order the query gives them, which matches Hasura's case
		// update/basic/article_column_multiple_operators.yaml (Hasura's own
		// order is a hash map's).
		quoted := make([]string, len(multi))
		for i, c := range multi {
			quoted[i] = "'" + c + "'"
		}
		return nil, apierr.New(apierr.ValidationFailed, "Column found in multiple operators: [%s].", strings.Join(quoted, ", ")).At(apath)
	}
	if p != nil {
		for _, pv := range b.presets(t, p.Set) {
			u.Sets = append(u.Sets, SetClause{Column: pv.Column, Op: SetValue, Value: pv.Value})
		}
	}
	return u, nil
}

// setOperandType is the operand type of an update operator on column c.
func setOperandType(op SetOp, c *schema.Column) boolexp.Type {
	switch op {
	case SetDeleteKey:
		return boolexp.Type{SQL: "text"}
	case SetDeleteElem:
		return boolexp.Type{SQL: "int4"}
	case SetDeleteAtPath:
		return boolexp.Type{SQL: "text", Dims: 1}
	}
	return c.Operand()
}

func argKVs(args ast.ArgumentList) []kv {
	out := make([]kv, 0, len(args))
	for _, a := range args {
		out = append(out, kv{a.Name, astVal(a.Value)})
	}
	return out
}

// updateMany plans update_<t>_many(updates: [...]).
func (b *builder) updateMany(t *schema.Table, args ast.ArgumentList, cf *collectedField, path string) (*Mutation, error) {
	m := &Mutation{Kind: Update, Table: t, Output: OutputResponses}
	a := args.ForName("updates")
	if a == nil {
		return nil, apierr.New(apierr.ValidationFailed, "missing required field 'updates'").At(path + ".args")
	}
	for i, it := range b.items(astVal(a.Value)) {
		upath := path + ".args.updates[" + itoa(i) + "]"
		kvs, err := b.fields(it, upath)
		if err != nil {
			return nil, err
		}
		u, err := b.updateSpec(t, kvs, false, upath, path)
		if err != nil {
			return nil, err
		}
		m.Updates = append(m.Updates, u)
	}
	// Each update returns a mutation response with the selection set.
	if err := b.mutationOutput(m, t, cf, path); err != nil {
		return nil, err
	}
	for _, u := range m.Updates {
		u.Fields = m.Fields
	}
	return m, nil
}

// delete plans delete_<t> and delete_<t>_by_pk.
func (b *builder) delete(t *schema.Table, byPk bool, args ast.ArgumentList, cf *collectedField, path string) (*Mutation, error) {
	m := &Mutation{Kind: Delete, Table: t}
	if b.role != "admin" {
		p, ok := t.Delete[b.role]
		if !ok || (p.BackendOnly && !b.in.BackendOnly) {
			return nil, apierr.New(apierr.PermissionError, "delete permission on table %q is not defined for role %q", t.Name.Name, b.role).At(path)
		}
		for _, v := range p.SessionVars {
			b.sessionVars[v] = true
		}
		m.Perm = nonTrivial(p.Filter)
	}
	if byPk {
		m.Output = OutputRow
		var and boolexp.And
		for _, c := range t.PrimaryKey {
			a := args.ForName(c.Field)
			if a == nil {
				return nil, apierr.New(apierr.ValidationFailed, "missing required field '%s'", c.Field).At(path + ".args")
			}
			and = append(and, &boolexp.Compare{Column: c.BoolexpColumn(), Op: boolexp.OpEq, Args: []boolexp.Operand{b.operand(astVal(a.Value), c.Operand())}})
		}
		m.Where = and
	} else if a := args.ForName("where"); a != nil && !b.isNull(astVal(a.Value)) {
		w, err := b.boolExp(t, astVal(a.Value), path+".args.where")
		if err != nil {
			return nil, err
		}
		m.Where = nonTrivial(w)
	}
	return m, b.mutationOutput(m, t, cf, path)
}

// mutationOutput plans what a mutation returns.
func (b *builder) mutationOutput(m *Mutation, t *schema.Table, cf *collectedField, path string) error {
	if m.Output == OutputRow {
		p, ok := t.SelectPermission(b.role)
		if !ok {
			return notFound(cf.field.Name, "mutation_root", path)
		}
		fields, err := b.rowFields(t, p, cf.merged, path)
		if err != nil {
			return err
		}
		m.Fields = fields
		return nil
	}
	fields, err := b.collect(cf.merged, "")
	if err != nil {
		return err
	}
	for _, f := range fields {
		fpath := path + ".selectionSet." + f.alias
		switch f.field.Name {
		case "__typename":
			m.Fields = append(m.Fields, &Field{Alias: f.alias, Kind: FieldTypename, Typename: parentType(f.field, t.TypeName+"_mutation_response")})
		case "affected_rows":
			m.Fields = append(m.Fields, &Field{Alias: f.alias, Kind: FieldAffectedRows})
		case "returning":
			p, ok := t.SelectPermission(b.role)
			if !ok {
				return notFound("returning", parentType(f.field, t.TypeName+"_mutation_response"), fpath)
			}
			rows, err := b.rowFields(t, p, f.merged, fpath)
			if err != nil {
				return err
			}
			m.Fields = append(m.Fields, &Field{Alias: f.alias, Kind: FieldReturning, Children: rows})
		default:
			return notFound(f.field.Name, parentType(f.field, t.TypeName+"_mutation_response"), fpath)
		}
	}
	return nil
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
