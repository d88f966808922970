package schema

import (
	"fmt"

	"github.com/graftql/graft/internal/catalog"
)

// Note [column scalars]
//
// Hasura names the GraphQL scalar of a column after the PostgreSQL type it
// reads from pg_type (hasura/graphql-engine:
// server/src-lib/Hasura/Backends/Postgres/SQL/Types.hs, textToPGScalarType
// and mkScalarTypeName): a few well-known types map to built-in GraphQL
// scalars (int4 -> Int, text -> String, ...), a few to a canonical name
// (int2 -> smallint, int8 -> bigint), and every other type keeps its
// pg_type name. A domain is replaced by its base type
// (server/src-rsr/pg_table_metadata.sql), an array column is a list of its
// element's scalar, and a column of a composite type is the scalar
// "<type>_scalar". A name that is not a valid GraphQL name makes the table
// inconsistent.

// pgScalar is a PostgreSQL scalar type as Hasura classifies it
// (PGScalarType): a known type name, an unknown one, or a composite.
type pgScalar struct {
	// Name is the canonical name of a known type ("int4", "text", ...) or
	// the pg_type name of any other type.
	Name      string
	Known     bool
	Composite bool
}

// pgTypeAliases maps pg_type names and their SQL spellings to Hasura's
// canonical scalar (pgScalarTranslations).
var pgTypeAliases = map[string]string{
	"serial": "serial", "bigserial": "bigserial",
	"smallint": "int2", "int2": "int2",
	"int": "int4", "integer": "int4", "int4": "int4",
	"bigint": "int8", "int8": "int8",
	"real": "float4", "float4": "float4",
	"double precision": "float8", "float8": "float8",
	"numeric": "numeric", "decimal": "numeric",
	"money":   "money",
	"boolean": "bool", "bool": "bool",
	"bpchar": "bpchar", "char": "bpchar", "character": "bpchar",
	"varchar": "varchar", "character varying": "varchar",
	"text":      "text",
	"citext":    "citext",
	"date":      "date",
	"timestamp": "timestamp", "timestamp without time zone": "timestamp",
	"timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
	"timetz": "timetz", "time with time zone": "timetz",
	"json": "json", "jsonb": "jsonb",
	"geometry": "geometry", "geography": "geography", "raster": "raster",
	"uuid":  "uuid",
	"ltree": "ltree", "lquery": "lquery", "ltxtquery": "ltxtquery",
}

// pgTypeText is how Hasura prints a known scalar in messages
// (pgScalarTypeToText).
var pgTypeText = map[string]string{
	"int2": "smallint", "int4": "integer", "int8": "bigint",
	"float4": "real", "float8": "float8", "bool": "boolean",
}

// graphqlScalars are the known types with a GraphQL name of their own.
var graphqlScalars = map[string]string{
	"int4": "Int", "bool": "Boolean", "float4": "Float", "text": "String", "varchar": "String",
	"int2": "smallint", "int8": "bigint",
}

// builtinScalars are GraphQL's own scalars, which naming conventions leave alone.
var builtinScalars = map[string]bool{"Int": true, "Float": true, "String": true, "Boolean": true, "ID": true}

// classify returns the scalar a pg_type name denotes (textToPGScalarType).
// Like Hasura, it reads the one-byte internal type "char" as bpchar.
func classify(typname string) pgScalar {
	if canon, ok := pgTypeAliases[typname]; ok {
		return pgScalar{Name: canon, Known: true}
	}
	return pgScalar{Name: typname}
}

// text is the scalar as Hasura prints it in messages.
func (s pgScalar) text() string {
	if t, ok := pgTypeText[s.Name]; ok && s.Known {
		return t
	}
	return s.Name
}

// graphqlName is the scalar's GraphQL name before naming conventions
// (mkScalarTypeName). It fails for names that are not GraphQL names.
func (s pgScalar) graphqlName() (string, error) {
	if s.Known {
		if g, ok := graphqlScalars[s.Name]; ok {
			return g, nil
		}
	}
	name := s.Name
	if s.Composite {
		name += "_scalar"
	}
	if !isGraphQLName(s.Name) {
		return "", fmt.Errorf("cannot use SQL type %q in the GraphQL schema because its name is not a valid GraphQL identifier", s.text())
	}
	return name, nil
}

// columnScalar returns the GraphQL scalar and list depth of a column of type
// t (Note [column scalars]) and its scalar classification.
func columnScalar(t *catalog.Type) (pgScalar, int) {
	list := 0
	for {
		switch {
		case t.Kind == catalog.TypeDomain && t.Base != nil:
			t = t.Base
			continue
		case t.Kind == catalog.TypeArray && t.Elem != nil:
			list++
			t = t.Elem
			continue
		}
		break
	}
	if t.Kind == catalog.TypeComposite {
		// A column of a composite type is a scalar named after the type
		// (Hasura's PGUnknown); only function arguments get "_scalar"
		// (mutation/insert/basic/insert_various_postgres_types.yaml
		// declares $compositeComplex: complex).
		return pgScalar{Name: t.Name}, list
	}
	if t.Kind == catalog.TypeEnum {
		return pgScalar{Name: t.Name}, list
	}
	return classify(t.Name), list
}

// baseType strips domains from t.
func baseType(t *catalog.Type) *catalog.Type {
	for t != nil && t.Kind == catalog.TypeDomain && t.Base != nil {
		t = t.Base
	}
	return t
}

// functionTypeScalar classifies an argument or result type of a function as
// Hasura's function introspection does: by pg_type name, without resolving
// domains or arrays ("_int4" is an unknown type), composites apart.
func functionTypeScalar(t *catalog.Type) pgScalar {
	if t.Kind == catalog.TypeComposite {
		return pgScalar{Name: t.Name, Composite: true}
	}
	if t.Kind == catalog.TypeArray || t.Kind == catalog.TypeEnum {
		return pgScalar{Name: t.Name}
	}
	return classify(t.Name)
}

// isBaseFunctionType reports whether a function result of type t counts as
// a base type for a computed field (isBaseType: typtype 'b' and a known
// scalar).
func isBaseFunctionType(t *catalog.Type) bool {
	if t.Kind != catalog.TypeBase {
		return false
	}
	return classify(t.Name).Known
}

// isGraphQLName reports whether s matches /[_A-Za-z][_0-9A-Za-z]*/.
func isGraphQLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}
