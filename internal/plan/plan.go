// Package plan turns a validated GraphQL operation into graft's IR: what to
// read, from where, under which permissions, shaped how.
//
// The request pipeline, one package per stage; imports point down only:
//
//	HTTP request
//	   │ server: body, headers
//	   ▼
//	auth ──► session.Session (role, x-hasura-* variables)
//	   │
//	   ▼
//	gql: parse + validate against schema.Snapshot.Role(role)   (gqlparser)
//	   │ *ast.OperationDefinition, coerced variables
//	   ▼
//	plan: Build ──► *plan.Root (this package; permissions applied)
//	   │
//	   ▼
//	pgsql: Compile ──► one SQL statement + parameter specs
//	   │
//	   ▼
//	exec: bind parameters, run on pgxpool, stream PostgreSQL's JSON bytes
//	   │
//	   ▼
//	server: {"data": ...} or apierr envelope
//
// A Root depends only on the document, the role and the values of the
// variables the plan read structurally ([Root.StructuralVars]); everything
// else a request carries (scalar variables, literals, session variables) is
// a [boolexp.Value] bound as a parameter, so one plan (and one prepared
// statement) serves every user of a role.
package plan

import (
	"encoding/json"
	"strconv"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/schema"
)

// Root is a planned operation.
type Root struct {
	// Fields are the root fields in response order.
	Fields []*RootField
	// StructuralVars lists the variables whose values shaped the plan (a
	// whole where-object, an enum, an @include condition...). A cached plan
	// is reused only for requests with equal values for them. Sorted, each
	// once.
	StructuralVars []string
	// SessionVars lists the session variables the plan reads; each must be
	// present when the plan runs.
	SessionVars []string
	// VarChecks are the checks CheckVars applies to a request's variable
	// values before PostgreSQL sees them: no negative count (limit, offset,
	// batch_size, first, last), and Note [input value checks].
	VarChecks []VarCheck
	// Mutation is set for mutation operations.
	Mutation bool
	// Stream is set when the root field is a streaming subscription
	// (<t>_stream; Note [streaming cursor]).
	Stream *Stream
}

// VarCheck is a check of a variable's value, given at an argument's JSON
// path.
type VarCheck struct {
	Var  string
	Path string
	kind valueKind
	dims int
}

// CheckVars checks a request's variable values against the plan's
// VarChecks, with the error Hasura gives for the value.
func (r *Root) CheckVars(vars map[string]any) error {
	for _, c := range r.VarChecks {
		if err := checkJSON(c.kind, c.dims, vars[c.Var], c.Path); err != nil {
			return err
		}
	}
	return nil
}

// negative reports a variable value that is a number below zero.
func negative(v any) bool {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return err == nil && f < 0
	case int64:
		return n < 0
	case int:
		return n < 0
	case float64:
		return n < 0
	}
	return false
}

// RootField is one field of the response's data object.
type RootField struct {
	Alias string
	// Static is the field's value when it needs no database: __typename,
	// introspection, no_queries_available.
	Static []byte
	// Select reads from the database.
	Select *Select
	// Mutation writes to the database.
	Mutation *Mutation
}

// Shape says what JSON a Select produces.
type Shape int

const (
	// Many is a JSON array of row objects.
	Many Shape = iota
	// One is a row object or null (by-pk fields, object relationships).
	One
	// Aggregate is an object with aggregate/nodes fields.
	Aggregate
	// Connection is a Relay connection object (edges, pageInfo).
	Connection
)

// Select reads rows of one table (or function) and shapes them as JSON.
type Select struct {
	Shape Shape
	// Table is the table the rows belong to.
	Table *schema.Table
	// Function, when set, is the row source instead of Table itself.
	Function *FunctionCall
	// Join links the rows to the parent row (relationships); nil at the root.
	Join []boolexp.ColumnPair
	// Perm is the role's row filter (nil: none, as for admin).
	Perm boolexp.Expr
	// Where is the client's filter (nil: none).
	Where      boolexp.Expr
	OrderBy    []OrderBy
	DistinctOn []boolexp.Column
	// Limit and Offset are the client's (nil: none); PermLimit is the role's
	// limit (0: none).
	Limit, Offset *boolexp.Operand
	PermLimit     int
	// Fields are the row fields (Many, One), the aggregate object's fields
	// (Aggregate: FieldAggregate, FieldNodes, FieldTypename) or the
	// connection's (Connection: FieldEdges, FieldPageInfo, FieldTypename).
	Fields []*Field
	// Conn holds a Relay connection's slicing (Shape Connection).
	Conn *ConnectionArgs
}

// ConnectionArgs are a Relay connection's first/last and after/before.
type ConnectionArgs struct {
	First, Last *boolexp.Operand
	// Split keeps rows after (or, with Before, before) a cursor: one value
	// per sort key of the select's OrderBy.
	Split  []boolexp.Operand
	Before bool
}

// FunctionCall is a call of a SQL function returning rows.
type FunctionCall struct {
	Name catalog.QualifiedName
	Args []FunctionArg
}

// FunctionArg is an argument of a call. Exactly one of its fields is set.
type FunctionArg struct {
	// Name is used for named notation ("" for positional).
	Name string
	// Value is a client value.
	Value *boolexp.Operand
	// Row passes the parent row (computed fields).
	Row bool
	// Session passes the session variables as json.
	Session bool
}

// FieldKind says what a Field is.
type FieldKind int

const (
	FieldColumn FieldKind = iota
	FieldTypename
	FieldObjectRel   // Select has Shape One
	FieldArrayRel    // Select has Shape Many
	FieldArrayAgg    // Select has Shape Aggregate
	FieldComputed    // scalar computed field: Call
	FieldComputedSet // computed field returning rows: Select (Many or One)
	FieldAggregate   // the "aggregate" object: Children are FieldCount, FieldAggOp, FieldTypename
	FieldNodes       // the "nodes" array: Children are row fields
	FieldCount       // count(columns, distinct)
	FieldAggOp       // sum/avg/max/...: Children are FieldColumn (and FieldTypename)
	FieldRelayID     // Relay node id: base64 of [1, schema, table, pk...]
	FieldConnection  // a Relay connection of an array relationship: Select (Shape Connection)
	FieldEdges       // edges: Children are FieldCursor, FieldNode, FieldTypename
	FieldCursor      // an edge's cursor
	FieldNode        // an edge's node: Children are row fields
	FieldPageInfo    // pageInfo: Children are the page info fields and FieldTypename
	FieldHasNextPage
	FieldHasPreviousPage
	FieldStartCursor
	FieldEndCursor
)

// Field is one field of a JSON object the SQL builds.
type Field struct {
	Alias string
	Kind  FieldKind
	// Column is the column of FieldColumn (and of aggregate op children).
	Column boolexp.Column
	// Cond, when set, shows the column only on rows that satisfy it (NULL
	// elsewhere): inherited roles, Note [inherited role columns].
	Cond boolexp.Expr
	// JSONPath is the path argument of a json/jsonb column (a text[] operand).
	JSONPath *boolexp.Operand
	// Output says how the value is turned into JSON.
	Output Output
	// Typename is the value of FieldTypename.
	Typename string
	// Select is the nested read of relationship and computed set fields.
	Select *Select
	// Call is the scalar computed field's function call.
	Call *FunctionCall
	// Children are the fields of FieldAggregate, FieldNodes and FieldAggOp.
	Children []*Field
	// AggOp is the aggregate function of FieldAggOp ("sum", "avg", ...).
	AggOp string
	// CountColumns and CountDistinct are the arguments of FieldCount.
	CountColumns  []boolexp.Column
	CountDistinct bool
	// RelayKey lists the primary key columns and RelayTable the table of
	// FieldRelayID.
	RelayKey   []boolexp.Column
	RelayTable catalog.QualifiedName
}

// Output is how a column's value becomes JSON.
type Output int

const (
	// OutputJSON uses PostgreSQL's to_json conversion.
	OutputJSON Output = iota
	// OutputText outputs the value's text (stringified numerics).
	OutputText
	// OutputGeoJSON outputs geometry/geography as GeoJSON.
	OutputGeoJSON
)

// OrderBy is one sort key.
type OrderBy struct {
	// Path are the object relationships to follow first.
	Path []*RelStep
	// Column sorts by a column (of the table at the end of Path).
	Column *boolexp.Column
	// Agg sorts by an aggregate over an array relationship at the end of Path.
	Agg *AggregateKey
	// Computed sorts by a scalar computed field.
	Computed   *FunctionCall
	Desc       bool
	NullsFirst bool
	// CursorPath names the key in a Relay cursor object
	// ({"author": {"name": ...}, "id": ...}).
	CursorPath []string
	// Type is the key's type, for comparing it with a cursor value.
	Type boolexp.Type
}

// RelStep is a step through an object relationship, with the target's
// permission filter.
type RelStep struct {
	Target  catalog.QualifiedName
	Mapping []boolexp.ColumnPair
	Perm    boolexp.Expr
}

// AggregateKey is count or op(column) over an array relationship, or over
// the rows of a computed field (Computed set; Rel.Perm filters them).
type AggregateKey struct {
	Rel      RelStep
	Computed *FunctionCall
	Op       string // "count", "sum", "avg", "max", "min", ...
	Column   *boolexp.Column
}
