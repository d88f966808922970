package metadata

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/graftql/graft/internal/catalog"
)

// Note [metadata dependencies]
//
// Hasura refuses to drop an object others depend on unless told to
// cascade ("cannot drop due to the following dependent objects: ...";
// hasura/graphql-engine: server/src-lib/Hasura/RQL/Types/SchemaCacheTypes.hs).
// Its dependencies come from the schema cache; graft derives the same ones
// from the metadata and the catalog:
//
//   - a relationship depends on the columns it joins and on its remote table;
//   - a permission depends on the columns it lists or presets, on the
//     columns, relationships and computed fields its boolean expressions
//     mention (following relationships into their tables), and on the
//     tables of _exists;
//   - a computed field depends on its SQL function;
//   - a tracked function depends on the table it returns.
//
// A dependency on any part of a table is a dependency on the table.
// Dependents are transitive: dropping a table drops the relationships to
// it and then the permissions that use those relationships.

type depKind int

const (
	depOnTable depKind = iota
	depOnColumn
	depOnRelationship
	depOnComputedField
	depOnFunction
)

// depRef is something a metadata object can depend on.
type depRef struct {
	kind     depKind
	table    catalog.QualifiedName
	name     string // column, relationship or computed field
	function catalog.QualifiedName
}

func depTable(q catalog.QualifiedName) depRef { return depRef{kind: depOnTable, table: q} }

// DepColumn is a dependency on a column, for callers that drop columns.
func depColumn(q catalog.QualifiedName, c string) depRef {
	return depRef{kind: depOnColumn, table: q, name: c}
}

func depFunction(f catalog.QualifiedName) depRef { return depRef{kind: depOnFunction, function: f} }

// covers reports whether a dependency on d is a dependency on target.
func (target depRef) covers(d depRef) bool {
	switch target.kind {
	case depOnTable:
		return d.kind != depOnFunction && d.table == target.table
	case depOnFunction:
		return d.kind == depOnFunction && d.function == target.function
	}
	return d.kind == target.kind && d.table == target.table && d.name == target.name
}

type depEntry struct {
	id   ObjectID
	deps []depRef
}

// depGraph holds the dependencies of every object of one source.
type depGraph struct {
	source  string
	src     *Source
	cat     *catalog.Catalog
	entries []depEntry
}

func newDepGraph(md *Metadata, source string, cat *catalog.Catalog) *depGraph {
	g := &depGraph{source: source, cat: cat}
	s, ok := md.Source(source)
	if !ok {
		return g
	}
	g.src = s
	for _, t := range s.Tables {
		q := t.Table.QualifiedName
		for _, r := range t.ObjectRelationships {
			g.add(RelationshipID(source, q, r.Name, "object"), g.relationshipDeps(t, r, false))
		}
		for _, r := range t.ArrayRelationships {
			g.add(RelationshipID(source, q, r.Name, "array"), g.relationshipDeps(t, r, true))
		}
		for _, cf := range t.ComputedFields {
			g.add(ComputedFieldID(source, q, cf.Name), []depRef{depFunction(cf.Definition.Function.QualifiedName)})
		}
		for _, p := range t.SelectPermissions {
			var deps []depRef
			deps = append(deps, columnDeps(q, p.Permission.Columns)...)
			for _, cf := range p.Permission.ComputedFields {
				deps = append(deps, depRef{kind: depOnComputedField, table: q, name: cf})
			}
			deps = g.boolExpDeps(deps, p.Permission.Filter, q, 0)
			g.add(PermissionID(source, q, p.Role, "select"), deps)
		}
		for _, p := range t.InsertPermissions {
			deps := columnDeps(q, p.Permission.Columns)
			deps = append(deps, presetDeps(q, p.Permission.Set)...)
			deps = g.boolExpDeps(deps, p.Permission.Check, q, 0)
			g.add(PermissionID(source, q, p.Role, "insert"), deps)
		}
		for _, p := range t.UpdatePermissions {
			deps := columnDeps(q, p.Permission.Columns)
			deps = append(deps, presetDeps(q, p.Permission.Set)...)
			deps = g.boolExpDeps(deps, p.Permission.Filter, q, 0)
			deps = g.boolExpDeps(deps, p.Permission.Check, q, 0)
			g.add(PermissionID(source, q, p.Role, "update"), deps)
		}
		for _, p := range t.DeletePermissions {
			g.add(PermissionID(source, q, p.Role, "delete"), g.boolExpDeps(nil, p.Permission.Filter, q, 0))
		}
	}
	for _, f := range s.Functions {
		fq := f.Function.QualifiedName
		var deps []depRef
		if cat != nil {
			if fi, ok := cat.Function(fq); ok && fi.ReturnTable != nil {
				deps = append(deps, depTable(*fi.ReturnTable))
			}
		}
		deps = append(deps, depFunction(fq))
		g.add(FunctionID(source, fq), deps)
		for _, p := range f.Permissions {
			g.add(FunctionPermissionID(source, fq, p.Role), []depRef{depFunction(fq)})
		}
	}
	return g
}

func (g *depGraph) add(id ObjectID, deps []depRef) {
	g.entries = append(g.entries, depEntry{id: id, deps: deps})
}

func columnDeps(q catalog.QualifiedName, c Columns) []depRef {
	var out []depRef
	for _, n := range c.Names {
		out = append(out, depColumn(q, n))
	}
	return out
}

func presetDeps(q catalog.QualifiedName, set map[string]any) []depRef {
	var out []depRef
	for k := range set {
		out = append(out, depColumn(q, k))
	}
	return out
}

func (g *depGraph) table(q catalog.QualifiedName) *Table {
	if g.src == nil {
		return nil
	}
	t, _ := g.src.Table(q)
	return t
}

// RelationshipTarget returns the table a relationship of t points to, using
// cat to resolve a foreign key of t itself; ok is false when it cannot tell.
func RelationshipTarget(t *Table, r *Relationship, cat *catalog.Catalog) (target catalog.QualifiedName, ok bool) {
	if r.Using.ManualConfiguration != nil {
		return r.Using.ManualConfiguration.RemoteTable.QualifiedName, true
	}
	fk, err := r.Using.ForeignKey()
	if err != nil {
		return catalog.QualifiedName{}, false
	}
	if fk.Table != nil {
		return *fk.Table, true
	}
	if cat == nil {
		return catalog.QualifiedName{}, false
	}
	ti, ok := cat.Table(t.Table.QualifiedName)
	if !ok {
		return catalog.QualifiedName{}, false
	}
	for _, k := range ti.ForeignKeys {
		if sameSet(k.Columns, fk.Columns) {
			return k.RefTable, true
		}
	}
	return catalog.QualifiedName{}, false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := sortedStrings(a), sortedStrings(b)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

func (g *depGraph) relationshipDeps(t *Table, r *Relationship, array bool) []depRef {
	q := t.Table.QualifiedName
	var deps []depRef
	if m := r.Using.ManualConfiguration; m != nil {
		rt := m.RemoteTable.QualifiedName
		for _, kv := range m.ColumnMapping {
			deps = append(deps, depColumn(q, kv.Key), depColumn(rt, kv.Value))
		}
		return append(deps, depTable(rt))
	}
	fk, err := r.Using.ForeignKey()
	if err != nil {
		return nil
	}
	if fk.Table != nil {
		for _, c := range fk.Columns {
			deps = append(deps, depColumn(*fk.Table, c))
		}
		return append(deps, depTable(*fk.Table))
	}
	for _, c := range fk.Columns {
		deps = append(deps, depColumn(q, c))
	}
	if rt, ok := RelationshipTarget(t, r, g.cat); ok {
		deps = append(deps, depTable(rt))
	}
	return deps
}

// boolExpDeps adds the dependencies of a permission boolean expression
// evaluated on table q.
func (g *depGraph) boolExpDeps(deps []depRef, expr json.RawMessage, q catalog.QualifiedName, depth int) []depRef {
	if depth > 32 || IsNull(expr) {
		return deps
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(expr, &obj); err != nil {
		return deps
	}
	t := g.table(q)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		switch k {
		case "_and", "_or":
			var list []json.RawMessage
			if json.Unmarshal(v, &list) == nil {
				for _, e := range list {
					deps = g.boolExpDeps(deps, e, q, depth+1)
				}
			}
			continue
		case "_not":
			deps = g.boolExpDeps(deps, v, q, depth+1)
			continue
		case "_exists":
			var ex struct {
				Table *TableName      `json:"_table"`
				Where json.RawMessage `json:"_where"`
			}
			if json.Unmarshal(v, &ex) == nil && ex.Table != nil {
				deps = append(deps, depTable(ex.Table.QualifiedName))
				deps = g.boolExpDeps(deps, ex.Where, ex.Table.QualifiedName, depth+1)
			}
			continue
		}
		if strings.HasPrefix(k, "_") {
			continue
		}
		if t != nil {
			if r, _ := t.relationship(k); r != nil {
				deps = append(deps, depRef{kind: depOnRelationship, table: q, name: k})
				if rt, ok := RelationshipTarget(t, r, g.cat); ok {
					deps = g.boolExpDeps(deps, v, rt, depth+1)
				}
				continue
			}
			if cf := t.computedField(k); cf != nil {
				deps = append(deps, depRef{kind: depOnComputedField, table: q, name: k})
				continue
			}
			if strings.HasSuffix(k, "_aggregate") {
				if r, _ := t.relationship(strings.TrimSuffix(k, "_aggregate")); r != nil {
					deps = append(deps, depRef{kind: depOnRelationship, table: q, name: r.Name})
					continue
				}
			}
		}
		deps = append(deps, depColumn(q, k))
	}
	return deps
}

// dependents returns the objects that depend on target, directly or
// through other objects, in a stable order.
func (g *depGraph) dependents(target depRef) []ObjectID {
	targets := []depRef{target}
	included := map[int]bool{}
	for i := 0; i < len(targets); i++ {
		tg := targets[i]
		for j, e := range g.entries {
			if included[j] {
				continue
			}
			for _, d := range e.deps {
				if tg.covers(d) {
					included[j] = true
					switch e.id.Kind {
					case ObjRelationship:
						targets = append(targets, depRef{kind: depOnRelationship, table: e.id.Table, name: e.id.Name})
					case ObjComputedField:
						targets = append(targets, depRef{kind: depOnComputedField, table: e.id.Table, name: e.id.Name})
					case ObjFunction:
						targets = append(targets, depFunction(e.id.Function))
					}
					break
				}
			}
		}
	}
	var out []ObjectID
	for j, e := range g.entries {
		if included[j] {
			out = append(out, e.id)
		}
	}
	return out
}

// Dependents returns the objects of source that depend on the given
// columns of table (Note [metadata dependencies]); package metaapi uses it
// when run_sql drops columns.
func Dependents(md *Metadata, source string, cat *catalog.Catalog, table catalog.QualifiedName, columns []string) []ObjectID {
	g := newDepGraph(md, source, cat)
	seen := map[string]bool{}
	var out []ObjectID
	for _, c := range columns {
		for _, d := range g.dependents(depColumn(table, c)) {
			if !seen[d.key()] {
				seen[d.key()] = true
				out = append(out, d)
			}
		}
	}
	return out
}

// TableDependents returns the objects of source outside tables that depend
// on the given tables (what dropping those tables in the database breaks).
func TableDependents(md *Metadata, source string, cat *catalog.Catalog, tables []catalog.QualifiedName) []ObjectID {
	g := newDepGraph(md, source, cat)
	dropped := map[catalog.QualifiedName]bool{}
	for _, t := range tables {
		dropped[t] = true
	}
	seen := map[string]bool{}
	var out []ObjectID
	for _, t := range tables {
		for _, d := range g.dependents(depTable(t)) {
			if d.Kind == ObjFunction || d.Kind == ObjFunctionPermission || dropped[d.Table] || seen[d.key()] {
				continue
			}
			seen[d.key()] = true
			out = append(out, d)
		}
	}
	return out
}

func (t *Table) relationship(name string) (*Relationship, string) {
	for _, r := range t.ObjectRelationships {
		if r.Name == name {
			return r, "object"
		}
	}
	for _, r := range t.ArrayRelationships {
		if r.Name == name {
			return r, "array"
		}
	}
	return nil, ""
}

func (t *Table) computedField(name string) *ComputedField {
	for _, c := range t.ComputedFields {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// PurgeObject removes the object id from md, if it is there (Hasura's
// purgeDependentObject / purgeMetadataObj).
func PurgeObject(md *Metadata, id ObjectID) {
	switch id.Kind {
	case ObjSource:
		for i, s := range md.Sources {
			if s.Name == id.Source {
				md.Sources = append(md.Sources[:i], md.Sources[i+1:]...)
				return
			}
		}
		return
	case ObjInheritedRole:
		md.InheritedRoles = filterSlice(md.InheritedRoles, func(r *InheritedRole) bool { return r.RoleName != id.Name })
		return
	case ObjEndpoint:
		md.RestEndpoints = filterSlice(md.RestEndpoints, func(e *RestEndpoint) bool { return e.Name != id.Name })
		return
	case ObjQueryCollectionQuery:
		for _, c := range md.QueryCollections {
			if c.Name == id.Collection {
				c.Definition.Queries = filterSlice(c.Definition.Queries, func(q *CollectionQuery) bool { return q.Name != id.Name })
			}
		}
		return
	}
	s, ok := md.Source(id.Source)
	if !ok {
		return
	}
	switch id.Kind {
	case ObjFunction:
		s.Functions = filterSlice(s.Functions, func(f *Function) bool { return f.Function.QualifiedName != id.Function })
		return
	case ObjFunctionPermission:
		if f, ok := s.Function(id.Function); ok {
			f.Permissions = filterSlice(f.Permissions, func(p *FunctionPerm) bool { return p.Role != id.Role })
		}
		return
	case ObjTable:
		removeTable(s, id.Table)
		return
	}
	t, ok := s.Table(id.Table)
	if !ok {
		return
	}
	switch id.Kind {
	case ObjRelationship:
		keep := func(r *Relationship) bool { return r.Name != id.Name }
		t.ObjectRelationships = filterSlice(t.ObjectRelationships, keep)
		t.ArrayRelationships = filterSlice(t.ArrayRelationships, keep)
	case ObjComputedField:
		t.ComputedFields = filterSlice(t.ComputedFields, func(c *ComputedField) bool { return c.Name != id.Name })
	case ObjPermission:
		t.dropPermission(id.PermType, id.Role)
	case ObjRemoteRelationship:
		t.RemoteRelationships = filterRaw(t.RemoteRelationships, id.Name)
	case ObjEventTrigger:
		t.EventTriggers = filterRaw(t.EventTriggers, id.Name)
	}
}

func filterSlice[T any](s []T, keep func(T) bool) []T {
	out := s[:0]
	for _, x := range s {
		if keep(x) {
			out = append(out, x)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// filterRaw removes the element named name from a raw JSON list of
// {"name": ...} objects.
func filterRaw(raw json.RawMessage, name string) json.RawMessage {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return raw
	}
	var out []json.RawMessage
	for _, e := range list {
		var n struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(e, &n) == nil && n.Name == name {
			continue
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	return mustJSON(out)
}

// dropPermission removes role's permission of permType; it reports
// whether there was one.
func (t *Table) dropPermission(permType, role string) bool {
	n := 0
	switch permType {
	case "select":
		n = len(t.SelectPermissions)
		t.SelectPermissions = filterSlice(t.SelectPermissions, func(p *SelectPermEntry) bool { return p.Role != role })
		return len(t.SelectPermissions) != n
	case "insert":
		n = len(t.InsertPermissions)
		t.InsertPermissions = filterSlice(t.InsertPermissions, func(p *InsertPermEntry) bool { return p.Role != role })
		return len(t.InsertPermissions) != n
	case "update":
		n = len(t.UpdatePermissions)
		t.UpdatePermissions = filterSlice(t.UpdatePermissions, func(p *UpdatePermEntry) bool { return p.Role != role })
		return len(t.UpdatePermissions) != n
	case "delete":
		n = len(t.DeletePermissions)
		t.DeletePermissions = filterSlice(t.DeletePermissions, func(p *DeletePermEntry) bool { return p.Role != role })
		return len(t.DeletePermissions) != n
	}
	return false
}

// ObjectDependents returns ids and, transitively, the objects of source
// that depend on them (permissions that use a relationship or a computed
// field), without duplicates.
func ObjectDependents(md *Metadata, source string, cat *catalog.Catalog, ids []ObjectID) []ObjectID {
	g := newDepGraph(md, source, cat)
	seen := map[string]bool{}
	var out []ObjectID
	add := func(id ObjectID) {
		if !seen[id.key()] {
			seen[id.key()] = true
			out = append(out, id)
		}
	}
	for _, id := range ids {
		add(id)
		var ref depRef
		switch id.Kind {
		case ObjRelationship:
			ref = depRef{kind: depOnRelationship, table: id.Table, name: id.Name}
		case ObjComputedField:
			ref = depRef{kind: depOnComputedField, table: id.Table, name: id.Name}
		default:
			continue
		}
		for _, d := range g.dependents(ref) {
			add(d)
		}
	}
	return out
}

// ForeignKeyRelationships returns the relationships of source that use the
// foreign key of table on columns: object relationships of table on those
// columns and relationships of any table naming table and those columns.
func ForeignKeyRelationships(md *Metadata, source string, table catalog.QualifiedName, columns []string) []ObjectID {
	s, ok := md.Source(source)
	if !ok {
		return nil
	}
	var out []ObjectID
	for _, t := range s.Tables {
		q := t.Table.QualifiedName
		check := func(r *Relationship, kind string) {
			fk, err := r.Using.ForeignKey()
			if err != nil {
				return
			}
			if (fk.Table == nil && q == table || fk.Table != nil && *fk.Table == table) && sameSet(fk.Columns, columns) {
				out = append(out, RelationshipID(source, q, r.Name, kind))
			}
		}
		for _, r := range t.ObjectRelationships {
			check(r, "object")
		}
		for _, r := range t.ArrayRelationships {
			check(r, "array")
		}
	}
	return out
}
