// Package boolexp is the IR of Hasura's boolean expressions, shared by
// where-arguments (parsed from GraphQL by package plan) and permission
// filters and checks (parsed from metadata JSON by package schema).
//
// An expression is over the rows of one table; columns are named by their SQL
// names. Values are never SQL text: a [Value] is a [Const] (a literal of the
// query or of the metadata), a [Var] (a GraphQL variable) or a [SessionVar],
// and package pgsql binds each as a parameter.
package boolexp

import (
	"github.com/graftql/graft/internal/catalog"
)

// Expr is a boolean expression. The set of node types is closed.
type Expr interface{ exprNode() }

// And is true when every operand is; an empty And is true.
type And []Expr

// Or is true when some operand is; an empty Or is false.
type Or []Expr

// Not negates its operand.
type Not struct{ Expr Expr }

// Compare applies an operator to a column of the current row.
type Compare struct {
	Column Column
	// Cast, if set, compares the column cast to another type (the _cast
	// operator: jsonb to text, geometry to geography and back).
	Cast *Type
	Op   Op
	// Args are the operands; most operators take one. _is_null takes a
	// boolean Const; _st_d_within takes (distance, from).
	Args []Operand
}

// ColumnCompare compares a column with another column (_ceq, _cne, ... in
// permissions): of the current row, or of the root table when Root is set
// (["$", "col"]).
type ColumnCompare struct {
	Column Column
	Op     Op
	Other  Column
	Root   bool
}

// Relationship is true when a related row exists that satisfies Where (and
// Permission). It joins the current row to Target by Mapping.
type Relationship struct {
	Name    string
	Target  catalog.QualifiedName
	Mapping []ColumnPair
	Where   Expr
	// Permission is the target table's select filter for the role, added by
	// plan for where-arguments (Note [permissions on relationship filters]);
	// nil in permission expressions, which are evaluated as admin.
	Permission Expr
}

// ColumnPair joins a column of the current table to one of the remote table.
type ColumnPair struct{ Local, Remote string }

// Exists is _exists: true when some row of Table satisfies Where.
type Exists struct {
	Table catalog.QualifiedName
	Where Expr
}

// AggregatePredicate is <arr_rel>_aggregate: {count|bool_and|bool_or: {...}}:
// an aggregate over the related rows compared with Predicate.
type AggregatePredicate struct {
	Relationship Relationship // Where is the aggregate's filter
	Function     string       // "count", "bool_and", "bool_or"
	Columns      []Column     // arguments; none for count(*)
	Distinct     bool
	// Predicate compares the aggregate's result; its Column is unused.
	Predicate []Compare
}

// ComputedField compares the result of a scalar computed field, or (when
// Table is set) filters through a computed field returning table rows.
type ComputedField struct {
	Name     string
	Function catalog.QualifiedName
	// TableArg is the index of the argument receiving the row; SessionArg the
	// one receiving the session JSON, or -1. NumArgs is the total.
	TableArg, SessionArg, NumArgs int
	// Scalar comparison (Table == nil).
	ResultType *Type
	Ops        []Compare // Column unused
	// Set-returning: rows of Table that satisfy Where.
	Table      *catalog.QualifiedName
	Where      Expr
	Permission Expr
}

func (And) exprNode()                 {}
func (Or) exprNode()                  {}
func (Not) exprNode()                 {}
func (*Compare) exprNode()            {}
func (*ColumnCompare) exprNode()      {}
func (*Relationship) exprNode()       {}
func (*Exists) exprNode()             {}
func (*AggregatePredicate) exprNode() {}
func (*ComputedField) exprNode()      {}

// True is the expression {} (always true).
var True Expr = And{}

// IsTrue reports whether e is trivially true (an empty And, or nil).
func IsTrue(e Expr) bool {
	if e == nil {
		return true
	}
	a, ok := e.(And)
	return ok && len(a) == 0
}

// Column is a column of the table an expression is over.
type Column struct {
	Name string // SQL name
	Type *catalog.Type
	// Cond, when set, is the condition under which the role may see the
	// column (inherited roles, Note [inherited role columns] in package
	// schema): elsewhere the column reads as NULL, in filters, sort keys
	// and aggregates as in the output.
	Cond Expr
}

// Operand is a value cast to a type.
type Operand struct {
	Value Value
	Type  Type
}

// Type is the SQL type an operand is cast to, and how its JSON value is
// encoded as parameter text.
type Type struct {
	// SQL is the type as written in a cast, without array brackets: "int4",
	// "text", `"public"."geometry"`.
	SQL string
	// Dims is the number of array dimensions (1 for the list of _in).
	Dims int
	// Encoding says how a JSON value becomes parameter text.
	Encoding Encoding
}

// TypeOf returns the operand type for values of t.
func TypeOf(t *catalog.Type) Type {
	if t.Kind == catalog.TypeArray && t.Elem != nil {
		e := TypeOf(t.Elem)
		e.Dims++
		return e
	}
	enc := EncodeScalar
	switch t.Name {
	case "json", "jsonb":
		enc = EncodeJSON
	case "geometry", "geography":
		enc = EncodeGeoJSON
	}
	return Type{SQL: t.SQL(), Encoding: enc}
}

// ArrayOf returns the type of a list of t (for _in, _nin, _has_keys_any...).
func (t Type) ArrayOf() Type { t.Dims++; return t }

// Encoding is how a JSON value is turned into the text of a parameter.
type Encoding int

const (
	// EncodeScalar: strings as they are, numbers and booleans as JSON text,
	// lists as PostgreSQL array literals, objects as JSON text.
	EncodeScalar Encoding = iota
	// EncodeJSON: the JSON text of the value (json and jsonb).
	EncodeJSON
	// EncodeGeoJSON: the JSON text of a GeoJSON object, converted with
	// ST_GeomFromGeoJSON (and to geography when the type is geography).
	EncodeGeoJSON
)

// Value is an operand's value. The set of node types is closed.
type Value interface{ valueNode() }

// Const is a literal of the query or of the metadata, as decoded JSON:
// nil, bool, json.Number, string, []any or map[string]any.
type Const struct{ V any }

// Var is a GraphQL variable (after coercion), by name.
type Var struct{ Name string }

// SessionVar is a session variable, by lower-case name ("x-hasura-user-id").
type SessionVar struct{ Name string }

func (Const) valueNode()      {}
func (Var) valueNode()        {}
func (SessionVar) valueNode() {}

// Op is a comparison operator.
type Op int

//go:generate stringer -type=Op -trimprefix=Op
const (
	OpEq Op = iota
	OpNeq
	OpGt
	OpLt
	OpGte
	OpLte
	OpIn
	OpNin
	OpIsNull
	OpLike
	OpNlike
	OpIlike
	OpNilike
	OpSimilar
	OpNsimilar
	OpRegex
	OpNregex
	OpIregex
	OpNiregex
	OpContains
	OpContainedIn
	OpHasKey
	OpHasKeysAny
	OpHasKeysAll
	OpSTContains
	OpSTCrosses
	OpSTEquals
	OpSTIntersects
	OpSTOverlaps
	OpSTTouches
	OpSTWithin
	OpSTDWithin // (distance, from[, use_spheroid on geography])
	OpSTIntersectsRast
	OpSTIntersectsNbandGeom
	OpSTIntersectsGeomNband
	OpAncestor
	OpAncestorAny
	OpDescendant
	OpDescendantAny
	OpMatches
	OpMatchesAny
	OpMatchesFulltext
	OpST3DIntersects
	OpST3DDWithin
)

// Ops maps Hasura's operator names (the field names of <S>_comparison_exp)
// to operators. _cast is structural and not listed. Column comparison
// operators (_ceq ...) are in [ColumnOps].
var Ops = map[string]Op{
	"_eq": OpEq, "_neq": OpNeq, "_gt": OpGt, "_lt": OpLt, "_gte": OpGte, "_lte": OpLte,
	"_in": OpIn, "_nin": OpNin, "_is_null": OpIsNull,
	"_like": OpLike, "_nlike": OpNlike, "_ilike": OpIlike, "_nilike": OpNilike,
	"_similar": OpSimilar, "_nsimilar": OpNsimilar,
	"_regex": OpRegex, "_nregex": OpNregex, "_iregex": OpIregex, "_niregex": OpNiregex,
	"_contains": OpContains, "_contained_in": OpContainedIn,
	"_has_key": OpHasKey, "_has_keys_any": OpHasKeysAny, "_has_keys_all": OpHasKeysAll,
	"_st_contains": OpSTContains, "_st_crosses": OpSTCrosses, "_st_equals": OpSTEquals,
	"_st_intersects": OpSTIntersects, "_st_overlaps": OpSTOverlaps, "_st_touches": OpSTTouches,
	"_st_within": OpSTWithin, "_st_d_within": OpSTDWithin,
	"_st_3d_intersects": OpST3DIntersects, "_st_3d_d_within": OpST3DDWithin,
	"_st_intersects_rast": OpSTIntersectsRast, "_st_intersects_nband_geom": OpSTIntersectsNbandGeom,
	"_st_intersects_geom_nband": OpSTIntersectsGeomNband,
	"_ancestor":                 OpAncestor, "_ancestor_any": OpAncestorAny, "_descendant": OpDescendant,
	"_descendant_any": OpDescendantAny, "_matches": OpMatches, "_matches_any": OpMatchesAny,
	"_matches_fulltext": OpMatchesFulltext,
	// Legacy aliases Hasura still accepts.
	"$eq": OpEq, "$ne": OpNeq, "$gt": OpGt, "$lt": OpLt, "$gte": OpGte, "$lte": OpLte,
	"$in": OpIn, "$nin": OpNin, "$like": OpLike, "$nlike": OpNlike, "$ilike": OpIlike,
	"$nilike": OpNilike, "$similar": OpSimilar, "$nsimilar": OpNsimilar,
	"_ne": OpNeq,
}

// ColumnOps maps the column comparison operators of permissions.
var ColumnOps = map[string]Op{
	"_ceq": OpEq, "_cne": OpNeq, "_cneq": OpNeq, "_cgt": OpGt, "_clt": OpLt, "_cgte": OpGte, "_clte": OpLte,
	"$ceq": OpEq, "$cne": OpNeq, "$cgt": OpGt, "$clt": OpLt, "$cgte": OpGte, "$clte": OpLte,
}
