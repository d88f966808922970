package boolexp

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/catalog"
)

func pgType(name string) *catalog.Type {
	return &catalog.Type{Schema: "pg_catalog", Name: name, Kind: catalog.TypeBase}
}

func extType(name string) *catalog.Type {
	return &catalog.Type{Schema: "public", Name: name, Kind: catalog.TypeBase}
}

var (
	tInt4     = pgType("int4")
	tText     = pgType("text")
	tVarchar  = pgType("varchar")
	tJSONB    = pgType("jsonb")
	tJSON     = pgType("json")
	tBool     = pgType("bool")
	tGeometry = extType("geometry")
	tGeog     = extType("geography")
	tLtree    = extType("ltree")
	tTextArr  = &catalog.Type{Schema: "pg_catalog", Name: "_text", Kind: catalog.TypeArray, Elem: tText}
	tEmail    = &catalog.Type{Schema: "public", Name: "email", Kind: catalog.TypeDomain, Base: tText}

	qAuthor  = catalog.QualifiedName{Schema: "public", Name: "author"}
	qArticle = catalog.QualifiedName{Schema: "public", Name: "article"}
	qSecret  = catalog.QualifiedName{Schema: "private", Name: "secret"}
)

// testResolver is a fixed set of tables for parser tests.
type testResolver map[catalog.QualifiedName]map[string]Field

func (r testResolver) Tracked(q catalog.QualifiedName) bool { _, ok := r[q]; return ok }

func (r testResolver) Field(q catalog.QualifiedName, name string) (Field, error) {
	t, ok := r[q]
	if !ok {
		return Field{}, fmt.Errorf("table %q does not exist", q.Name)
	}
	f, ok := t[name]
	if !ok {
		return Field{}, fmt.Errorf("%q does not exist", name)
	}
	return f, nil
}

func col(name string, t *catalog.Type) Field {
	return Field{Kind: FieldColumn, Column: Column{Name: name, Type: t}}
}

var resolver = testResolver{
	qAuthor: {
		"id":        col("id", tInt4),
		"name":      col("name", tText),
		"bio":       col("bio", tVarchar),
		"info":      col("info", tJSONB),
		"raw":       col("raw", tJSON),
		"active":    col("active", tBool),
		"geom":      col("geom", tGeometry),
		"geog":      col("geog", tGeog),
		"path":      col("path", tLtree),
		"tags":      col("tags", tTextArr),
		"email":     col("email", tEmail),
		"owner_id":  col("owner_id", tInt4),
		"articles":  {Kind: FieldRelationship, Target: qArticle, Mapping: []ColumnPair{{Local: "id", Remote: "author_id"}}},
		"full_name": {Kind: FieldComputed, Computed: &ComputedFieldInfo{Function: catalog.QualifiedName{Schema: "public", Name: "author_full_name"}, SessionArg: -1, NumArgs: 1, ResultType: tText}},
		"search":    {Kind: FieldComputed, Computed: &ComputedFieldInfo{Function: catalog.QualifiedName{Schema: "public", Name: "author_search"}, SessionArg: -1, NumArgs: 2, InputArgs: 1, ResultType: tText}},
		"recent":    {Kind: FieldComputed, Computed: &ComputedFieldInfo{Function: catalog.QualifiedName{Schema: "public", Name: "recent_articles"}, SessionArg: 1, NumArgs: 2, ReturnTable: &qArticle}},
	},
	qArticle: {
		"id":        col("id", tInt4),
		"author_id": col("author_id", tInt4),
		"title":     col("title", tText),
		"author":    {Kind: FieldRelationship, Target: qAuthor, Mapping: []ColumnPair{{Local: "author_id", Remote: "id"}}},
	},
	qSecret: {
		"owner_id": col("owner_id", tInt4),
	},
}

func n(s string) json.Number { return json.Number(s) }

func cmpOp(column string, t *catalog.Type, op Op, args ...Operand) *Compare {
	return &Compare{Column: Column{Name: column, Type: t}, Op: op, Args: args}
}

func arg(v Value, t *catalog.Type) Operand { return Operand{Value: v, Type: TypeOf(t)} }

func arrT(t *catalog.Type) *catalog.Type {
	return &catalog.Type{Schema: t.Schema, Name: "_" + t.Name, Kind: catalog.TypeArray, Category: 'A', Elem: t}
}

func TestParsePermission(t *testing.T) {
	t.Parallel()
	uid := SessionVar{Name: "x-hasura-user-id"}
	lquery := &catalog.Type{Schema: "public", Name: "lquery", Kind: catalog.TypeBase, Category: 'U'}
	ltxtquery := &catalog.Type{Schema: "public", Name: "ltxtquery", Kind: catalog.TypeBase, Category: 'U'}
	geography := &catalog.Type{Schema: "public", Name: "geography", Kind: catalog.TypeBase, Category: 'U'}
	geogType := TypeOf(geography)
	textType := TypeOf(typeText)
	tests := []struct {
		name  string
		table catalog.QualifiedName
		json  string
		want  Expr
	}{
		{"Empty", qAuthor, `{}`, And{}},
		{"Absent", qAuthor, ``, True},
		{"Eq", qAuthor, `{"id": {"_eq": 1}}`, cmpOp("id", tInt4, OpEq, arg(Const{n("1")}, tInt4))},
		{"ImplicitEq", qAuthor, `{"id": "X-Hasura-User-Id"}`, cmpOp("id", tInt4, OpEq, arg(uid, tInt4))},
		{"LegacyReqUserID", qAuthor, `{"id": {"$eq": "REQ_USER_ID"}}`, cmpOp("id", tInt4, OpEq, arg(uid, tInt4))},
		{"Ops", qAuthor, `{"id": {"_neq": 1, "_gt": 2, "_lt": 3, "_gte": 4, "_lte": 5, "_ne": 6}}`, And{
			cmpOp("id", tInt4, OpNeq, arg(Const{n("1")}, tInt4)),
			cmpOp("id", tInt4, OpGt, arg(Const{n("2")}, tInt4)),
			cmpOp("id", tInt4, OpLt, arg(Const{n("3")}, tInt4)),
			cmpOp("id", tInt4, OpGte, arg(Const{n("4")}, tInt4)),
			cmpOp("id", tInt4, OpLte, arg(Const{n("5")}, tInt4)),
			cmpOp("id", tInt4, OpNeq, arg(Const{n("6")}, tInt4)),
		}},
		{"InList", qAuthor, `{"id": {"_in": [1, 2]}}`, cmpOp("id", tInt4, OpIn, arg(Const{[]any{n("1"), n("2")}}, arrT(tInt4)))},
		{"InSessionVar", qAuthor, `{"id": {"_nin": "x-hasura-allowed-ids"}}`, cmpOp("id", tInt4, OpNin, arg(SessionVar{"x-hasura-allowed-ids"}, arrT(tInt4)))},
		{"IsNull", qAuthor, `{"name": {"_is_null": true}}`, cmpOp("name", tText, OpIsNull, arg(Const{true}, typeBool))},
		{"StringOps", qAuthor, `{"bio": {"_like": "a%", "_nlike": "b", "_ilike": "c", "_nilike": "d", "_similar": "e", "_nsimilar": "f", "_regex": "g", "_nregex": "h", "_iregex": "i", "_niregex": "j"}}`, And{
			cmpOp("bio", tVarchar, OpLike, arg(Const{"a%"}, tVarchar)),
			cmpOp("bio", tVarchar, OpNlike, arg(Const{"b"}, tVarchar)),
			cmpOp("bio", tVarchar, OpIlike, arg(Const{"c"}, tVarchar)),
			cmpOp("bio", tVarchar, OpNilike, arg(Const{"d"}, tVarchar)),
			cmpOp("bio", tVarchar, OpSimilar, arg(Const{"e"}, tVarchar)),
			cmpOp("bio", tVarchar, OpNsimilar, arg(Const{"f"}, tVarchar)),
			cmpOp("bio", tVarchar, OpRegex, arg(Const{"g"}, tVarchar)),
			cmpOp("bio", tVarchar, OpNregex, arg(Const{"h"}, tVarchar)),
			cmpOp("bio", tVarchar, OpIregex, arg(Const{"i"}, tVarchar)),
			cmpOp("bio", tVarchar, OpNiregex, arg(Const{"j"}, tVarchar)),
		}},
		{"DomainOperandIsBaseType", qAuthor, `{"email": {"_like": "%@x"}}`, &Compare{Column: Column{Name: "email", Type: tEmail}, Op: OpLike, Args: []Operand{arg(Const{"%@x"}, tText)}}},
		{"JSONB", qAuthor, `{"info": {"_contains": {"a": [1]}, "_contained_in": {"b": 2}, "_has_key": "k", "_has_keys_any": ["a", "b"], "_has_keys_all": "X-Hasura-Keys"}}`, And{
			cmpOp("info", tJSONB, OpContains, arg(Const{map[string]any{"a": []any{n("1")}}}, tJSONB)),
			cmpOp("info", tJSONB, OpContainedIn, arg(Const{map[string]any{"b": n("2")}}, tJSONB)),
			cmpOp("info", tJSONB, OpHasKey, arg(Const{"k"}, typeText)),
			cmpOp("info", tJSONB, OpHasKeysAny, arg(Const{[]any{"a", "b"}}, typeTextArr)),
			cmpOp("info", tJSONB, OpHasKeysAll, arg(SessionVar{"x-hasura-keys"}, typeTextArr)),
		}},
		{"ArrayContains", qAuthor, `{"tags": {"_contains": ["a"]}}`, cmpOp("tags", tTextArr, OpContains, arg(Const{[]any{"a"}}, tTextArr))},
		{"CastJSONBToText", qAuthor, `{"info": {"_cast": {"text": {"_like": "%x%"}}}}`, &Compare{Column: Column{Name: "info", Type: tJSONB}, Cast: &textType, Op: OpLike, Args: []Operand{arg(Const{"%x%"}, typeText)}}},
		{"Geometry", qAuthor, `{"geom": {"_st_contains": {"type": "Point", "coordinates": [1, 2]}, "_st_crosses": "x-hasura-geom", "_st_equals": {}, "_st_overlaps": {}, "_st_touches": {}, "_st_within": {}, "_st_intersects": {}}}`, And{
			cmpOp("geom", tGeometry, OpSTContains, arg(Const{map[string]any{"type": "Point", "coordinates": []any{n("1"), n("2")}}}, tGeometry)),
			cmpOp("geom", tGeometry, OpSTCrosses, arg(SessionVar{"x-hasura-geom"}, tGeometry)),
			cmpOp("geom", tGeometry, OpSTEquals, arg(Const{map[string]any{}}, tGeometry)),
			cmpOp("geom", tGeometry, OpSTOverlaps, arg(Const{map[string]any{}}, tGeometry)),
			cmpOp("geom", tGeometry, OpSTTouches, arg(Const{map[string]any{}}, tGeometry)),
			cmpOp("geom", tGeometry, OpSTWithin, arg(Const{map[string]any{}}, tGeometry)),
			cmpOp("geom", tGeometry, OpSTIntersects, arg(Const{map[string]any{}}, tGeometry)),
		}},
		{"DWithinGeometry", qAuthor, `{"geom": {"_st_d_within": {"distance": 10, "from": {"type": "Point"}}}}`,
			cmpOp("geom", tGeometry, OpSTDWithin, arg(Const{n("10")}, typeFloat8), arg(Const{map[string]any{"type": "Point"}}, tGeometry))},
		{"DWithinGeography", qAuthor, `{"geog": {"_st_d_within": {"distance": "X-Hasura-Dist", "from": {"type": "Point"}, "use_spheroid": false}}}`,
			cmpOp("geog", tGeog, OpSTDWithin, arg(SessionVar{"x-hasura-dist"}, typeFloat8), arg(Const{map[string]any{"type": "Point"}}, tGeog), arg(Const{false}, typeBool))},
		{"DWithinGeographyDefaultSpheroid", qAuthor, `{"geog": {"_st_d_within": {"distance": 1, "from": {}}}}`,
			cmpOp("geog", tGeog, OpSTDWithin, arg(Const{n("1")}, typeFloat8), arg(Const{map[string]any{}}, tGeog), arg(Const{true}, typeBool))},
		{"CastGeometryToGeography", qAuthor, `{"geom": {"_cast": {"geography": {"_st_intersects": {}}}}}`,
			&Compare{Column: Column{Name: "geom", Type: tGeometry}, Cast: &geogType, Op: OpSTIntersects, Args: []Operand{arg(Const{map[string]any{}}, geography)}}},
		{"Ltree", qAuthor, `{"path": {"_ancestor": "a.b", "_ancestor_any": ["a"], "_descendant": "a", "_descendant_any": ["b"], "_matches": "*.b", "_matches_any": ["*"], "_matches_fulltext": "a & b"}}`, And{
			cmpOp("path", tLtree, OpAncestor, arg(Const{"a.b"}, tLtree)),
			cmpOp("path", tLtree, OpAncestorAny, arg(Const{[]any{"a"}}, arrT(tLtree))),
			cmpOp("path", tLtree, OpDescendant, arg(Const{"a"}, tLtree)),
			cmpOp("path", tLtree, OpDescendantAny, arg(Const{[]any{"b"}}, arrT(tLtree))),
			cmpOp("path", tLtree, OpMatches, arg(Const{"*.b"}, lquery)),
			cmpOp("path", tLtree, OpMatchesAny, arg(Const{[]any{"*"}}, arrT(lquery))),
			cmpOp("path", tLtree, OpMatchesFulltext, arg(Const{"a & b"}, ltxtquery)),
		}},
		{"AndOrNot", qAuthor, `{"_or": [{"id": {"_eq": 1}}, {"_not": {"name": {"_eq": "x"}}}], "$and": []}`, And{
			Or{cmpOp("id", tInt4, OpEq, arg(Const{n("1")}, tInt4)), Not{cmpOp("name", tText, OpEq, arg(Const{"x"}, tText))}},
			And{},
		}},
		{"ColumnCompare", qAuthor, `{"owner_id": {"_ceq": "id", "_cne": ["id"], "_cgt": ["$", "id"], "_clt": "id", "_cgte": "id", "_clte": "id"}}`, And{
			&ColumnCompare{Column: Column{Name: "owner_id", Type: tInt4}, Op: OpEq, Other: Column{Name: "id", Type: tInt4}},
			&ColumnCompare{Column: Column{Name: "owner_id", Type: tInt4}, Op: OpNeq, Other: Column{Name: "id", Type: tInt4}},
			&ColumnCompare{Column: Column{Name: "owner_id", Type: tInt4}, Op: OpGt, Other: Column{Name: "id", Type: tInt4}, Root: true},
			&ColumnCompare{Column: Column{Name: "owner_id", Type: tInt4}, Op: OpLt, Other: Column{Name: "id", Type: tInt4}},
			&ColumnCompare{Column: Column{Name: "owner_id", Type: tInt4}, Op: OpGte, Other: Column{Name: "id", Type: tInt4}},
			&ColumnCompare{Column: Column{Name: "owner_id", Type: tInt4}, Op: OpLte, Other: Column{Name: "id", Type: tInt4}},
		}},
		{"Relationship", qArticle, `{"author": {"id": {"_eq": "X-Hasura-User-Id"}}}`, &Relationship{
			Name: "author", Target: qAuthor, Mapping: []ColumnPair{{Local: "author_id", Remote: "id"}},
			Where: cmpOp("id", tInt4, OpEq, arg(uid, tInt4)),
		}},
		{"RelationshipRootColumn", qArticle, `{"author": {"id": {"_ceq": ["$", "author_id"]}}}`, &Relationship{
			Name: "author", Target: qAuthor, Mapping: []ColumnPair{{Local: "author_id", Remote: "id"}},
			Where: &ColumnCompare{Column: Column{Name: "id", Type: tInt4}, Op: OpEq, Other: Column{Name: "author_id", Type: tInt4}, Root: true},
		}},
		{"RelationshipExists", qAuthor, `{"articles": {}}`, &Relationship{Name: "articles", Target: qArticle, Mapping: []ColumnPair{{Local: "id", Remote: "author_id"}}, Where: And{}}},
		{"Exists", qAuthor, `{"_exists": {"_table": {"schema": "private", "name": "secret"}, "_where": {"owner_id": {"_eq": "X-Hasura-User-Id"}}}}`, &Exists{
			Table: qSecret, Where: cmpOp("owner_id", tInt4, OpEq, arg(uid, tInt4)),
		}},
		{"ExistsBareTable", qAuthor, `{"_exists": {"_table": "article", "_where": {}}}`, &Exists{Table: qArticle, Where: And{}}},
		{"ComputedScalar", qAuthor, `{"full_name": {"_ilike": "%x%"}}`, &ComputedField{
			Name: "full_name", Function: catalog.QualifiedName{Schema: "public", Name: "author_full_name"}, SessionArg: -1, NumArgs: 1,
			ResultType: ptr(TypeOf(tText)), Ops: []Compare{{Op: OpIlike, Args: []Operand{arg(Const{"%x%"}, tText)}}},
		}},
		{"ComputedTable", qAuthor, `{"recent": {"author_id": {"_ceq": ["$", "id"]}}}`, &ComputedField{
			Name: "recent", Function: catalog.QualifiedName{Schema: "public", Name: "recent_articles"}, TableArg: 0, SessionArg: 1, NumArgs: 2,
			Table: &qArticle,
			// The root of the expression inside is the returned table.
			Where: &ColumnCompare{Column: Column{Name: "author_id", Type: tInt4}, Op: OpEq, Other: Column{Name: "id", Type: tInt4}, Root: true},
		}},
		{"NullOperand", qAuthor, `{"id": {"_eq": null}}`, cmpOp("id", tInt4, OpEq, arg(Const{nil}, tInt4))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePermission(json.RawMessage(tt.json), tt.table, resolver)
			if err != nil {
				t.Fatalf("ParsePermission: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePermission(%s) mismatch (-want +got):\n%s", tt.json, diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestParsePermission_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		table catalog.QualifiedName
		json  string
		want  string
	}{
		{"UnknownColumn", qAuthor, `{"nope": {"_eq": 1}}`, `"nope" does not exist`},
		{"UnknownColumnInRelationship", qArticle, `{"author": {"nope": {"_eq": 1}}}`, `"nope" does not exist`},
		{"UnknownOperator", qAuthor, `{"id": {"_foo": 1}}`, `Unknown operator: _foo`},
		{"NotAnOperator", qAuthor, `{"id": {"eq": 1}}`, `Unknown operator: eq`},
		{"RasterOpsNotInPermissions", qAuthor, `{"geom": {"_st_intersects_rast": {}}}`, `Unknown operator: _st_intersects_rast`},
		{"JSONColumn", qAuthor, `{"raw": {"_eq": 1}}`, `JSON column can not be part of boolean expression`},
		{"LikeOnInt", qAuthor, `{"id": {"_like": "1"}}`, ` is of type "integer"; this operator works only on columns of type "varchar", "text", "citext", "bpchar"`},
		{"HasKeyOnText", qAuthor, `{"name": {"_has_key": "a"}}`, ` is of type "text"; this operator works only on columns of type "jsonb"`},
		{"ContainsOnText", qAuthor, `{"name": {"_contains": "a"}}`, ` is of type "text"; this operator works only on columns of type an array or JSONB`},
		{"GeometryOpOnGeography", qAuthor, `{"geog": {"_st_contains": {}}}`, ` is of type "geography"; this operator works only on columns of type "geometry"`},
		{"DWithinOnText", qAuthor, `{"name": {"_st_d_within": {}}}`, ` is of type "text"; this operator works only on columns of type "geometry", "geography"`},
		{"BadCast", qAuthor, `{"geom": {"_cast": {"text": {}}}}`, `cannot cast column of type "geometry" to type "text"`},
		{"IntFromString", qAuthor, `{"id": {"_eq": "1"}}`, `parsing Int32 failed, expected Number, but encountered String`},
		{"TextFromNumber", qAuthor, `{"name": 1}`, `parsing Text failed, expected String, but encountered Number`},
		{"InNotList", qAuthor, `{"id": {"_in": 1}}`, `parsing [] failed, expected Array, but encountered Number`},
		{"IsNullNotBool", qAuthor, `{"id": {"_is_null": "X-Hasura-B"}}`, `parsing Bool failed, expected Boolean, but encountered String`},
		{"IncompatibleColumns", qAuthor, `{"name": {"_ceq": "id"}}`, `incompatible column types: "name" has type "text", but "id" has type "integer"`},
		{"CompareUnknownColumn", qAuthor, `{"id": {"_ceq": "nope"}}`, `column "nope" does not exist`},
		{"CompareRelationshipPath", qAuthor, `{"id": {"_ceq": ["articles", "id"]}}`, `Relationship references are not supported in column comparison RHS`},
		{"ExistsUntracked", qAuthor, `{"_exists": {"_table": "ghost", "_where": {}}}`, `table "ghost" does not exist`},
		{"ExistsNoWhere", qAuthor, `{"_exists": {"_table": "article"}}`, `key "_where" not found`},
		{"AndNotList", qAuthor, `{"_and": {"id": {"_eq": 1}}}`, `parsing [] failed, expected Array, but encountered Object`},
		{"NotObject", qAuthor, `[]`, `parsing boolean expression failed, expected Object, but encountered Array`},
		{"ComputedWithArgs", qAuthor, `{"search": {"_eq": "a"}}`, `Computed columns with input arguments can not be part of the where clause`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParsePermission(json.RawMessage(tt.json), tt.table, resolver)
			if err == nil {
				t.Fatalf("ParsePermission(%s): no error, want %q", tt.json, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("ParsePermission(%s) error = %q, want %q", tt.json, err.Error(), tt.want)
			}
		})
	}
}

func TestParseValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		typ  *catalog.Type
		want Value
	}{
		{`"X-Hasura-User-Id"`, tInt4, SessionVar{"x-hasura-user-id"}},
		{`5`, tInt4, Const{n("5")}},
		{`"NOW()"`, pgType("timestamptz"), Const{"NOW()"}},
		{`{"a": 1}`, tJSONB, Const{map[string]any{"a": n("1")}}},
	}
	for _, tt := range tests {
		got, err := ParseValue(json.RawMessage(tt.json), tt.typ)
		if err != nil {
			t.Errorf("ParseValue(%s): %v", tt.json, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseValue(%s) mismatch (-want +got):\n%s", tt.json, diff)
		}
	}
}
