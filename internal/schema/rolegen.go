package schema

import (
	"cmp"
	"slices"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/vektah/gqlparser/v2/ast"
)

// Note [role schema generation]
//
// BuildRoleSchema builds a role's GraphQL schema the way Hasura's parser
// combinators do (hasura/graphql-engine: server/src-lib/Hasura/GraphQL/Schema/*.hs),
// but as gqlparser definitions. Types are made on demand, starting from the
// root fields: a type exists exactly when something the role can reach
// refers to it, which is also the set Hasura's collectTypeDefinitions returns
// for __schema { types }. Each maker (tableObject, boolExp, ...) registers its
// definition under its name before filling it, so recursive references (a
// table related to itself) terminate and every type is made once.
//
// Fields, arguments, input fields and enum values are sorted by name at the
// end, because Hasura's introspection lists them sorted (ObjectInfo,
// InputObjectInfo and TIEnum keep their lists sorted in
// Hasura.GraphQL.Parser.Schema.Definition); directive arguments keep their
// declared order.

// BuildRoleSchema builds the GraphQL schema role sees (the Relay schema when
// relay is set): only what the role may do appears, in Hasura's exact names.
func BuildRoleSchema(m *Model, role string, relay bool) *RoleSchema {
	return buildRoleSchema(m, role, relay, false)
}

// buildRoleSchema builds a role's schema; with backendOnly the mutations of
// backend_only permissions are included (a request with the admin secret
// and x-hasura-use-backend-only-permissions: true).
func buildRoleSchema(m *Model, role string, relay, backendOnly bool) *RoleSchema {
	g := &roleGen{
		m:           m,
		role:        role,
		admin:       role == "admin",
		relay:       relay,
		backendOnly: backendOnly,
		n:           m.Naming(),
		types:       make(map[string]*ast.Definition, 64*len(m.Tables)+64),
		names:       make(map[*Table]*tableNames, len(m.Tables)),
		args:        make(map[*Table]ast.ArgumentDefinitionList),
		refs:        make(map[string]*ast.Type),
		rs: &RoleSchema{
			Role:         role,
			Relay:        relay,
			Query:        make(map[string]*RootField),
			Mutation:     make(map[string]*RootField),
			Subscription: make(map[string]*RootField),
		},
	}
	g.build()
	return g.rs
}

type roleGen struct {
	m           *Model
	role        string
	admin       bool
	relay       bool
	backendOnly bool
	n           Naming

	types map[string]*ast.Definition
	own   []*ast.Definition // the definitions made for this role, to sort
	names map[*Table]*tableNames
	args  map[*Table]ast.ArgumentDefinitionList // select arguments, shared by fields
	refs  map[string]*ast.Type                  // shared nullable named types

	possible map[string][]*ast.Definition
	rs       *RoleSchema
}

func (g *roleGen) build() {
	s := &ast.Schema{
		Types:         g.types,
		Directives:    shared.directives,
		PossibleTypes: make(map[string][]*ast.Definition),
		Implements:    make(map[string][]*ast.Definition),
	}
	g.possible = s.PossibleTypes
	for name, d := range shared.introspection {
		g.types[name] = d
	}
	// Hasura collects the types of the directive arguments and of the
	// introspection fields: these are always present.
	g.types["String"] = shared.scalars["String"]
	g.types["Boolean"] = shared.scalars["Boolean"]
	g.types["Int"] = shared.scalars["Int"]

	query, subscription := g.queryFields()
	if len(query) == 0 {
		query = ast.FieldList{{
			Name:        "no_queries_available",
			Description: noQueriesDescription,
			Type:        ast.NonNullNamedType("String", nil),
		}}
		g.rs.Query["no_queries_available"] = &RootField{Kind: RootNoQueries}
	}
	s.Query = g.root("query_root", "", query)
	mutation := g.mutationFields()
	if len(mutation) > 0 {
		s.Mutation = g.root("mutation_root", "mutation root", mutation)
	}
	if len(subscription) > 0 {
		s.Subscription = g.root("subscription_root", "", subscription)
	}

	for _, d := range g.own {
		sortDefinition(d)
	}
	// The introspection fields go last so that sorting keeps them out of
	// the way; Execute skips fields whose name starts with "__".
	s.Query.Fields = append(s.Query.Fields, shared.schemaField, shared.typeField)
	// gqlparser's validator expects what its LoadSchema records: each
	// object and input object is a possible type of itself, and of the
	// interfaces it implements.
	for name, defs := range s.PossibleTypes {
		slices.SortFunc(defs, func(a, b *ast.Definition) int { return cmp.Compare(a.Name, b.Name) })
		for _, d := range defs {
			s.Implements[d.Name] = append(s.Implements[d.Name], g.types[name])
		}
	}
	for name, d := range g.types {
		if d.Kind == ast.Object || d.Kind == ast.InputObject {
			s.PossibleTypes[name] = append(s.PossibleTypes[name], d)
		}
	}
	g.rs.Schema = s
}

const noQueriesDescription = "There are no queries available to the current role. Either there are no sources or remote schemas configured, or the current role doesn't have the required permissions."

func (g *roleGen) root(name, desc string, fields ast.FieldList) *ast.Definition {
	d, _ := g.define(ast.Object, name, desc)
	d.Fields = fields
	return d
}

// define returns the definition named name, making an empty one of the given
// kind if there is none yet; made reports whether it was made now, in which
// case the caller fills it.
func (g *roleGen) define(kind ast.DefinitionKind, name, desc string) (d *ast.Definition, made bool) {
	if d, ok := g.types[name]; ok {
		return d, false
	}
	d = &ast.Definition{Kind: kind, Name: name, Description: desc}
	g.types[name] = d
	g.own = append(g.own, d)
	return d, true
}

// sortDefinition orders fields, their arguments and enum values by name.
func sortDefinition(d *ast.Definition) {
	byName := func(a, b *ast.FieldDefinition) int { return cmp.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(d.Fields, byName) {
		slices.SortStableFunc(d.Fields, byName)
	}
	for _, f := range d.Fields {
		if len(f.Arguments) > 1 && !slices.IsSortedFunc(f.Arguments, argByName) {
			args := slices.Clone(f.Arguments)
			slices.SortStableFunc(args, argByName)
			f.Arguments = args
		}
	}
	byValue := func(a, b *ast.EnumValueDefinition) int { return cmp.Compare(a.Name, b.Name) }
	if !slices.IsSortedFunc(d.EnumValues, byValue) {
		slices.SortStableFunc(d.EnumValues, byValue)
	}
}

func argByName(a, b *ast.ArgumentDefinition) int { return cmp.Compare(a.Name, b.Name) }

// Type constructors. Types are never shared between fields that may be
// changed later; they are small and immutable once the schema is built.

func tNamed(name string) *ast.Type   { return &ast.Type{NamedType: name} }
func tNonNull(name string) *ast.Type { return &ast.Type{NamedType: name, NonNull: true} }
func tList(elem *ast.Type) *ast.Type { return &ast.Type{Elem: elem} }

// tNN returns a non-null copy of t.
func tNN(t *ast.Type) *ast.Type { c := *t; c.NonNull = true; return &c }

// listOfNonNull is [name!]!.
func listOfNonNull(name string) *ast.Type { return tNN(tList(tNonNull(name))) }

func gqlField(name, desc string, typ *ast.Type, args ...*ast.ArgumentDefinition) *ast.FieldDefinition {
	return &ast.FieldDefinition{Name: name, Description: desc, Type: typ, Arguments: args}
}

func gqlArg(name, desc string, typ *ast.Type) *ast.ArgumentDefinition {
	return &ast.ArgumentDefinition{Name: name, Description: desc, Type: typ}
}

// -----------------------------------------------------------------------------
// Permissions

// sel returns the role's select permission on t, or nil.
func (g *roleGen) sel(t *Table) *SelectPerm {
	p, ok := t.SelectPermission(g.role)
	if !ok {
		return nil
	}
	if p == nil && g.admin {
		// A table built by hand without Index: build admin's permission here.
		p = t.adminSelect()
	}
	return p
}

// ins, upd and del return the role's mutation permissions on t, or nil.
// Admin may do everything.
func (g *roleGen) ins(t *Table) *InsertPerm {
	if g.admin {
		return &InsertPerm{Check: boolexp.True, Columns: allColumnSet(t)}
	}
	return t.Insert[g.role]
}

func (g *roleGen) upd(t *Table) *UpdatePerm {
	if g.admin {
		return &UpdatePerm{Filter: boolexp.True, Columns: allColumnSet(t)}
	}
	return t.Update[g.role]
}

func (g *roleGen) del(t *Table) *DeletePerm {
	if g.admin {
		return &DeletePerm{Filter: boolexp.True}
	}
	return t.Delete[g.role]
}

func allColumnSet(t *Table) map[string]bool {
	cols := make(map[string]bool, len(t.Columns))
	for _, c := range t.Columns {
		cols[c.Name] = true
	}
	return cols
}

// selColumns returns the columns p lets the role select, in table order.
func selColumns(t *Table, p *SelectPerm) []*Column {
	if p == nil {
		return nil
	}
	cols := make([]*Column, 0, len(t.Columns))
	for _, c := range t.Columns {
		if _, ok := p.Columns[c.Name]; ok {
			cols = append(cols, c)
		}
	}
	return cols
}

// pkSelectable reports whether t has a primary key whose columns p may all
// select (what _by_pk fields need).
func pkSelectable(t *Table, p *SelectPerm) bool {
	if p == nil || len(t.PrimaryKey) == 0 {
		return false
	}
	for _, c := range t.PrimaryKey {
		if _, ok := p.Columns[c.Name]; !ok {
			return false
		}
	}
	return true
}

func rootFieldAllowed(allowed map[string]bool, key string) bool {
	return allowed == nil || allowed[key]
}

// cfSelectable reports whether the role may select computed field cf of a
// table with permission p.
func (g *roleGen) cfSelectable(cf *ComputedField, p *SelectPerm) bool {
	if p == nil {
		return false
	}
	if cf.ReturnTable != nil {
		return g.sel(cf.ReturnTable) != nil
	}
	_, ok := p.ComputedFields[cf.Name]
	return ok
}

// -----------------------------------------------------------------------------
// Root fields

// queryFields returns the fields of query_root and subscription_root.
func (g *roleGen) queryFields() (query, subscription ast.FieldList) {
	if g.relay {
		return g.relayQueryFields()
	}
	for _, t := range g.m.Tables {
		p := g.sel(t)
		if p == nil {
			continue
		}
		add := func(kind RootKind, key string, f *ast.FieldDefinition) {
			if f == nil {
				return
			}
			rf := &RootField{Kind: kind, Table: t}
			if rootFieldAllowed(p.QueryRootFields, key) {
				query = append(query, f)
				g.rs.Query[f.Name] = rf
			}
			if rootFieldAllowed(p.SubscriptionRootFields, key) {
				subscription = append(subscription, f)
				g.rs.Subscription[f.Name] = rf
			}
		}
		add(RootSelect, "select", g.selectField(t))
		if pkSelectable(t, p) {
			add(RootSelectByPk, "select_by_pk", g.selectByPkField(t))
		}
		if p.AllowAggregations {
			add(RootSelectAggregate, "select_aggregate", g.selectAggregateField(t))
		}
		if rootFieldAllowed(p.SubscriptionRootFields, "select_stream") {
			if f := g.streamField(t); f != nil {
				subscription = append(subscription, f)
				g.rs.Subscription[f.Name] = &RootField{Kind: RootSelectStream, Table: t}
			}
		}
	}
	for _, f := range g.m.Functions {
		if f.Mutation || !g.mayCallFunction(f) {
			continue
		}
		for _, fd := range g.functionFields(f, false) {
			query = append(query, fd.field)
			subscription = append(subscription, fd.field)
			g.rs.Query[fd.field.Name] = fd.root
			g.rs.Subscription[fd.field.Name] = fd.root
		}
	}
	return query, subscription
}

// mayCallFunction reports whether the role may call f as a query.
func (g *roleGen) mayCallFunction(f *Function) bool {
	return g.admin || f.Roles[g.role]
}

// mayCallMutationFunction reports whether the role may call f as a mutation:
// with an explicit function permission only, inferred permissions do not
// count (Hasura's buildMutationFields, Note [Function Permissions]).
func (g *roleGen) mayCallMutationFunction(f *Function) bool {
	if g.admin {
		return true
	}
	// Roles holds the explicit permissions and those inherited roles get
	// from their parents; it never infers permissions for mutation
	// functions (Note [function permissions]).
	return f.Roles[g.role]
}

// mutationFields returns the fields of mutation_root.
func (g *roleGen) mutationFields() ast.FieldList {
	var fields ast.FieldList
	add := func(kind RootKind, t *Table, f *ast.FieldDefinition) {
		if f != nil {
			fields = append(fields, f)
			g.rs.Mutation[f.Name] = &RootField{Kind: kind, Table: t}
		}
	}
	for _, t := range g.m.Tables {
		if p := g.ins(t); p != nil && (!p.BackendOnly || g.backendOnly) && tableInsertable(t) {
			add(RootInsert, t, g.insertField(t))
			if g.sel(t) != nil {
				add(RootInsertOne, t, g.insertOneField(t))
			}
		}
		if p := g.upd(t); p != nil && (!p.BackendOnly || g.backendOnly) && tableUpdatable(t) {
			add(RootUpdate, t, g.updateField(t))
			if pkSelectable(t, g.sel(t)) {
				add(RootUpdateByPk, t, g.updateByPkField(t))
			}
			add(RootUpdateMany, t, g.updateManyField(t))
		}
		// Hasura guards deletes with the view's insertability
		// (deleteFromTable in Hasura.GraphQL.Schema.Mutation), and so do we.
		if p := g.del(t); p != nil && (!p.BackendOnly || g.backendOnly) && tableInsertable(t) {
			add(RootDelete, t, g.deleteField(t))
			if pkSelectable(t, g.sel(t)) {
				add(RootDeleteByPk, t, g.deleteByPkField(t))
			}
		}
	}
	for _, f := range g.m.Functions {
		if !f.Mutation || !g.mayCallMutationFunction(f) {
			continue
		}
		for _, fd := range g.functionFields(f, true) {
			fields = append(fields, fd.field)
			g.rs.Mutation[fd.field.Name] = fd.root
		}
	}
	return fields
}

func tableInsertable(t *Table) bool { return t.Info == nil || t.Info.Insertable }
func tableUpdatable(t *Table) bool  { return t.Info == nil || t.Info.Updatable }

// -----------------------------------------------------------------------------
// Per-table names

// tableNames caches the names derived from a table.
type tableNames struct {
	id       ident
	snake    string // id joined with "_"
	object   string
	gqlName  string // the table's GraphQL name in descriptions (custom name or snake name)
	sqlName  string // qualified SQL name in descriptions
	boolExp  string
	orderBy  string
	selCol   string
	aggBool  string
	typeName map[string]string
}

func (g *roleGen) tn(t *Table) *tableNames {
	if tn, ok := g.names[t]; ok {
		return tn
	}
	id := tableIdent(t)
	tn := &tableNames{
		id:      id,
		snake:   id.snake(),
		object:  g.n.typeName(id),
		sqlName: qualifiedText(t.Name),
		boolExp: g.n.typeName(id.plus("bool_exp")),
		orderBy: g.n.typeName(id.plus("order_by")),
		selCol:  g.n.typeName(id.plus("select_column")),
		aggBool: g.n.caseIdent(id.plus("aggregate_bool_exp")),
	}
	if id[0].custom {
		tn.gqlName = id[0].s
	} else {
		tn.gqlName = snakeQualified(t.Name)
	}
	g.names[t] = tn
	return tn
}

// typeWith returns the type name of t followed by suffix (snake_case
// words, as in "aggregate_fields" or "avg_order_by").
func (g *roleGen) typeWith(t *Table, suffix string) string {
	tn := g.tn(t)
	if !g.n.GraphQLDefault {
		// The parts are joined with "_" under hasura-default.
		return g.n.TypePrefix + tn.snake + "_" + suffix + g.n.TypeSuffix
	}
	if s, ok := tn.typeName[suffix]; ok {
		return s
	}
	s := g.n.typeName(tn.id.plus(suffix))
	if tn.typeName == nil {
		tn.typeName = make(map[string]string)
	}
	tn.typeName[suffix] = s
	return s
}

// ref returns the nullable named type name. The result is shared and must
// not be changed.
func (g *roleGen) ref(name string) *ast.Type {
	if t, ok := g.refs[name]; ok {
		return t
	}
	t := tNamed(name)
	g.refs[name] = t
	return t
}

// quoted is Hasura's <>> : a value in double quotes.
func quoted(s string) string { return `"` + s + `"` }
