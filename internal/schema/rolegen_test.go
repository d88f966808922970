package schema

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// printSchema prints s as SDL, types and fields in name order.
func printSchema(s *ast.Schema) string {
	var b bytes.Buffer
	formatter.NewFormatter(&b, formatter.WithIndent("  ")).FormatSchema(s)
	return b.String()
}

// golden compares got with testdata/<name>, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// introspectionQuery is the query GraphiQL sends (graphql-js
// getIntrospectionQuery with its defaults).
const introspectionQuery = `
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      locations
      args { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  fields(includeDeprecated: true) {
    name
    description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) {
    name
    description
    isDeprecated
    deprecationReason
  }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind
  name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}
`

// mustValidate parses and validates query against s.
func mustValidate(t *testing.T, s *ast.Schema, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse query: %v", err)
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		t.Fatalf("validate %q: %v", strings.TrimSpace(query), errs)
	}
	return doc
}

// validationErrors returns the validation errors of query against s.
func validationErrors(t *testing.T, s *ast.Schema, query string) []string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse query: %v", err)
	}
	var msgs []string
	for _, e := range validator.Validate(s, doc) {
		msgs = append(msgs, e.Message)
	}
	return msgs
}

// kitchenSink is a model that uses every kind of column, relationship,
// computed field and function the generator knows.
func kitchenSink() *Model {
	colors := table("colors", []string{"value"}, col("value", tyText, false), col("comment", tyText, true))
	colors.IsEnum = true
	colors.EnumValues = []EnumValue{{Value: "red", Comment: "#FF0000"}, {Value: "blue", Comment: "#0000FF"}, {Value: "green"}}

	place := schemaTable("geo", "place", []string{"id"},
		col("id", tyUUID, false),
		col("name", tyText, false),
		col("location", tyGeometry, true),
		col("area", tyGeography, true),
		col("tags", tyTextArray, true),
		col("path", tyLtree, true),
		col("data", tyJSONB, false),
		col("duration", tyInterval, true),
		col("color", tyText, true),
		col("population", tyInt8, true),
		col("score", tyNumeric, true),
	)
	color := place.column("color")
	color.EnumTable = colors
	color.Scalar = "colors_enum"
	comment := "The place's name"
	place.Meta.Configuration = &metadata.TableConfig{
		ColumnConfig: map[string]metadata.ColumnConfig{"name": {Comment: &comment}},
	}
	objRel(place, "colorByColor", colors, true, "color", "value")

	nameFn := &catalog.Function{Name: catalog.QualifiedName{Schema: "geo", Name: "place_upper_name"}, ReturnType: tyText}
	place.ComputedFields = append(place.ComputedFields,
		&ComputedField{Name: "upper_name", Function: nameFn, ResultType: tyText, Scalar: "String", TableArg: 0, SessionArg: -1},
		&ComputedField{
			Name: "nearby", ReturnTable: place, ReturnsSet: true, TableArg: 0, SessionArg: -1,
			Function: &catalog.Function{Name: catalog.QualifiedName{Schema: "geo", Name: "nearby_places"}, Description: "places within a radius"},
			Args:     []*FunctionArg{{Name: "radius", Index: 1, Type: tyFloat8, Scalar: "float8"}},
		},
	)

	m := model(colors, place)
	search := &Function{
		Name:        catalog.QualifiedName{Schema: "public", Name: "search_places"},
		ReturnTable: place,
		ReturnsSet:  true,
		SessionArg:  -1,
		Args:        []*FunctionArg{{Name: "search", Type: tyText, Scalar: "String"}, {Name: "lim", Index: 1, Type: tyInt4, Scalar: "Int", HasDefault: true}},
		Roles:       map[string]bool{"user": true},
	}
	touch := &Function{
		Name:        catalog.QualifiedName{Schema: "public", Name: "touch_place"},
		Meta:        &metadata.Function{},
		ReturnTable: place,
		ReturnsSet:  false,
		Mutation:    true,
		SessionArg:  -1,
		Args:        []*FunctionArg{{Name: "arg_1", Type: tyUUID, Scalar: "uuid"}},
		// A mutation function needs an explicit permission; Build never
		// infers one, so no role but admin may call it here.
		Roles: map[string]bool{},
	}
	m.Functions = []*Function{search, touch}
	selectPerm(place, "user", true)
	return m
}

// userModel is authorArticle with a restricted role "user": it may see two
// columns of author, every column of article with aggregates, insert
// articles and update their title.
func userModel() *Model {
	m, author, article := authorArticle()
	ap := selectPerm(author, "user", false, "id", "name")
	ap.QueryRootFields = map[string]bool{"select": true, "select_by_pk": true}
	selectPerm(article, "user", true)
	article.Insert["user"] = &InsertPerm{Check: boolexp.True, Columns: colSet(article, "title", "author_id", "published")}
	article.Update["user"] = &UpdatePerm{Filter: boolexp.True, Columns: colSet(article, "title")}
	author.Delete["user"] = &DeletePerm{Filter: boolexp.True, BackendOnly: true}
	return m
}

var goldenCases = []struct {
	name  string
	model func() *Model
	role  string
	relay bool
}{
	{"admin", func() *Model { m, _, _ := authorArticle(); return m }, "admin", false},
	{"user", userModel, "user", false},
	{"no_permissions", userModel, "nobody", false},
	{"kitchen_sink_admin", kitchenSink, "admin", false},
	{"kitchen_sink_user", kitchenSink, "user", false},
	{"relay_admin", func() *Model { m, _, _ := authorArticle(); return m }, "admin", true},
	{"relay_user", userModel, "user", true},
	{"relay_hidden_key", func() *Model {
		// The role may not read author.id, yet author rows are Relay
		// nodes with an id, as in Hasura (the compat case
		// relay/permissions/author_connection.yaml).
		m, author, article := authorArticle()
		selectPerm(author, "user", false, "name")
		selectPerm(article, "user", false)
		return m
	}, "user", true},
	{"graphql_default", func() *Model {
		m, _, _ := authorArticle()
		m.Options.NamingConvention = "graphql-default"
		return m
	}, "admin", false},
}

func TestBuildRoleSchema_Golden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			rs := BuildRoleSchema(tc.model(), tc.role, tc.relay)
			golden(t, filepath.Join("rolegen", tc.name+".graphql"), printSchema(rs.Schema))
		})
	}
}

// TestBuildRoleSchema_Introspectable checks that the introspection query
// and a few ordinary queries validate against every generated schema.
func TestBuildRoleSchema_Introspectable(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			rs := BuildRoleSchema(tc.model(), tc.role, tc.relay)
			mustValidate(t, rs.Schema, introspectionQuery)
			mustValidate(t, rs.Schema, `{ __typename __type(name: "query_root") { name fields { name } } }`)
			for name := range rs.Query {
				if name == "no_queries_available" {
					mustValidate(t, rs.Schema, `{ no_queries_available }`)
				}
			}
		})
	}
}

func TestBuildRoleSchema_Queries(t *testing.T) {
	admin := BuildRoleSchema(func() *Model { m, _, _ := authorArticle(); return m }(), "admin", false)
	for _, q := range []string{
		`{ author(where: {articles: {rating: {_gt: 2}}}, order_by: [{articles_aggregate: {count: desc}}], distinct_on: [name]) { id name info(path: "$.a") articles(limit: 2) { title } articles_aggregate { aggregate { count(columns: [id], distinct: true) avg { rating } max { created_at } } nodes { id } } } }`,
		`{ author_by_pk(id: 1) { id } article_aggregate(where: {author: {name: {_ilike: "%a%"}}}) { aggregate { sum { rating } } } }`,
		`{ author(where: {articles_aggregate: {count: {predicate: {_gt: 1}, filter: {published: {_eq: true}}}, bool_and: {arguments: published, predicate: {_eq: true}}}}) { id } }`,
		`{ author(where: {info: {_has_key: "a", _contains: {b: 1}, _cast: {String: {_like: "%"}}}}) { id } }`,
		`mutation { insert_article(objects: [{title: "t", author: {data: {name: "n"}, on_conflict: {constraint: author_pkey, update_columns: [name]}}}]) { affected_rows returning { id } } }`,
		`mutation { update_author(where: {}, _append: {info: {}}, _delete_at_path: {info: ["a"]}, _inc: {id: 1}) { affected_rows } update_article_many(updates: [{where: {}, _set: {title: "x"}}]) { affected_rows } }`,
		`mutation { delete_author_by_pk(id: 1) { id } update_author_by_pk(pk_columns: {id: 1}, _set: {name: "x"}) { id } }`,
		`subscription { article_stream(batch_size: 10, cursor: [{initial_value: {id: 1}, ordering: ASC}]) { id } }`,
	} {
		mustValidate(t, admin.Schema, q)
	}
	sink := BuildRoleSchema(kitchenSink(), "admin", false)
	for _, q := range []string{
		`{ geo_place(where: {location: {_st_d_within: {distance: 1, from: {type: "Point", coordinates: [0, 0]}}}, area: {_st_d_within: {distance: 1, from: {}, use_spheroid: false}}, path: {_ancestor_any: ["a"], _matches: "a.*"}, color: {_eq: red}, tags: {_contains: ["x"]}}) { id color upper_name nearby(args: {radius: 1}, limit: 1) { id } } }`,
		`{ search_places(args: {search: "x"}) { id } search_places_aggregate(args: {search: "x"}) { aggregate { count } } }`,
		`mutation { touch_place(args: {arg_1: "00000000-0000-0000-0000-000000000000"}) { id } }`,
	} {
		mustValidate(t, sink.Schema, q)
	}
}

// TestBuildRoleSchema_Permissions checks the rules of hasura.md §4
// "Role-specific schema".
func TestBuildRoleSchema_Permissions(t *testing.T) {
	user := BuildRoleSchema(userModel(), "user", false).Schema
	nobody := BuildRoleSchema(userModel(), "nobody", false).Schema

	fieldNames := func(s *ast.Schema, typ string) []string {
		d := s.Types[typ]
		if d == nil {
			return nil
		}
		var names []string
		for _, f := range d.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				names = append(names, f.Name)
			}
		}
		return names
	}
	enumValues := func(s *ast.Schema, typ string) []string {
		var names []string
		for _, v := range s.Types[typ].EnumValues {
			names = append(names, v.Name)
		}
		return names
	}

	t.Run("NoSelect", func(t *testing.T) {
		if nobody.Types["author"] != nil || nobody.Types["article"] != nil {
			t.Error("a role without select permission sees the table types")
		}
		if diff := cmp.Diff([]string{"no_queries_available"}, fieldNames(nobody, "query_root")); diff != "" {
			t.Errorf("query_root (-want +got):\n%s", diff)
		}
		if nobody.Mutation != nil || nobody.Subscription != nil {
			t.Error("a role without permissions has mutation_root or subscription_root")
		}
	})
	t.Run("HiddenColumns", func(t *testing.T) {
		if diff := cmp.Diff([]string{"articles", "articles_aggregate", "id", "name"}, fieldNames(user, "author")); diff != "" {
			t.Errorf("author (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"_and", "_not", "_or", "articles", "articles_aggregate", "id", "name"}, fieldNames(user, "author_bool_exp")); diff != "" {
			t.Errorf("author_bool_exp (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"articles_aggregate", "id", "name"}, fieldNames(user, "author_order_by")); diff != "" {
			t.Errorf("author_order_by (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"id", "name"}, enumValues(user, "author_select_column")); diff != "" {
			t.Errorf("author_select_column (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"author_id", "published", "title"}, fieldNames(user, "article_insert_input")); diff != "" {
			t.Errorf("article_insert_input (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"title"}, enumValues(user, "article_update_column")); diff != "" {
			t.Errorf("article_update_column (-want +got):\n%s", diff)
		}
	})
	t.Run("NoAggregations", func(t *testing.T) {
		q := fieldNames(user, "query_root")
		if slices.Contains(q, "author_aggregate") || !slices.Contains(q, "article_aggregate") {
			t.Errorf("query_root fields %v: want article_aggregate and no author_aggregate", q)
		}
		if slices.Contains(fieldNames(user, "article"), "author_aggregate") {
			t.Error("an object relationship has an aggregate field")
		}
		if !slices.Contains(fieldNames(user, "author"), "articles") || slices.Contains(fieldNames(user, "author"), "articles_aggregate") == false {
			t.Errorf("author fields %v: want articles and articles_aggregate", fieldNames(user, "author"))
		}
	})
	t.Run("QueryRootFields", func(t *testing.T) {
		// query_root_fields [select, select_by_pk] keeps author_stream out of
		// neither root but subscription_root_fields is unrestricted.
		if diff := cmp.Diff([]string{"article", "article_aggregate", "article_by_pk", "author", "author_by_pk"}, fieldNames(user, "query_root")); diff != "" {
			t.Errorf("query_root (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"article", "article_aggregate", "article_by_pk", "article_stream", "author", "author_by_pk", "author_stream"}, fieldNames(user, "subscription_root")); diff != "" {
			t.Errorf("subscription_root (-want +got):\n%s", diff)
		}
	})
	t.Run("Mutations", func(t *testing.T) {
		// insert_article_one needs select on article; update_article_by_pk
		// select on its primary key; backend_only deletes are left out.
		want := []string{"insert_article", "insert_article_one", "update_article", "update_article_by_pk", "update_article_many"}
		if diff := cmp.Diff(want, fieldNames(user, "mutation_root")); diff != "" {
			t.Errorf("mutation_root (-want +got):\n%s", diff)
		}
		if msgs := validationErrors(t, user, `mutation { delete_author(where: {}) { affected_rows } }`); len(msgs) == 0 {
			t.Error("delete_author validates for a backend-only delete permission")
		}
	})
	t.Run("ByPkNeedsPrimaryKeyColumns", func(t *testing.T) {
		m, author, _ := authorArticle()
		selectPerm(author, "reader", false, "name")
		s := BuildRoleSchema(m, "reader", false).Schema
		if diff := cmp.Diff([]string{"author"}, fieldNames(s, "query_root")); diff != "" {
			t.Errorf("query_root (-want +got):\n%s", diff)
		}
	})
	t.Run("AggregateWithoutColumns", func(t *testing.T) {
		// Hasura's agg_perm/article_agg_with_role_without_select_access.yaml.
		m, _, article := authorArticle()
		p := selectPerm(article, "counter", true)
		p.Columns = map[string]boolexp.Expr{}
		s := BuildRoleSchema(m, "counter", false).Schema
		mustValidate(t, s, `{ article_aggregate { aggregate { count } } }`)
		if diff := cmp.Diff([]string{"count"}, fieldNames(s, "article_aggregate_fields")); diff != "" {
			t.Errorf("article_aggregate_fields (-want +got):\n%s", diff)
		}
		for _, q := range []string{
			`{ article_aggregate { aggregate { count(columns: [title]) } } }`,
			`{ article_aggregate { aggregate { max { created_at } } } }`,
		} {
			if len(validationErrors(t, s, q)) == 0 {
				t.Errorf("%s validates", q)
			}
		}
	})
	t.Run("RelationshipToHiddenTable", func(t *testing.T) {
		m, author, _ := authorArticle()
		selectPerm(author, "reader", false)
		s := BuildRoleSchema(m, "reader", false).Schema
		for _, typ := range []string{"author", "author_bool_exp", "author_order_by"} {
			for _, f := range fieldNames(s, typ) {
				if strings.HasPrefix(f, "articles") {
					t.Errorf("%s has %s, a relationship to a table the role may not select", typ, f)
				}
			}
		}
	})
}

func TestBuildRoleSchema_RootFieldBindings(t *testing.T) {
	m, author, article := authorArticle()
	rs := BuildRoleSchema(m, "admin", false)
	for name, want := range map[string]RootField{
		"author":            {Kind: RootSelect, Table: author},
		"author_by_pk":      {Kind: RootSelectByPk, Table: author},
		"article_aggregate": {Kind: RootSelectAggregate, Table: article},
	} {
		got := rs.Query[name]
		if got == nil || *got != want {
			t.Errorf("Query[%q] = %+v, want %+v", name, got, want)
		}
	}
	if got := rs.Subscription["article_stream"]; got == nil || got.Kind != RootSelectStream {
		t.Errorf("Subscription[article_stream] = %+v", got)
	}
	for name, kind := range map[string]RootKind{
		"insert_author": RootInsert, "insert_author_one": RootInsertOne, "update_author": RootUpdate,
		"update_author_by_pk": RootUpdateByPk, "update_author_many": RootUpdateMany,
		"delete_author": RootDelete, "delete_author_by_pk": RootDeleteByPk,
	} {
		if got := rs.Mutation[name]; got == nil || got.Kind != kind || got.Table != author {
			t.Errorf("Mutation[%q] = %+v, want kind %d on author", name, got, kind)
		}
	}
	// Every binding has a field and every field a binding.
	for _, c := range []struct {
		def *ast.Definition
		m   map[string]*RootField
	}{{rs.Schema.Query, rs.Query}, {rs.Schema.Mutation, rs.Mutation}, {rs.Schema.Subscription, rs.Subscription}} {
		var fields []string
		for _, f := range c.def.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				fields = append(fields, f.Name)
			}
		}
		var bound []string
		for name := range c.m {
			bound = append(bound, name)
		}
		slices.Sort(bound)
		if diff := cmp.Diff(fields, bound); diff != "" {
			t.Errorf("%s bindings (-fields +bindings):\n%s", c.def.Name, diff)
		}
	}
}

func TestNaming_Names(t *testing.T) {
	_, author, _ := authorArticle()
	other := schemaTable("my_schema", "user_profile", []string{"id"}, col("id", tyInt4, false))
	custom := table("author_details", nil, col("id", tyInt4, false))
	custom.Meta.Configuration = &metadata.TableConfig{CustomName: "authorDetails"}

	tests := []struct {
		name   string
		naming Naming
		got    func(Naming) string
		want   string
	}{
		{"Type", Naming{}, func(n Naming) string { return n.TableType(author) }, "author"},
		{"SchemaType", Naming{}, func(n Naming) string { return n.TableType(other) }, "my_schema_user_profile"},
		{"Aggregate", Naming{}, func(n Naming) string { return n.AggregateType(other) }, "my_schema_user_profile_aggregate"},
		{"OpFields", Naming{}, func(n Naming) string { return n.AggregateOpFieldsType(author, "stddev_pop") }, "author_stddev_pop_fields"},
		{"ByPk", Naming{}, func(n Naming) string { return n.RootFieldName(other, RootSelectByPk) }, "my_schema_user_profile_by_pk"},
		{"InsertOne", Naming{}, func(n Naming) string { return n.RootFieldName(custom, RootInsertOne) }, "insert_authorDetails_one"},
		{"Prefixed", Naming{TypePrefix: "p_", TypeSuffix: "_s", RootPrefix: "r_"}, func(n Naming) string {
			return n.TableTypeWith(author, "bool_exp") + " " + n.RootFieldName(author, RootSelect)
		}, "p_author_bool_exp_s r_author"},
		{"GraphQLDefaultType", Naming{GraphQLDefault: true}, func(n Naming) string { return n.TableTypeWith(other, "bool_exp") }, "MySchemaUserProfileBoolExp"},
		{"GraphQLDefaultField", Naming{GraphQLDefault: true}, func(n Naming) string { return n.RootFieldName(other, RootSelectAggregate) }, "mySchemaUserProfileAggregate"},
		{"GraphQLDefaultCustom", Naming{GraphQLDefault: true}, func(n Naming) string {
			return n.RootFieldName(custom, RootInsert) + " " + n.TableTypeWith(custom, "order_by")
		}, "insertAuthorDetails authorDetailsOrderBy"},
		{"GraphQLDefaultOperator", Naming{GraphQLDefault: true}, func(n Naming) string { return n.Field("_is_null") + " " + n.Field("distinct_on") }, "_isNull distinctOn"},
		{"Connection", Naming{}, func(n Naming) string { return n.ConnectionType(author) + " " + n.EdgeType(author) }, "authorConnection authorEdge"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(tc.naming); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// manyTables returns a model of n tables, each related to the next.
func manyTables(n int) *Model {
	tables := make([]*Table, n)
	for i := range tables {
		tables[i] = table(fmt.Sprintf("table_%d", i), []string{"id"},
			col("id", tyInt4, false),
			col("name", tyText, false),
			col("payload", tyJSONB, true),
			col("amount", tyNumeric, true),
			col("created_at", tyTimestamptz, false),
			col("parent_id", tyInt4, true),
		)
	}
	for i := 1; i < n; i++ {
		objRel(tables[i], "parent", tables[i-1], true, "parent_id", "id")
		arrRel(tables[i-1], "children", tables[i], "id", "parent_id")
	}
	for i, t := range tables {
		selectPerm(t, "user", i%2 == 0, "id", "name", "created_at", "parent_id")
	}
	return model(tables...)
}

func BenchmarkBuildRoleSchema(b *testing.B) {
	m := manyTables(1000)
	for _, role := range []string{"admin", "user"} {
		b.Run(role, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				BuildRoleSchema(m, role, false)
			}
		})
	}
}

// builtTables is metadata for the database of build_test.go: an enum
// table, relationships, computed fields and permissions of role "user".
const builtTables = `[
  {"table": "article_status", "is_enum": true},
  {"table": "author",
   "object_relationships": [
     {"name": "profile", "using": {"manual_configuration": {"remote_table": {"schema": "app", "name": "profile"}, "column_mapping": {"id": "author_id"}}}}],
   "array_relationships": [
     {"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}],
   "computed_fields": [
     {"name": "full_name", "definition": {"function": "author_full_name"}},
     {"name": "search", "definition": {"function": "author_search"}}],
   "select_permissions": [
     {"role": "user", "permission": {"columns": ["id", "name", "data", "tags", "geom", "feeling"], "filter": {},
      "computed_fields": ["full_name"], "allow_aggregations": true}}]},
  {"table": "article",
   "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
   "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"published": {"_eq": true}}, "allow_aggregations": true}}],
   "insert_permissions": [{"role": "user", "permission": {"check": {}, "columns": ["title", "status", "author_id"], "set": {"author_id": "X-Hasura-User-Id"}}}],
   "update_permissions": [{"role": "user", "permission": {"columns": ["title"], "filter": {}}}],
   "delete_permissions": [{"role": "user", "permission": {"filter": {}}}]},
  {"table": {"schema": "app", "name": "profile"}}
]`

const builtFunctions = `[{"function": "search_articles"}, {"function": "bump_article"}]`

// TestBuildRoleSchema_FromMetadata builds the model with Build from
// metadata and a real catalog, then each role's schema.
func TestBuildRoleSchema_FromMetadata(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{Tables: builtTables, Functions: builtFunctions}, Options{InferFunctionPermissions: true})
	if len(m.Inconsistencies) > 0 {
		t.Fatalf("inconsistent metadata: %+v", m.Inconsistencies)
	}
	for _, role := range []string{"admin", "user"} {
		t.Run(role, func(t *testing.T) {
			rs := BuildRoleSchema(m, role, false)
			golden(t, filepath.Join("rolegen", "built_"+role+".graphql"), printSchema(rs.Schema))
			mustValidate(t, rs.Schema, introspectionQuery)
		})
	}
	user := BuildRoleSchema(m, "user", false)
	mustValidate(t, user.Schema, `{
  author(where: {articles_aggregate: {count: {predicate: {_gt: 0}}}, full_name: {_ilike: "%a%"}, feeling: {_eq: "happy"}}) {
    id name full_name data(path: "a") tags articles { title status }
  }
  search_articles(args: {search: "%"}) { id author { name } }
}`)
	mustValidate(t, user.Schema, `mutation { insert_article_one(object: {title: "t", status: draft}) { id } update_article_many(updates: [{where: {}, _set: {title: "x"}}]) { affected_rows } }`)
	if msgs := validationErrors(t, user.Schema, `mutation { bump_article(args: {article_id: 1}) { id } }`); len(msgs) == 0 {
		t.Error("bump_article validates for a role with an inferred function permission only")
	}
}
