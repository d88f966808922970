// Package schema turns metadata and the database catalog into what the GraphQL
// API serves: a role-independent [Model] of the tracked tables, functions,
// relationships and resolved permissions, and for each role its GraphQL
// schema ([RoleSchema], a gqlparser *ast.Schema plus root-field bindings).
//
// A [Snapshot] holds one Model and builds each role's schema once, on first
// use. Snapshots are immutable and swapped atomically by the server when
// metadata changes; requests in flight keep the snapshot they started with.
package schema

import (
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Options are the server settings that change the generated schema.
type Options struct {
	// StringifyNumericTypes outputs bigint, numeric, float8 and money as
	// strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES).
	StringifyNumericTypes bool
	// InferFunctionPermissions lets a role call a function when it may select
	// from the function's return table (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS, default true).
	InferFunctionPermissions bool
	// NamingConvention is "hasura-default" or "graphql-default".
	NamingConvention string
	// BooleanNullCollapse makes a null operand TRUE (HASURA_GRAPHQL_V1_BOOLEAN_NULL_COLLAPSE).
	BooleanNullCollapse bool
}

// Model is the consistent part of the metadata, resolved against the
// catalog. It is immutable after construction.
type Model struct {
	Catalog *catalog.Catalog
	Options Options
	// Tables are the consistent tracked tables, in metadata order.
	Tables []*Table
	// TableByName indexes Tables.
	TableByName map[catalog.QualifiedName]*Table
	// Functions are the consistent tracked functions, in metadata order.
	Functions []*Function
	// Roles lists every role named by a permission or an inherited role,
	// sorted, admin excluded.
	Roles []string
	// InheritedRoles maps an inherited role to its role set.
	InheritedRoles map[string][]string
	// Inconsistencies lists the metadata objects left out.
	Inconsistencies []metadata.Inconsistency
	// Allowlist holds the allow-listed queries.
	Allowlist *Allowlist
	// Source is the (single, "default") Postgres source's name and its
	// customization.
	Source              string
	SourceCustomization *metadata.SourceCustomization
}

// Table is a tracked table or view.
type Table struct {
	Name catalog.QualifiedName
	Info *catalog.Table
	Meta *metadata.Table
	// TypeName is the GraphQL object type: custom_name, else the table name
	// (prefixed "<schema>_" outside public), with source type-name customization.
	TypeName string
	// BaseTypeName is TypeName before source type-name customization, the
	// stem of the table's other types: a type_names prefix and suffix go
	// around "<BaseTypeName>_bool_exp" as a whole, not around BaseTypeName.
	BaseTypeName string
	// RootFields are the names of the table's root fields, source root-field
	// customization applied.
	RootFields RootFieldNames
	// Description is the type's description as Hasura has it: the configured
	// comment, else the table comment, else `columns and relationships of
	// "author"`; "" when the configured comment is empty.
	Description string

	// Columns are the tracked columns in table order.
	Columns []*Column
	// PrimaryKey is nil when the table has none.
	PrimaryKey []*Column
	// UniqueConstraints includes the primary key constraint.
	UniqueConstraints []*catalog.Constraint

	ObjectRelationships []*Relationship
	ArrayRelationships  []*Relationship
	ComputedFields      []*ComputedField

	// IsEnum is set for enum tables (is_enum: true); EnumValues are their rows.
	IsEnum     bool
	EnumValues []EnumValue

	// Select, Insert, Update and Delete hold each role's permission, inherited
	// roles resolved. A role absent from a map has no such permission; admin
	// is never present and has every permission.
	Select map[string]*SelectPerm
	Insert map[string]*InsertPerm
	Update map[string]*UpdatePerm
	Delete map[string]*DeletePerm

	columnBySQL   map[string]*Column
	columnByField map[string]*Column
	relByName     map[string]*Relationship
	cfByName      map[string]*ComputedField
	admin         *SelectPerm
}

// RootFieldNames are a table's root field names; "" means not exposed.
type RootFieldNames struct {
	Select, SelectByPk, SelectAggregate, SelectStream string
	Insert, InsertOne                                 string
	Update, UpdateByPk, UpdateMany                    string
	Delete, DeleteByPk                                string
	// Comments from custom_root_fields, by the keys above ("select", ...).
	Comments map[string]string
}

// Column is a tracked column.
type Column struct {
	Name     string // SQL name
	Field    string // GraphQL field name (custom_name or Name)
	Type     *catalog.Type
	Nullable bool
	// HasDefault is true for a DEFAULT, serial or identity column.
	HasDefault  bool
	Description string
	// Scalar is the GraphQL type of the column's values without list or
	// non-null wrappers: "Int", "String", "bigint", "<enum table>_enum", ...
	Scalar string
	// List is the number of list wrappers (array columns).
	List int
	// EnumTable is the enum table this column references by a foreign key, if any.
	EnumTable *Table
	Info      *catalog.Column
}

// Operand returns the operand type of the column's values.
func (c *Column) Operand() boolexp.Type { return boolexp.TypeOf(c.Type) }

// BoolexpColumn returns the column as a boolexp column.
func (c *Column) BoolexpColumn() boolexp.Column { return boolexp.Column{Name: c.Name, Type: c.Type} }

// RelKind is the kind of a relationship.
type RelKind int

const (
	ObjectRel RelKind = iota
	ArrayRel
)

// Relationship is an object or array relationship.
type Relationship struct {
	Name        string
	Kind        RelKind
	Target      *Table
	Mapping     []boolexp.ColumnPair // this table's column -> Target's column
	Description string
	// Nullable is false for an object relationship through a non-null
	// foreign key of this table (the field is then non-null in the schema).
	Nullable bool
	// InsertionOrder for manual object relationships ("before_parent" default).
	InsertionOrder string
}

// ComputedField is a function exposed as a field of a table.
type ComputedField struct {
	Name     string
	Function *catalog.Function
	// Description is the configured comment, else the function's comment,
	// else `A computed field, executes function "f"`.
	Description string
	// TableArg is the index of the argument that receives the row;
	// SessionArg the one that receives the session JSON, or -1.
	TableArg, SessionArg int
	// Args are the arguments the client passes, in function order.
	Args []*FunctionArg
	// ReturnTable is set when the function returns rows of a tracked table;
	// else the result is a scalar of type Scalar.
	ReturnTable *Table
	ReturnsSet  bool
	Scalar      string
	ResultType  *catalog.Type
}

// FunctionArg is a function argument the client supplies.
type FunctionArg struct {
	Name       string // SQL name; unnamed args are "arg_1", "arg_2", ... as in Hasura
	Index      int    // position in the function's argument list
	Type       *catalog.Type
	Scalar     string // GraphQL input type
	HasDefault bool
}

// Function is a tracked SQL function.
type Function struct {
	Name catalog.QualifiedName
	Info *catalog.Function
	Meta *metadata.Function
	// FieldName and AggregateFieldName are its root fields (source
	// root-field customization applied); ArgsTypeName is the name of its
	// arguments' input type ("<fn>_args", type-name customization applied).
	FieldName, AggregateFieldName string
	ArgsTypeName                  string
	// Description is the function's comment in metadata, else its database
	// comment.
	Description string
	ReturnTable *Table
	ReturnsSet  bool
	// Mutation is true when the function is exposed as a mutation (VOLATILE,
	// or exposed_as: mutation).
	Mutation   bool
	SessionArg int // -1 when none
	Args       []*FunctionArg
	// Roles that may call the function (explicit permissions; with inferred
	// permissions, every role that may select from ReturnTable).
	Roles map[string]bool
}

// EnumValue is a row of an enum table.
type EnumValue struct {
	Value   string
	Comment string
}

// SelectPerm is a role's select permission on a table.
type SelectPerm struct {
	Filter boolexp.Expr
	// Columns maps each allowed column's SQL name to nil (always visible) or
	// a condition under which it is visible; other rows see NULL (inherited
	// roles, Note [inherited role columns]).
	Columns        map[string]boolexp.Expr
	ComputedFields map[string]boolexp.Expr
	// Limit is 0 for no limit.
	Limit             int
	AllowAggregations bool
	// QueryRootFields and SubscriptionRootFields are nil for all root fields,
	// else the allowed subset of "select", "select_by_pk", "select_aggregate",
	// "select_stream".
	QueryRootFields        map[string]bool
	SubscriptionRootFields map[string]bool
	// SessionVars lists the session variables Filter and the column
	// conditions reference, sorted.
	SessionVars []string
}

// InsertPerm is a role's insert permission (used by the mutations issue).
type InsertPerm struct {
	Check boolexp.Expr
	// Columns are the insertable columns; preset columns are left out.
	Columns     map[string]bool
	Set         map[string]boolexp.Value // column -> preset
	BackendOnly bool
	// SessionVars lists the session variables Check and Set reference, sorted.
	SessionVars []string
}

// UpdatePerm is a role's update permission (used by the mutations issue).
type UpdatePerm struct {
	Filter boolexp.Expr
	Check  boolexp.Expr // nil when none
	// Columns are the updatable columns; preset columns are left out.
	Columns     map[string]bool
	Set         map[string]boolexp.Value
	BackendOnly bool
	// SessionVars lists the session variables Filter, Check and Set
	// reference, sorted.
	SessionVars []string
}

// DeletePerm is a role's delete permission (used by the mutations issue).
type DeletePerm struct {
	Filter      boolexp.Expr
	BackendOnly bool
	// SessionVars lists the session variables Filter references, sorted.
	SessionVars []string
}

// ColumnBySQL returns the tracked column with SQL name name.
func (t *Table) ColumnBySQL(name string) (*Column, bool) {
	c, ok := t.columnBySQL[name]
	return c, ok
}

// ColumnByField returns the tracked column whose GraphQL field is name.
func (t *Table) ColumnByField(name string) (*Column, bool) {
	c, ok := t.columnByField[name]
	return c, ok
}

// Relationship returns the relationship named name.
func (t *Table) Relationship(name string) (*Relationship, bool) {
	r, ok := t.relByName[name]
	return r, ok
}

// ComputedField returns the computed field named name.
func (t *Table) ComputedField(name string) (*ComputedField, bool) {
	c, ok := t.cfByName[name]
	return c, ok
}

// Index fills the lookup maps from Columns, relationships and computed
// fields. The model builder calls it once per table; tests that build
// tables by hand call it too.
func (t *Table) Index() {
	t.columnBySQL = make(map[string]*Column, len(t.Columns))
	t.columnByField = make(map[string]*Column, len(t.Columns))
	for _, c := range t.Columns {
		t.columnBySQL[c.Name] = c
		t.columnByField[c.Field] = c
	}
	t.relByName = make(map[string]*Relationship)
	for _, r := range t.ObjectRelationships {
		t.relByName[r.Name] = r
	}
	for _, r := range t.ArrayRelationships {
		t.relByName[r.Name] = r
	}
	t.cfByName = make(map[string]*ComputedField)
	for _, c := range t.ComputedFields {
		t.cfByName[c.Name] = c
	}
	t.admin = t.adminSelect()
}

// SelectPermission returns role's select permission; for admin it returns
// a permission with every column, no filter and no limit.
func (t *Table) SelectPermission(role string) (*SelectPerm, bool) {
	if role == "admin" {
		return t.admin, true
	}
	p, ok := t.Select[role]
	return p, ok
}

func (t *Table) adminSelect() *SelectPerm {
	cols := make(map[string]boolexp.Expr, len(t.Columns))
	for _, c := range t.Columns {
		cols[c.Name] = nil
	}
	// Computed fields returning rows take their permission from the
	// returned table, for admin as for any role (mkAdminRolePermInfo).
	cfs := make(map[string]boolexp.Expr, len(t.ComputedFields))
	for _, c := range t.ComputedFields {
		if c.ReturnTable == nil {
			cfs[c.Name] = nil
		}
	}
	return &SelectPerm{Filter: boolexp.True, Columns: cols, ComputedFields: cfs, AllowAggregations: true}
}
