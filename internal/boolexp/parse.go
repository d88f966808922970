package boolexp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/graftql/graft/internal/catalog"
)

// FieldKind says what a field named in a permission expression is.
type FieldKind int

const (
	FieldColumn FieldKind = iota + 1
	FieldRelationship
	FieldComputed
)

// Field is a field of a tracked table, as [ParsePermission] needs to know it.
type Field struct {
	Kind FieldKind
	// Column is set for FieldColumn.
	Column Column
	// Target and Mapping are set for FieldRelationship.
	Target  catalog.QualifiedName
	Mapping []ColumnPair
	// Computed is set for FieldComputed.
	Computed *ComputedFieldInfo
}

// ComputedFieldInfo describes a computed field for [ParsePermission].
type ComputedFieldInfo struct {
	Function catalog.QualifiedName
	// TableArg, SessionArg (-1 when none) and NumArgs as in [ComputedField].
	TableArg, SessionArg, NumArgs int
	// InputArgs is the number of arguments a caller supplies; such computed
	// fields cannot be used in permissions.
	InputArgs int
	// ResultType is the scalar result type; ReturnTable is set instead when
	// the function returns rows of a tracked table.
	ResultType  *catalog.Type
	ReturnTable *catalog.QualifiedName
}

// Resolver tells [ParsePermission] about the tables an expression names.
type Resolver interface {
	// Field returns the field called name of the tracked table. Its error,
	// when there is no such field, is reported as it is.
	Field(table catalog.QualifiedName, name string) (Field, error)
	// Tracked reports whether table is a tracked table (for _exists).
	Tracked(table catalog.QualifiedName) bool
}

// Note [permission expressions]
//
// ParsePermission follows Hasura's reading of permission JSON
// (hasura/graphql-engine: server/src-lib/Hasura/RQL/IR/BoolExp.hs,
// RQL/DDL/Permission/Internal.hs annBoolExp/annColExp and
// Backends/Postgres/DDL/BoolExp.hs parseBoolExpOperations):
//
//   - an object is the AND of its keys; _and/_or take a list, _not an
//     object, _exists {_table, _where}; "$and" and friends are aliases;
//   - any other key names a column, relationship or computed field of the
//     table; {col: value} that is not an object means {col: {_eq: value}};
//   - a string starting with "x-hasura-" (any case) is a session variable,
//     also as the whole operand of _in/_nin; "req_user_id" is the legacy
//     spelling of x-hasura-user-id; other values must suit the column type;
//   - _ceq.. compare with a column of the current table ("col" or ["col"])
//     or of the table the permission is defined on (["$", "col"]);
//   - a relationship's condition is over its target table; a computed field
//     returning rows changes the root table to its return table.
//
// Errors carry Hasura's messages; callers add the context.

// ParsePermission parses a permission filter or check over table. An empty
// or null expression is [True].
func ParsePermission(raw json.RawMessage, table catalog.QualifiedName, r Resolver) (Expr, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return True, nil
	}
	v, err := decodeOrdered(raw)
	if err != nil {
		return nil, fmt.Errorf("decode boolean expression: %w", err)
	}
	p := &permParser{r: r}
	return p.boolExp(v, table, table)
}

type permParser struct {
	r Resolver
}

// object is a decoded JSON object that keeps its key order.
type object struct {
	keys []string
	vals []any
}

func (o *object) get(k string) (any, bool) {
	for i, key := range o.keys {
		if key == k {
			return o.vals[i], true
		}
	}
	return nil, false
}

func decodeOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		o := &object{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			o.keys = append(o.keys, kt.(string))
			o.vals = append(o.vals, v)
		}
		_, err := dec.Token()
		return o, err
	case '[':
		a := []any{}
		for dec.More() {
			v, err := decodeValue(dec)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err := dec.Token()
		return a, err
	}
	return nil, fmt.Errorf("unexpected %v", d)
}

// plain turns decoded JSON into the values a Const holds: objects become
// map[string]any.
func plain(v any) any {
	switch x := v.(type) {
	case *object:
		m := make(map[string]any, len(x.keys))
		for i, k := range x.keys {
			m[k] = plain(x.vals[i])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	}
	return v
}

// jsonKind names a JSON value's kind as aeson does in its messages.
func jsonKind(v any) string {
	switch v.(type) {
	case *object:
		return "Object"
	case []any:
		return "Array"
	case string:
		return "String"
	case json.Number:
		return "Number"
	case bool:
		return "Boolean"
	case nil:
		return "Null"
	}
	return "Value"
}

func expected(what, kind string, v any) error {
	return fmt.Errorf("parsing %s failed, expected %s, but encountered %s", what, kind, jsonKind(v))
}

// boolExp parses an object over table; root is the table column
// comparisons with ["$", col] refer to.
func (p *permParser) boolExp(v any, table, root catalog.QualifiedName) (Expr, error) {
	o, ok := v.(*object)
	if !ok {
		return nil, expected("boolean expression", "Object", v)
	}
	out := make(And, 0, len(o.keys))
	for i, k := range o.keys {
		e, err := p.item(k, o.vals[i], table, root)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 1 {
		return out[0], nil
	}
	return out, nil
}

func (p *permParser) list(v any, table, root catalog.QualifiedName) ([]Expr, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, expected("[]", "Array", v)
	}
	out := make([]Expr, 0, len(a))
	for _, e := range a {
		x, err := p.boolExp(e, table, root)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (p *permParser) item(k string, v any, table, root catalog.QualifiedName) (Expr, error) {
	switch k {
	case "_and", "$and":
		es, err := p.list(v, table, root)
		if err != nil {
			return nil, err
		}
		return And(es), nil
	case "_or", "$or":
		es, err := p.list(v, table, root)
		if err != nil {
			return nil, err
		}
		return Or(es), nil
	case "_not", "$not":
		e, err := p.boolExp(v, table, root)
		if err != nil {
			return nil, err
		}
		return Not{Expr: e}, nil
	case "_exists", "$exists":
		return p.exists(v, root)
	}
	f, err := p.r.Field(table, k)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case FieldColumn:
		if baseOf(f.Column.Type).Name == "json" {
			return nil, errors.New("JSON column can not be part of boolean expression")
		}
		t := &target{name: k, col: f.Column, typ: f.Column.Type}
		es, err := p.columnOps(t, v, table, root)
		if err != nil {
			return nil, err
		}
		if len(es) == 1 {
			return es[0], nil
		}
		return And(es), nil
	case FieldRelationship:
		where, err := p.boolExp(v, f.Target, root)
		if err != nil {
			return nil, err
		}
		return &Relationship{Name: k, Target: f.Target, Mapping: f.Mapping, Where: where}, nil
	case FieldComputed:
		return p.computed(k, f.Computed, v, table, root)
	}
	return nil, fmt.Errorf("%q does not exist", k)
}

func (p *permParser) exists(v any, root catalog.QualifiedName) (Expr, error) {
	o, ok := v.(*object)
	if !ok {
		return nil, expected("_exists", "Object", v)
	}
	tv, ok := o.get("_table")
	if !ok {
		return nil, errors.New(`key "_table" not found`)
	}
	wv, ok := o.get("_where")
	if !ok {
		return nil, errors.New(`key "_where" not found`)
	}
	var q catalog.QualifiedName
	switch x := tv.(type) {
	case string:
		q = catalog.QualifiedName{Schema: "public", Name: x}
	case *object:
		q.Schema = "public"
		if s, ok := x.get("schema"); ok {
			if str, ok := s.(string); ok {
				q.Schema = str
			}
		}
		n, ok := x.get("name")
		if !ok {
			return nil, errors.New(`key "name" not found`)
		}
		str, ok := n.(string)
		if !ok {
			return nil, expected("QualifiedTable", "String", n)
		}
		q.Name = str
	default:
		return nil, expected("QualifiedTable", "Object", tv)
	}
	if !p.r.Tracked(q) {
		return nil, fmt.Errorf("table %s does not exist", quoteQualified(q))
	}
	where, err := p.boolExp(wv, q, root)
	if err != nil {
		return nil, err
	}
	return &Exists{Table: q, Where: where}, nil
}

func (p *permParser) computed(name string, cf *ComputedFieldInfo, v any, table, root catalog.QualifiedName) (Expr, error) {
	if cf.InputArgs > 0 {
		return nil, errors.New("Computed columns with input arguments can not be part of the where clause")
	}
	e := &ComputedField{Name: name, Function: cf.Function, TableArg: cf.TableArg, SessionArg: cf.SessionArg, NumArgs: cf.NumArgs}
	if cf.ReturnTable != nil {
		// The returned rows become the root of the expression inside
		// (buildComputedFieldBooleanExp passes the table's fields as root).
		rt := *cf.ReturnTable
		where, err := p.boolExp(v, rt, rt)
		if err != nil {
			return nil, err
		}
		e.Table, e.Where = &rt, where
		return e, nil
	}
	rt := TypeOf(cf.ResultType)
	e.ResultType = &rt
	t := &target{name: name, typ: cf.ResultType, computed: true}
	es, err := p.columnOps(t, v, table, root)
	if err != nil {
		return nil, err
	}
	for _, x := range es {
		c, ok := x.(*Compare)
		if !ok {
			return nil, errors.New("column comparison operators are not supported on computed fields")
		}
		e.Ops = append(e.Ops, *c)
	}
	return e, nil
}

// target is what operators compare: a column, possibly cast, or a scalar
// computed field.
type target struct {
	name     string
	col      Column
	typ      *catalog.Type // type of the compared values (the cast type under _cast)
	cast     *Type
	computed bool
}

var (
	typeText    = &catalog.Type{Schema: "pg_catalog", Name: "text", Kind: catalog.TypeBase, Category: 'S'}
	typeBool    = &catalog.Type{Schema: "pg_catalog", Name: "bool", Kind: catalog.TypeBase, Category: 'B'}
	typeFloat8  = &catalog.Type{Schema: "pg_catalog", Name: "float8", Kind: catalog.TypeBase, Category: 'N'}
	typeTextArr = &catalog.Type{Schema: "pg_catalog", Name: "_text", Kind: catalog.TypeArray, Category: 'A', Elem: typeText}
)

func arrayOf(t *catalog.Type) *catalog.Type {
	t = baseOf(t)
	return &catalog.Type{Schema: t.Schema, Name: "_" + t.Name, Kind: catalog.TypeArray, Category: 'A', Elem: t}
}

// sibling returns the type called name in the schema of t (lquery next to
// ltree, geography next to geometry).
func sibling(t *catalog.Type, name string) *catalog.Type {
	b := baseOf(t)
	return &catalog.Type{Schema: b.Schema, Name: name, Kind: catalog.TypeBase, Category: 'U'}
}

func (p *permParser) columnOps(t *target, v any, table, root catalog.QualifiedName) ([]Expr, error) {
	o, ok := v.(*object)
	if !ok {
		c, err := p.compare(t, OpEq, t.typ, v)
		if err != nil {
			return nil, err
		}
		return []Expr{c}, nil
	}
	var out []Expr
	for i, op := range o.keys {
		es, err := p.operation(t, op, o.vals[i], table, root)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

// operation parses one operator applied to t.
func (p *permParser) operation(t *target, op string, v any, table, root catalog.QualifiedName) ([]Expr, error) {
	one := func(o Op, typ *catalog.Type) ([]Expr, error) {
		c, err := p.compare(t, o, typ, v)
		if err != nil {
			return nil, err
		}
		return []Expr{c}, nil
	}
	name := strings.TrimPrefix(strings.TrimPrefix(op, "_"), "$")
	if op == name { // neither _ nor $ prefixed
		return nil, fmt.Errorf("Unknown operator: %s", op)
	}
	colTy := baseOf(t.typ)
	switch name {
	case "cast":
		return p.cast(t, v, table, root)
	case "eq":
		return one(OpEq, t.typ)
	case "ne", "neq":
		return one(OpNeq, t.typ)
	case "in":
		return one(OpIn, arrayOf(t.typ))
	case "nin":
		return one(OpNin, arrayOf(t.typ))
	case "gt":
		return one(OpGt, t.typ)
	case "lt":
		return one(OpLt, t.typ)
	case "gte":
		return one(OpGte, t.typ)
	case "lte":
		return one(OpLte, t.typ)
	case "is_null":
		b, ok := v.(bool)
		if !ok {
			return nil, expected("Bool", "Boolean", v)
		}
		return []Expr{&Compare{Column: t.col, Cast: t.cast, Op: OpIsNull, Args: []Operand{{Value: Const{V: b}, Type: TypeOf(typeBool)}}}}, nil
	case "like", "nlike", "ilike", "nilike", "similar", "nsimilar", "regex", "iregex", "nregex", "niregex":
		if err := guardType(t, isStringType, `"varchar", "text", "citext", "bpchar"`); err != nil {
			return nil, err
		}
		return one(stringOps[name], t.typ)
	case "contains", "contained_in":
		if err := guardType(t, func(b *catalog.Type) bool { return b.Kind == catalog.TypeArray || b.Name == "jsonb" }, "an array or JSONB"); err != nil {
			return nil, err
		}
		if name == "contains" {
			return one(OpContains, t.typ)
		}
		return one(OpContainedIn, t.typ)
	case "has_key":
		if err := guardType(t, isNamed("jsonb"), `"jsonb"`); err != nil {
			return nil, err
		}
		return one(OpHasKey, typeText)
	case "has_keys_any", "has_keys_all":
		if err := guardType(t, isNamed("jsonb"), `"jsonb"`); err != nil {
			return nil, err
		}
		if name == "has_keys_any" {
			return one(OpHasKeysAny, typeTextArr)
		}
		return one(OpHasKeysAll, typeTextArr)
	case "st_contains", "st_crosses", "st_equals", "st_overlaps", "st_touches", "st_within":
		if err := guardType(t, isNamed("geometry"), `"geometry"`); err != nil {
			return nil, err
		}
		return one(geometryOps[name], t.typ)
	case "st_intersects":
		if err := guardType(t, isNamed("geometry", "geography"), `"geometry", "geography"`); err != nil {
			return nil, err
		}
		return one(OpSTIntersects, t.typ)
	case "st_d_within":
		return p.dWithin(t, v)
	case "ceq", "cne", "cneq", "cgt", "clt", "cgte", "clte":
		return p.columnCompare(t, columnOps[name], v, table, root)
	case "ancestor", "descendant":
		if err := guardType(t, isNamed("ltree"), `"ltree"`); err != nil {
			return nil, err
		}
		if name == "ancestor" {
			return one(OpAncestor, t.typ)
		}
		return one(OpDescendant, t.typ)
	case "ancestor_any", "descendant_any":
		if err := guardType(t, isNamed("ltree"), `"ltree"`); err != nil {
			return nil, err
		}
		if name == "ancestor_any" {
			return one(OpAncestorAny, arrayOf(colTy))
		}
		return one(OpDescendantAny, arrayOf(colTy))
	case "matches", "matches_any", "matches_fulltext":
		if err := guardType(t, isNamed("ltree"), `"ltree"`); err != nil {
			return nil, err
		}
		switch name {
		case "matches":
			return one(OpMatches, sibling(colTy, "lquery"))
		case "matches_any":
			return one(OpMatchesAny, arrayOf(sibling(colTy, "lquery")))
		}
		return one(OpMatchesFulltext, sibling(colTy, "ltxtquery"))
	}
	return nil, fmt.Errorf("Unknown operator: %s", op)
}

var stringOps = map[string]Op{
	"like": OpLike, "nlike": OpNlike, "ilike": OpIlike, "nilike": OpNilike,
	"similar": OpSimilar, "nsimilar": OpNsimilar,
	"regex": OpRegex, "iregex": OpIregex, "nregex": OpNregex, "niregex": OpNiregex,
}

var geometryOps = map[string]Op{
	"st_contains": OpSTContains, "st_crosses": OpSTCrosses, "st_equals": OpSTEquals,
	"st_overlaps": OpSTOverlaps, "st_touches": OpSTTouches, "st_within": OpSTWithin,
}

var columnOps = map[string]Op{
	"ceq": OpEq, "cne": OpNeq, "cneq": OpNeq, "cgt": OpGt, "clt": OpLt, "cgte": OpGte, "clte": OpLte,
}

func isNamed(names ...string) func(*catalog.Type) bool {
	return func(t *catalog.Type) bool {
		if t.Kind == catalog.TypeArray {
			return false
		}
		for _, n := range names {
			if t.Name == n {
				return true
			}
		}
		return false
	}
}

func isStringType(t *catalog.Type) bool {
	if t.Kind == catalog.TypeArray {
		return false
	}
	switch t.Name {
	case "varchar", "text", "citext", "bpchar", "char":
		return true
	}
	return false
}

// guardType fails unless the compared type satisfies ok (guardTypeWhere;
// the message starts with a space, as Hasura's does).
func guardType(t *target, ok func(*catalog.Type) bool, expectedTypes string) error {
	if ok(baseOf(t.typ)) {
		return nil
	}
	return fmt.Errorf(` is of type %q; this operator works only on columns of type %s`, TypeText(t.typ), expectedTypes)
}

func (p *permParser) compare(t *target, op Op, typ *catalog.Type, v any) (*Compare, error) {
	val, err := p.value(v, typ)
	if err != nil {
		return nil, err
	}
	// Operands are cast to the base type of a domain, as Hasura names
	// column types by their base type.
	return &Compare{Column: t.col, Cast: t.cast, Op: op, Args: []Operand{{Value: val, Type: TypeOf(baseOf(typ))}}}, nil
}

func (p *permParser) cast(t *target, v any, table, root catalog.QualifiedName) ([]Expr, error) {
	o, ok := v.(*object)
	if !ok {
		return nil, expected("HashMap", "Object", v)
	}
	from := baseOf(t.typ)
	var out []Expr
	for i, name := range o.keys {
		var to *catalog.Type
		switch {
		case from.Name == "geometry" && name == "geography":
			to = sibling(from, "geography")
		case from.Name == "geography" && name == "geometry":
			to = sibling(from, "geometry")
		case from.Name == "jsonb" && name == "text":
			to = typeText
		default:
			return nil, fmt.Errorf("cannot cast column of type %q to type %q", TypeText(t.typ), castTypeText(name))
		}
		ct := TypeOf(to)
		casted := &target{name: t.name, col: t.col, typ: to, cast: &ct, computed: t.computed}
		es, err := p.columnOps(casted, o.vals[i], table, root)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
	}
	return out, nil
}

func castTypeText(name string) string {
	return TypeText(&catalog.Type{Schema: "pg_catalog", Name: name, Kind: catalog.TypeBase})
}

func (p *permParser) dWithin(t *target, v any) ([]Expr, error) {
	colTy := baseOf(t.typ)
	if colTy.Kind == catalog.TypeArray || (colTy.Name != "geometry" && colTy.Name != "geography") {
		return nil, fmt.Errorf(` is of type %q; this operator works only on columns of type "geometry", "geography"`, TypeText(t.typ))
	}
	o, ok := v.(*object)
	if !ok {
		return nil, expected("DWithinGeomOp", "Object", v)
	}
	dv, ok := o.get("distance")
	if !ok {
		return nil, errors.New(`key "distance" not found`)
	}
	fv, ok := o.get("from")
	if !ok {
		return nil, errors.New(`key "from" not found`)
	}
	dist, err := p.value(dv, typeFloat8)
	if err != nil {
		return nil, err
	}
	from, err := p.value(fv, t.typ)
	if err != nil {
		return nil, err
	}
	args := []Operand{{Value: dist, Type: TypeOf(typeFloat8)}, {Value: from, Type: TypeOf(colTy)}}
	if colTy.Name == "geography" {
		var sph Value = Const{V: true}
		if sv, ok := o.get("use_spheroid"); ok {
			if sph, err = p.value(sv, typeBool); err != nil {
				return nil, err
			}
		}
		args = append(args, Operand{Value: sph, Type: TypeOf(typeBool)})
	}
	return []Expr{&Compare{Column: t.col, Cast: t.cast, Op: OpSTDWithin, Args: args}}, nil
}

func (p *permParser) columnCompare(t *target, op Op, v any, table, root catalog.QualifiedName) ([]Expr, error) {
	var colName any
	isRoot := false
	switch x := v.(type) {
	case string:
		colName = x
	case []any:
		switch {
		case len(x) == 0:
			return nil, errors.New("path cannot be empty")
		case len(x) == 1:
			colName = x[0]
		case len(x) == 2 && x[0] == "$":
			colName, isRoot = x[1], true
		default:
			return nil, errors.New("Relationship references are not supported in column comparison RHS")
		}
	default:
		return nil, errors.New("a boolean expression JSON must be either a string or an array")
	}
	name, ok := colName.(string)
	if !ok {
		return nil, expected("Text", "String", colName)
	}
	in := table
	if isRoot {
		in = root
	}
	f, err := p.r.Field(in, name)
	if err != nil {
		return nil, fmt.Errorf("column %w", err)
	}
	if f.Kind != FieldColumn {
		kind := "relationship"
		if f.Kind == FieldComputed {
			kind = "computed field"
		}
		return nil, fmt.Errorf("expecting a database column; but, %q is a %s; column operators can only compare postgres columns", name, kind)
	}
	if TypeText(f.Column.Type) != TypeText(t.typ) {
		return nil, fmt.Errorf("incompatible column types: %q has type %q, but %q has type %q",
			t.name, TypeText(t.typ), name, TypeText(f.Column.Type))
	}
	if t.computed {
		return nil, errors.New("column comparison operators are not supported on computed fields")
	}
	return []Expr{&ColumnCompare{Column: t.col, Op: op, Other: f.Column, Root: isRoot}}, nil
}

// value parses an operand of type t: a session variable or a literal that
// suits t (parseCollectableType).
func (p *permParser) value(v any, t *catalog.Type) (Value, error) {
	if s, ok := v.(string); ok {
		if sv, ok := sessionVar(s); ok {
			return sv, nil
		}
	}
	if err := checkLiteral(v, t); err != nil {
		return nil, err
	}
	return Const{V: plain(v)}, nil
}

// sessionVar reports whether s names a session variable.
func sessionVar(s string) (SessionVar, bool) {
	l := strings.ToLower(s)
	if strings.HasPrefix(l, "x-hasura-") {
		return SessionVar{Name: l}, true
	}
	if l == "req_user_id" {
		return SessionVar{Name: "x-hasura-user-id"}, true
	}
	return SessionVar{}, false
}

// checkLiteral checks that v is a JSON value Hasura accepts for type t
// (parseScalarValue), with aeson's messages.
func checkLiteral(v any, t *catalog.Type) error {
	if v == nil {
		return nil
	}
	b := baseOf(t)
	if b.Kind == catalog.TypeArray {
		a, ok := v.([]any)
		if !ok {
			return expected("[]", "Array", v)
		}
		for _, e := range a {
			if err := checkLiteral(e, b.Elem); err != nil {
				return err
			}
		}
		return nil
	}
	var what, kind string
	switch b.Name {
	case "int2":
		what, kind = "Int16", "Number"
	case "int4":
		what, kind = "Int32", "Number"
	case "int8":
		what, kind = "Int64", "Number"
	case "float4":
		what, kind = "Float", "Number"
	case "float8":
		what, kind = "Double", "Number"
	case "numeric", "money":
		what, kind = "Scientific", "Number"
	case "bool":
		what, kind = "Bool", "Boolean"
	case "json", "jsonb", "geometry", "geography":
		return nil
	default:
		what, kind = "Text", "String"
	}
	ok := false
	switch v.(type) {
	case json.Number:
		ok = kind == "Number"
	case bool:
		ok = kind == "Boolean"
	case string:
		ok = kind == "String"
	}
	if !ok {
		return expected(what, kind, v)
	}
	return nil
}

func baseOf(t *catalog.Type) *catalog.Type {
	for t != nil && t.Kind == catalog.TypeDomain && t.Base != nil {
		t = t.Base
	}
	return t
}

// TypeText is how Hasura names a column type in messages
// (pgScalarTypeToText): "integer", "text", "float8", "int4"[] as
// "integer[]"; domains are shown as their base type.
func TypeText(t *catalog.Type) string {
	b := baseOf(t)
	if b.Kind == catalog.TypeArray && b.Elem != nil {
		return TypeText(b.Elem) + "[]"
	}
	switch b.Name {
	case "int2":
		return "smallint"
	case "int4":
		return "integer"
	case "int8":
		return "bigint"
	case "float4":
		return "real"
	case "bool":
		return "boolean"
	case "char":
		return "bpchar"
	}
	return b.Name
}

func quoteQualified(q catalog.QualifiedName) string {
	if q.Schema == "public" {
		return `"` + q.Name + `"`
	}
	return `"` + q.Schema + "." + q.Name + `"`
}

// ParseValue parses a permission preset (the "set" of an insert or update
// permission) for a column of type t: a session variable or a literal that
// suits t.
func ParseValue(raw json.RawMessage, t *catalog.Type) (Value, error) {
	v, err := decodeOrdered(bytes.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("decode value: %w", err)
	}
	return (&permParser{}).value(v, t)
}
