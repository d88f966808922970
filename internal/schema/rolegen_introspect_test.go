package schema

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/introspect"
	"github.com/graftql/graft/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator"
)

// runIntrospection executes query, made of introspection root fields only,
// against s and returns the JSON of its data.
func runIntrospection(t *testing.T, s *ast.Schema, query string, vars map[string]any) string {
	t.Helper()
	doc := mustValidate(t, s, query)
	op := doc.Operations[0]
	coerced, err := validator.VariableValues(s, op, vars)
	if err != nil {
		t.Fatalf("coerce variables: %v", err)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, sel := range op.SelectionSet {
		f := sel.(*ast.Field)
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(f.Alias)
		b.Write(key)
		b.WriteByte(':')
		if f.Name == "__typename" {
			b.WriteString(`"query_root"`)
			continue
		}
		v, err := introspect.Execute(s, f, coerced)
		if err != nil {
			t.Fatalf("execute %s: %v", f.Name, err)
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact %s: %v", s, err)
	}
	return b.String()
}

// enumsModel is the schema of Hasura's queries/graphql_query/enums/setup.yaml.
func enumsModel() *Model {
	colors := table("colors", []string{"value"}, col("value", tyText, false), col("comment", tyText, true))
	colors.IsEnum = true
	colors.EnumValues = []EnumValue{
		{Value: "red", Comment: "#FF0000"}, {Value: "green", Comment: "#00FF00"}, {Value: "blue", Comment: "#0000FF"},
		{Value: "orange", Comment: "#FFFF00"}, {Value: "yellow", Comment: "#00FFFF"}, {Value: "purple", Comment: "#FF00FF"},
	}
	users := table("users", []string{"id"}, col("id", tyInt4, false), col("name", tyText, false), col("favorite_color", tyText, false))
	fav := users.column("favorite_color")
	fav.EnumTable, fav.Scalar = colors, "colors_enum"
	country := table("country", []string{"value"}, col("value", tyText, false), col("comment", tyText, true))
	country.IsEnum = true
	country.EnumValues = []EnumValue{{Value: "India", Comment: "Republic of India"}, {Value: "USA", Comment: "United States of America"}}
	zones := table("zones", []string{"code", "country"}, col("id", tyInt4, false), col("code", tyText, false), col("country", tyText, false))
	zc := zones.column("country")
	zc.EnumTable, zc.Scalar = country, "country_enum"
	selectPerm(users, "anonymous", false, "id", "name", "favorite_color")
	selectPerm(zones, "user", false, "id", "code")
	return model(colors, users, country, zones)
}

// descriptionsModel is the schema of Hasura's
// queries/graphql_introspection/descriptions tests.
func descriptionsModel() *Model {
	mk := func(name, tableComment, nameComment, fnComment string) *Table {
		t := table(name, []string{"id"}, col("id", tyInt4, false), col("name", tyText, false))
		t.Info.Description = tableComment
		t.column("name").Info.Description = nameComment
		fn := &catalog.Function{Name: catalog.QualifiedName{Schema: "public", Name: name + "_upper_name"}, Description: fnComment, ReturnType: tyText}
		t.ComputedFields = []*ComputedField{{Name: "upper_name", Function: fn, ResultType: tyText, Scalar: "String", SessionArg: -1}}
		return t
	}
	auto := mk("automatic_comment_in_db", "What a great comment in the DB", "The name column comment in the DB", "What a great comment on the function in the DB")
	none := mk("automatic_no_comment_in_db", "", "", "")
	explicit := mk("explicit_no_comment_in_metadata", "A comment in the DB", "A column comment in the DB", "A function comment in the DB")
	empty := ""
	explicit.Meta.Configuration = &metadata.TableConfig{
		Comment:      &empty,
		ColumnConfig: map[string]metadata.ColumnConfig{"name": {Comment: &empty}},
	}
	explicit.Meta.ComputedFields = []*metadata.ComputedField{{Name: "upper_name", Comment: &empty}}
	return model(auto, none, explicit)
}

// TestIntrospection_Hasura runs introspection queries of Hasura's test
// suite (server/tests-py/queries) and compares with the responses it
// expects there.
func TestIntrospection_Hasura(t *testing.T) {
	tests := []struct {
		name  string // the Hasura test file
		model func() *Model
		role  string
		query string
		vars  map[string]any
		want  string
	}{
		{
			name: "graphql_query/enums/introspect.yaml", model: enumsModel, role: "admin",
			query: `{
  colors: __type(name: "colors_enum") { name kind enumValues { name description } }
  users: __type(name: "users") { fields { name type { ofType { name } } } }
}`,
			want: `{"colors":{"name":"colors_enum","kind":"ENUM","enumValues":[
  {"name":"blue","description":"#0000FF"},{"name":"green","description":"#00FF00"},
  {"name":"orange","description":"#FFFF00"},{"name":"purple","description":"#FF00FF"},
  {"name":"red","description":"#FF0000"},{"name":"yellow","description":"#00FFFF"}]},
"users":{"fields":[
  {"name":"favorite_color","type":{"ofType":{"name":"colors_enum"}}},
  {"name":"id","type":{"ofType":{"name":"Int"}}},
  {"name":"name","type":{"ofType":{"name":"String"}}}]}}`,
		},
		{
			name: "graphql_query/enums/introspect_user_role.yaml", model: enumsModel, role: "user",
			query: `{
  query_root_fields: __type(name: "query_root") { fields { name } }
  zones: __type(name: "zones") { fields { name type { ofType { name } } } }
}`,
			want: `{"query_root_fields":{"fields":[{"name":"zones"}]},
"zones":{"fields":[{"name":"code","type":{"ofType":{"name":"String"}}},{"name":"id","type":{"ofType":{"name":"Int"}}}]}}`,
		},
		{
			name: "graphql_query/enums/select_where_enum_eq_without_enum_table_visibility.yaml", model: enumsModel, role: "anonymous",
			query: `{
  table: __type(name: "colors") { name kind }
  enum: __type(name: "colors_enum") { name kind enumValues { name description } }
}`,
			want: `{"table":null,"enum":{"name":"colors_enum","kind":"ENUM","enumValues":[
  {"name":"blue","description":"#0000FF"},{"name":"green","description":"#00FF00"},
  {"name":"orange","description":"#FFFF00"},{"name":"purple","description":"#FF00FF"},
  {"name":"red","description":"#FF0000"},{"name":"yellow","description":"#00FFFF"}]}}`,
		},
		{
			name: "graphql_query/caching/introspection.yaml", model: enumsModel, role: "admin",
			query: `query IntrospectionQuery($includeDeprecated: Boolean!) {
  __type(name:"__TypeKind") { name enumValues(includeDeprecated: $includeDeprecated) { name } }
}`,
			vars: map[string]any{"includeDeprecated": true},
			want: `{"__type":{"name":"__TypeKind","enumValues":[{"name":"ENUM"},{"name":"INPUT_OBJECT"},
  {"name":"INTERFACE"},{"name":"LIST"},{"name":"NON_NULL"},{"name":"OBJECT"},{"name":"SCALAR"},{"name":"UNION"}]}}`,
		},
		{
			name: "graphql_introspection/descriptions/automatic_comment_in_db.yaml", model: descriptionsModel, role: "admin",
			query: `{ __type(name: "automatic_comment_in_db") { name description kind fields { name description } } }`,
			want: `{"__type":{"name":"automatic_comment_in_db","description":"What a great comment in the DB","kind":"OBJECT","fields":[
  {"name":"id","description":null},{"name":"name","description":"The name column comment in the DB"},
  {"name":"upper_name","description":"What a great comment on the function in the DB"}]}}`,
		},
		{
			name: "graphql_introspection/descriptions/automatic_no_comment_in_db.yaml", model: descriptionsModel, role: "admin",
			query: `{ __type(name: "automatic_no_comment_in_db") { name description kind fields { name description } } }`,
			want: `{"__type":{"name":"automatic_no_comment_in_db","description":"columns and relationships of \"automatic_no_comment_in_db\"","kind":"OBJECT","fields":[
  {"name":"id","description":null},{"name":"name","description":null},
  {"name":"upper_name","description":"A computed field, executes function \"automatic_no_comment_in_db_upper_name\""}]}}`,
		},
		{
			name: "graphql_introspection/descriptions/explicit_no_comment_in_metadata.yaml", model: descriptionsModel, role: "admin",
			query: `{ __type(name: "explicit_no_comment_in_metadata") { name description kind fields { name description } } }`,
			want: `{"__type":{"name":"explicit_no_comment_in_metadata","description":null,"kind":"OBJECT","fields":[
  {"name":"id","description":null},{"name":"name","description":null},{"name":"upper_name","description":null}]}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := BuildRoleSchema(tc.model(), tc.role, false).Schema
			got := runIntrospection(t, s, tc.query, tc.vars)
			if want := compact(t, tc.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// TestIntrospection_Golden runs GraphiQL's introspection query against
// generated schemas.
func TestIntrospection_Golden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func() *Model
		role  string
		relay bool
	}{
		{"user", userModel, "user", false},
		{"no_permissions", userModel, "nobody", false},
		{"relay_user", userModel, "user", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := BuildRoleSchema(tc.model(), tc.role, tc.relay).Schema
			got := runIntrospection(t, s, introspectionQuery, nil)
			var b bytes.Buffer
			if err := json.Indent(&b, []byte(got), "", " "); err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
			b.WriteByte('\n')
			golden(t, filepath.Join("introspection", tc.name+".json"), b.String())
		})
	}
}

func BenchmarkIntrospection(b *testing.B) {
	s := BuildRoleSchema(manyTables(1000), "admin", false).Schema
	t := &testing.T{}
	doc := mustValidate(t, s, introspectionQuery)
	field := doc.Operations[0].SelectionSet[0].(*ast.Field)
	b.ReportAllocs()
	for b.Loop() {
		out, err := introspect.Execute(s, field, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}
