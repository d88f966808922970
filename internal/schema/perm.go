package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Note [permissions on lost relationships]
//
// Hasura builds a permission while the table's relationships are all still
// in place, and only afterwards drops the objects whose dependencies are
// missing. So a permission that goes through a relationship to an untracked
// table fails while it is built ("table "x" does not exist", with the table
// and role context), and one that goes through a relationship dropped later
// for another missing dependency fails in dependency resolution, without
// context: `table "t" has no field named "rel"`. permResolver reproduces
// both from tableState.lost.

// depError is an error found in dependency resolution: it is reported
// without the "in table ...: in permission ..." context.
type depError struct{ msg string }

func (e *depError) Error() string { return e.msg }

// permResolver resolves the fields a permission expression names.
type permResolver struct{ b *builder }

var _ boolexp.Resolver = permResolver{}

// Tracked is part of the boolexp.Resolver interface.
func (r permResolver) Tracked(q catalog.QualifiedName) bool {
	_, ok := r.b.tables[q]
	return ok
}

// Field is part of the boolexp.Resolver interface.
func (r permResolver) Field(q catalog.QualifiedName, name string) (boolexp.Field, error) {
	ts, ok := r.b.tables[q]
	if !ok {
		return boolexp.Field{}, fmt.Errorf("table %s does not exist", quoteQN(q))
	}
	t := ts.t
	if c, ok := t.ColumnBySQL(name); ok {
		return boolexp.Field{Kind: boolexp.FieldColumn, Column: c.BoolexpColumn()}, nil
	}
	if rel, ok := t.Relationship(name); ok {
		return boolexp.Field{Kind: boolexp.FieldRelationship, Target: rel.Target.Name, Mapping: rel.Mapping}, nil
	}
	if cf, ok := t.ComputedField(name); ok {
		info := &boolexp.ComputedFieldInfo{
			Function:   cf.Function.Name,
			TableArg:   cf.TableArg,
			SessionArg: cf.SessionArg,
			NumArgs:    len(cf.Function.Args),
			InputArgs:  len(cf.Args),
			ResultType: cf.ResultType,
		}
		if cf.ReturnTable != nil {
			rt := cf.ReturnTable.Name
			info.ReturnTable = &rt
		}
		return boolexp.Field{Kind: boolexp.FieldComputed, Computed: info}, nil
	}
	if target, ok := ts.lost[name]; ok {
		if _, tracked := r.b.tables[target]; !tracked {
			return boolexp.Field{}, fmt.Errorf("table %s does not exist", quoteQN(target))
		}
		return boolexp.Field{}, &depError{fmt.Sprintf("table %s has no field named %q", quoteQN(q), name)}
	}
	return boolexp.Field{}, fmt.Errorf("%q does not exist", name)
}

// parse parses a permission expression over table.
func (b *builder) parse(raw json.RawMessage, table catalog.QualifiedName) (boolexp.Expr, error) {
	return boolexp.ParsePermission(raw, table, permResolver{b})
}

// permEntry is one permission of the metadata being built.
type permEntry struct {
	ts       *tableState
	role     string
	permType string // select, insert, update, delete
	def      any
}

func (b *builder) permFail(e permEntry, err error) {
	q := e.ts.info.Name
	id := metadata.PermissionID(b.in.Source, q, e.role, e.permType)
	var de *depError
	reason := fmt.Sprintf("in table %s: in permission for role %q: %s", quoteQN(q), e.role, err)
	if errors.As(err, &de) {
		reason = de.msg
	}
	b.fail(id, reason, e.def)
}

func (b *builder) permDef(ts *tableState, role string, perm any, comment *string) map[string]any {
	return map[string]any{
		"source":     b.in.Source,
		"table":      qn(ts.info.Name),
		"role":       role,
		"permission": perm,
		"comment":    comment,
	}
}

// buildPermissions runs phase 3 (Note [building the model]): the
// permissions defined in metadata.
func (b *builder) buildPermissions() {
	for _, ts := range b.order {
		t := ts.t
		t.Select = map[string]*SelectPerm{}
		t.Insert = map[string]*InsertPerm{}
		t.Update = map[string]*UpdatePerm{}
		t.Delete = map[string]*DeletePerm{}
		for _, p := range ts.meta.InsertPermissions {
			addPerm(b, ts, t.Insert, "insert", p.Role, p.Permission, p.Comment, func() (*InsertPerm, error) { return b.insertPerm(ts, p) })
		}
		for _, p := range ts.meta.SelectPermissions {
			addPerm(b, ts, t.Select, "select", p.Role, p.Permission, p.Comment, func() (*SelectPerm, error) { return b.selectPerm(ts, p) })
		}
		for _, p := range ts.meta.UpdatePermissions {
			addPerm(b, ts, t.Update, "update", p.Role, p.Permission, p.Comment, func() (*UpdatePerm, error) { return b.updatePerm(ts, p) })
		}
		for _, p := range ts.meta.DeletePermissions {
			addPerm(b, ts, t.Delete, "delete", p.Role, p.Permission, p.Comment, func() (*DeletePerm, error) { return b.deletePerm(ts, p) })
		}
	}
}

// addPerm builds role's permission of kind into perms: a second
// definition for the role is ignored, and a failure is recorded as an
// inconsistency (with the definition, built only then).
func addPerm[P any](b *builder, ts *tableState, perms map[string]P, kind, role string, def any, comment *string, build func() (P, error)) {
	if _, dup := perms[role]; dup {
		return
	}
	perm, err := build()
	if err != nil {
		b.permFail(permEntry{ts, role, kind, b.permDef(ts, role, def, comment)}, err)
		return
	}
	perms[role] = perm
}

var errAdminPermission = errors.New("cannot define permission for admin role")

// permColumn resolves a column named in a permission's column list
// (askColumnType); what says why other fields are refused.
func permColumn(t *Table, name, what string) (*Column, error) {
	if c, ok := t.ColumnBySQL(name); ok {
		return c, nil
	}
	kind := ""
	if _, ok := t.Relationship(name); ok {
		kind = "relationship"
	} else if _, ok := t.ComputedField(name); ok {
		kind = "computed field"
	}
	if kind == "" {
		return nil, fmt.Errorf("column %q does not exist", name)
	}
	return nil, fmt.Errorf("expecting a database column; but, %q is a %s; %s", name, kind, what)
}

// columnSet resolves a permission's column list.
func columnSet(t *Table, cols metadata.Columns, what string) (map[string]bool, error) {
	out := map[string]bool{}
	if cols.All {
		for _, c := range t.Columns {
			out[c.Name] = true
		}
		return out, nil
	}
	for _, name := range cols.Names {
		c, err := permColumn(t, name, what)
		if err != nil {
			return nil, err
		}
		out[c.Name] = true
	}
	return out, nil
}

func (b *builder) selectPerm(ts *tableState, p *metadata.SelectPermEntry) (*SelectPerm, error) {
	if p.Role == "admin" {
		return nil, errAdminPermission
	}
	t := ts.t
	mp := p.Permission
	filter, err := b.parse(mp.Filter, t.Name)
	if err != nil {
		return nil, err
	}
	cols, err := columnSet(t, mp.Columns, "permissions for relationships are automatically inferred")
	if err != nil {
		return nil, err
	}
	perm := &SelectPerm{Filter: filter, Columns: map[string]boolexp.Expr{}, ComputedFields: map[string]boolexp.Expr{}, AllowAggregations: mp.AllowAggregations}
	for c := range cols {
		perm.Columns[c] = nil
	}
	for _, name := range mp.ComputedFields {
		cf, ok := t.ComputedField(name)
		if !ok {
			if _, isCol := t.ColumnBySQL(name); isCol {
				return nil, fmt.Errorf("expecting a computed field; but, %q is a column", name)
			}
			if _, isRel := t.Relationship(name); isRel {
				return nil, fmt.Errorf("expecting a computed field; but, %q is a relationship", name)
			}
			return nil, fmt.Errorf("computed field %q does not exist", name)
		}
		if cf.ReturnTable != nil {
			return nil, fmt.Errorf("select permissions on computed field %q are auto-derived from the permissions on its returning table %s and cannot be specified manually",
				name, quoteQN(cf.ReturnTable.Name))
		}
		perm.ComputedFields[name] = nil
	}
	if mp.Limit != nil {
		if *mp.Limit < 0 {
			return nil, errors.New("unexpected negative value")
		}
		perm.Limit = *mp.Limit
	}
	if mp.QueryRootFields != nil {
		perm.QueryRootFields = stringSet(mp.QueryRootFields)
	}
	if mp.SubscriptionRootFields != nil {
		perm.SubscriptionRootFields = stringSet(mp.SubscriptionRootFields)
	}
	perm.SessionVars = selectSessionVars(perm)
	return perm, nil
}

func stringSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// presets parses a permission's set (procSetObj).
func (b *builder) presets(t *Table, set map[string]any) (map[string]boolexp.Value, error) {
	if len(set) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(set))
	for k := range set {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make(map[string]boolexp.Value, len(set))
	for _, name := range names {
		c, err := permColumn(t, name, fmt.Sprintf("column %q not found in table %s", name, quoteQN(t.Name)))
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(set[name])
		if err != nil {
			return nil, fmt.Errorf("encode preset %q: %w", name, err)
		}
		v, err := boolexp.ParseValue(raw, c.Type)
		if err != nil {
			return nil, err
		}
		out[name] = v
	}
	return out, nil
}

func withoutPresets(cols map[string]bool, set map[string]boolexp.Value) map[string]bool {
	for c := range set {
		delete(cols, c)
	}
	return cols
}

func (b *builder) insertPerm(ts *tableState, p *metadata.InsertPermEntry) (*InsertPerm, error) {
	if p.Role == "admin" {
		return nil, errAdminPermission
	}
	t := ts.t
	mp := p.Permission
	check, err := b.parse(mp.Check, t.Name)
	if err != nil {
		return nil, err
	}
	set, err := b.presets(t, mp.Set)
	if err != nil {
		return nil, err
	}
	cols, err := columnSet(t, mp.Columns, "")
	if err != nil {
		return nil, err
	}
	perm := &InsertPerm{Check: check, Columns: withoutPresets(cols, set), Set: set, BackendOnly: mp.BackendOnly}
	perm.SessionVars = sessionVars([]boolexp.Expr{check}, set)
	return perm, nil
}

func (b *builder) updatePerm(ts *tableState, p *metadata.UpdatePermEntry) (*UpdatePerm, error) {
	if p.Role == "admin" {
		return nil, errAdminPermission
	}
	t := ts.t
	mp := p.Permission
	filter, err := b.parse(mp.Filter, t.Name)
	if err != nil {
		return nil, err
	}
	var check boolexp.Expr
	if len(mp.Check) > 0 && string(mp.Check) != "null" {
		if check, err = b.parse(mp.Check, t.Name); err != nil {
			return nil, err
		}
	}
	set, err := b.presets(t, mp.Set)
	if err != nil {
		return nil, err
	}
	cols, err := columnSet(t, mp.Columns, "relationships can't be used in update")
	if err != nil {
		return nil, err
	}
	perm := &UpdatePerm{Filter: filter, Check: check, Columns: withoutPresets(cols, set), Set: set, BackendOnly: mp.BackendOnly}
	perm.SessionVars = sessionVars([]boolexp.Expr{filter, check}, set)
	return perm, nil
}

func (b *builder) deletePerm(ts *tableState, p *metadata.DeletePermEntry) (*DeletePerm, error) {
	if p.Role == "admin" {
		return nil, errAdminPermission
	}
	filter, err := b.parse(p.Permission.Filter, ts.t.Name)
	if err != nil {
		return nil, err
	}
	perm := &DeletePerm{Filter: filter, BackendOnly: p.Permission.BackendOnly}
	perm.SessionVars = sessionVars([]boolexp.Expr{filter}, nil)
	return perm, nil
}
