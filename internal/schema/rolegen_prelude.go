package schema

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// Note [introspection types]
//
// Every role schema shares the definitions below. They are not gqlparser's
// validator.Prelude: Hasura serves its own introspection schema
// (hasura/graphql-engine: server/src-lib/Hasura/GraphQL/Schema/Introspect.hs)
// and clients see it through __schema { types } and __type(name:). Its
// fields are what Hasura accepts (no specifiedByURL, isOneOf, or
// includeDeprecated on args and inputFields, so using them fails validation as
// it does in Hasura), and their types are what Hasura reports: each field is
// typed by the parser that reads it, so "types" is a nullable __Type rather
// than [__Type!]!, "isDeprecated" a String!, "locations" a String!.
// Built-in scalars have no description, as in Hasura. The directives are the
// three Hasura advertises (Hasura.GraphQL.Parser.Directives): @include, @skip
// and @cached; the order of directiveOrder is the order of __schema.directives.
const hasuraIntrospectionSDL = `
type __Schema {
  description: String!
  types: __Type
  queryType: __Type
  mutationType: __Type
  subscriptionType: __Type
  directives: __Directive
}

type __Type {
  kind: __TypeKind!
  name: String!
  description: String!
  fields(includeDeprecated: Boolean = false): __Field
  interfaces: __Type
  possibleTypes: __Type
  enumValues(includeDeprecated: Boolean = false): __EnumValue
  inputFields: __InputValue
  ofType: __Type
}

enum __TypeKind {
  ENUM
  INPUT_OBJECT
  INTERFACE
  LIST
  NON_NULL
  OBJECT
  SCALAR
  UNION
}

type __Field {
  name: String!
  description: String!
  args: __InputValue
  type: __Type
  isDeprecated: String!
  deprecationReason: String!
}

type __InputValue {
  name: String!
  description: String!
  type: __Type
  defaultValue: String!
}

type __EnumValue {
  name: String!
  description: String!
  isDeprecated: String!
  deprecationReason: String!
}

type __Directive {
  name: String!
  description: String!
  locations: String!
  args: __InputValue
  isRepeatable: Boolean!
}

"whether this query should be included"
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT

"whether this query should be skipped"
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT

"whether this query should be cached (Hasura Cloud only)"
directive @cached(
  "measured in seconds"
  ttl: Int! = 60
  "refresh the cache entry"
  refresh: Boolean! = false
) on QUERY
`

// prelude holds the definitions every role schema shares. They are immutable.
type prelude struct {
	// introspection are the __ types, by name.
	introspection map[string]*ast.Definition
	// scalars are Int, Float, String, Boolean and ID.
	scalars    map[string]*ast.Definition
	directives map[string]*ast.DirectiveDefinition
	// schemaField and typeField are query_root's __schema and __type.
	schemaField, typeField *ast.FieldDefinition
}

var shared = mustPrelude()

func mustPrelude() *prelude {
	doc, err := parser.ParseSchema(&ast.Source{Name: "hasura-introspection.graphql", Input: hasuraIntrospectionSDL})
	if err != nil {
		panic(fmt.Sprintf("schema: parse introspection types: %v", err))
	}
	p := &prelude{
		introspection: make(map[string]*ast.Definition),
		scalars:       make(map[string]*ast.Definition),
		directives:    make(map[string]*ast.DirectiveDefinition),
	}
	for _, d := range doc.Definitions {
		p.introspection[d.Name] = d
	}
	for _, d := range doc.Directives {
		p.directives[d.Name] = d
	}
	for _, name := range []string{"Int", "Float", "String", "Boolean", "ID"} {
		p.scalars[name] = &ast.Definition{Kind: ast.Scalar, Name: name}
	}
	p.schemaField = &ast.FieldDefinition{Name: "__schema", Type: ast.NamedType("__Schema", nil)}
	p.typeField = &ast.FieldDefinition{
		Name: "__type",
		Type: ast.NamedType("__Type", nil),
		Arguments: ast.ArgumentDefinitionList{
			{Name: "name", Type: ast.NonNullNamedType("String", nil)},
		},
	}
	return p
}
