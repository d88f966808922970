package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

const testSDL = `
"A thing"
interface Node { id: ID! }

"A book"
type Book implements Node {
  id: ID!
  "The title"
  title(upper: Boolean = false, "how to cut" cut: Cut = SHORT): String
  tags: [String!]!
  rating: Float
}

type Author implements Node { id: ID! name: String }

union Result = Book | Author

enum Cut { SHORT LONG "the whole thing" FULL }

input BookFilter {
  title: String = "a \"quoted\"\ntitle"
  tags: [String!] = ["x", "y"]
  nested: BookFilter
  range: Range = {from: 1, to: 2}
}

input Range { from: Int to: Int }

type Query {
  books(filter: BookFilter): [Book!]!
  node(id: ID!): Node
  search: [Result!]
}
`

func testSchema(t *testing.T) *ast.Schema {
	t.Helper()
	return gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphql", Input: testSDL})
}

// run validates query and executes its root fields.
func run(t *testing.T, s *ast.Schema, query string, vars map[string]any) string {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if errs := validator.Validate(s, doc); len(errs) > 0 {
		t.Fatalf("validate: %v", errs)
	}
	op := doc.Operations[0]
	coerced, gerr := validator.VariableValues(s, op, vars)
	if gerr != nil {
		t.Fatalf("variables: %v", gerr)
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, sel := range op.SelectionSet {
		f := sel.(*ast.Field)
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.Alias)
		b.Write(k)
		b.WriteByte(':')
		out, err := Execute(s, f, coerced)
		if err != nil {
			t.Fatalf("execute: %v", err)
		}
		b.Write(out)
	}
	b.WriteByte('}')
	return b.String()
}

func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatalf("compact: %v", err)
	}
	return b.String()
}

func TestExecute(t *testing.T) {
	s := testSchema(t)
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		want  string
	}{
		{
			name:  "AliasesAndTypename",
			query: `{ t: __type(name: "Book") { __typename n: name kind name } }`,
			want:  `{"t":{"__typename":"__Type","n":"Book","kind":"OBJECT","name":"Book"}}`,
		},
		{
			name:  "UnknownType",
			query: `{ __type(name: "Nope") { name } }`,
			want:  `{"__type":null}`,
		},
		{
			name:  "Variables",
			query: `query ($n: String!) { __type(name: $n) { name } }`,
			vars:  map[string]any{"n": "Cut"},
			want:  `{"__type":{"name":"Cut"}}`,
		},
		{
			name:  "FieldsSortedWithArgsAndDefaults",
			query: `{ __type(name: "Book") { fields { name description args { name description defaultValue type { kind name ofType { name } } } } } }`,
			want: `{"__type":{"fields":[
  {"name":"id","description":null,"args":[]},
  {"name":"rating","description":null,"args":[]},
  {"name":"tags","description":null,"args":[]},
  {"name":"title","description":"The title","args":[
    {"name":"cut","description":"how to cut","defaultValue":"SHORT","type":{"kind":"ENUM","name":"Cut","ofType":null}},
    {"name":"upper","description":null,"defaultValue":"false","type":{"kind":"SCALAR","name":"Boolean","ofType":null}}]}]}}`,
		},
		{
			// A NON_NULL wrapper has no name but its named type's
			// description, as in Hasura's typeField.
			name:  "Wrappers",
			query: `{ __type(name: "Book") { fields { name type { kind name description ofType { kind name ofType { kind name ofType { kind name } } } } } } }`,
			want: `{"__type":{"fields":[
  {"name":"id","type":{"kind":"NON_NULL","name":null,"description":"The ` + "`ID`" + ` scalar type represents a unique identifier, often used to refetch an object or as key for a cache. The ID type appears in a JSON response as a String; however, it is not intended to be human-readable. When expected as an input type, any string (such as \"4\") or integer (such as 4) input value will be accepted as an ID.","ofType":{"kind":"SCALAR","name":"ID","ofType":null}}},
  {"name":"rating","type":{"kind":"SCALAR","name":"Float","description":"The ` + "`Float`" + ` scalar type represents signed double-precision fractional values as specified by [IEEE 754](http://en.wikipedia.org/wiki/IEEE_floating_point).","ofType":null}},
  {"name":"tags","type":{"kind":"NON_NULL","name":null,"description":null,"ofType":{"kind":"LIST","name":null,"ofType":{"kind":"NON_NULL","name":null,"ofType":{"kind":"SCALAR","name":"String"}}}}},
  {"name":"title","type":{"kind":"SCALAR","name":"String","description":"The ` + "`String`" + `scalar type represents textual data, represented as UTF-8 character sequences. The String type is most often used by GraphQL to represent free-form human-readable text.","ofType":null}}]}}`,
		},
		{
			name:  "InputFieldDefaults",
			query: `{ __type(name: "BookFilter") { kind fields { name } inputFields { name defaultValue } enumValues { name } } }`,
			want: `{"__type":{"kind":"INPUT_OBJECT","fields":null,"inputFields":[
  {"name":"nested","defaultValue":null},
  {"name":"range","defaultValue":"{from: 1, to: 2}"},
  {"name":"tags","defaultValue":"[\"x\", \"y\"]"},
  {"name":"title","defaultValue":"\"a \\\"quoted\\\"\\ntitle\""}],"enumValues":null}}`,
		},
		{
			name:  "EnumValues",
			query: `{ __type(name: "Cut") { enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } inputFields { name } } }`,
			want: `{"__type":{"enumValues":[
  {"name":"FULL","description":"the whole thing","isDeprecated":false,"deprecationReason":null},
  {"name":"LONG","description":null,"isDeprecated":false,"deprecationReason":null},
  {"name":"SHORT","description":null,"isDeprecated":false,"deprecationReason":null}],"inputFields":null}}`,
		},
		{
			name:  "InterfacesAndPossibleTypes",
			query: `{ node: __type(name: "Node") { kind possibleTypes { name } interfaces { name } } book: __type(name: "Book") { interfaces { name } possibleTypes { name } } result: __type(name: "Result") { possibleTypes { name } } }`,
			want:  `{"node":{"kind":"INTERFACE","possibleTypes":[{"name":"Author"},{"name":"Book"}],"interfaces":null},"book":{"interfaces":[{"name":"Node"}],"possibleTypes":null},"result":{"possibleTypes":[{"name":"Author"},{"name":"Book"}]}}`,
		},
		{
			name: "FragmentsAndMerging",
			query: `query { __type(name: "Range") { ...A ... on __Type { kind } inputFields { name } inputFields { type { name } } } }
fragment A on __Type { name ...B }
fragment B on __Type { kind description }`,
			want: `{"__type":{"name":"Range","kind":"INPUT_OBJECT","description":null,"inputFields":[{"name":"from","type":{"name":"Int"}},{"name":"to","type":{"name":"Int"}}]}}`,
		},
		{
			name:  "SkipInclude",
			query: `query ($yes: Boolean!) { __type(name: "Range") { name @skip(if: $yes) kind @include(if: $yes) description @include(if: false) ... @skip(if: true) { inputFields { name } } } }`,
			vars:  map[string]any{"yes": true},
			want:  `{"__type":{"kind":"INPUT_OBJECT"}}`,
		},
		{
			name:  "Schema",
			query: `{ __schema { __typename description queryType { name } mutationType { name } subscriptionType { name } directives { name isRepeatable locations } } }`,
			want: `{"__schema":{"__typename":"__Schema","description":null,"queryType":{"name":"Query"},"mutationType":null,"subscriptionType":null,"directives":[
  {"name":"include","isRepeatable":false,"locations":["FIELD","FRAGMENT_SPREAD","INLINE_FRAGMENT"]},
  {"name":"skip","isRepeatable":false,"locations":["FIELD","FRAGMENT_SPREAD","INLINE_FRAGMENT"]},
  {"name":"defer","isRepeatable":false,"locations":["FRAGMENT_SPREAD","INLINE_FRAGMENT"]},
  {"name":"deprecated","isRepeatable":false,"locations":["FIELD_DEFINITION","ARGUMENT_DEFINITION","INPUT_FIELD_DEFINITION","ENUM_VALUE","DIRECTIVE_DEFINITION"]},
  {"name":"oneOf","isRepeatable":false,"locations":["INPUT_OBJECT"]},
  {"name":"specifiedBy","isRepeatable":false,"locations":["SCALAR"]}]}}`,
		},
		{
			name:  "QueryRootHidesIntrospectionFields",
			query: `{ __type(name: "Query") { fields { name } } }`,
			want:  `{"__type":{"fields":[{"name":"books"},{"name":"node"},{"name":"search"}]}}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := run(t, s, tc.query, tc.vars)
			if want := compactJSON(t, tc.want); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestExecute_Types(t *testing.T) {
	s := testSchema(t)
	got := run(t, s, `{ __schema { types { name } } }`, nil)
	var out struct {
		Schema struct {
			Types []struct{ Name string } `json:"types"`
		} `json:"__schema"`
	}
	if err := json.Unmarshal([]byte(got), &out); err != nil {
		t.Fatal(err)
	}
	var prev string
	for _, ty := range out.Schema.Types {
		if ty.Name <= prev {
			t.Errorf("types not sorted: %q after %q", ty.Name, prev)
		}
		prev = ty.Name
	}
	if len(out.Schema.Types) != len(s.Types) {
		t.Errorf("got %d types, schema has %d", len(out.Schema.Types), len(s.Types))
	}
}

func TestExecute_Errors(t *testing.T) {
	s := testSchema(t)
	if _, err := Execute(s, &ast.Field{Name: "books"}, nil); !errors.Is(err, ErrNotIntrospection) {
		t.Errorf("Execute(books) error = %v, want ErrNotIntrospection", err)
	}
	// A field the introspection types lack (the caller validates first;
	// Execute still refuses it).
	f := &ast.Field{Name: "__schema", Alias: "__schema", SelectionSet: ast.SelectionSet{&ast.Field{Name: "nope", Alias: "nope"}}}
	if _, err := Execute(s, f, nil); err == nil {
		t.Error("Execute with an unknown field: no error")
	}
}

func TestStr_Escaping(t *testing.T) {
	e := &executor{}
	e.str("a\"b\\c\nd\re\tf\x01g\x7fh é")
	if got, want := string(e.buf), `"a\"b\\c\nd\re\tf\u0001g`+"\x7f"+`h é"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
