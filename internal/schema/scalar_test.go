package schema

import (
	"testing"

	"github.com/graftql/graft/internal/catalog"
)

func TestColumnScalar(t *testing.T) {
	t.Parallel()
	text := &catalog.Type{Schema: "pg_catalog", Name: "text", Kind: catalog.TypeBase}
	mood := &catalog.Type{Schema: "app", Name: "mood", Kind: catalog.TypeEnum}
	tests := []struct {
		name string
		typ  *catalog.Type
		want string
		list int
	}{
		{"Int4", &catalog.Type{Schema: "pg_catalog", Name: "int4"}, "Int", 0},
		{"Int2", &catalog.Type{Schema: "pg_catalog", Name: "int2"}, "smallint", 0},
		{"Int8", &catalog.Type{Schema: "pg_catalog", Name: "int8"}, "bigint", 0},
		{"Float4", &catalog.Type{Schema: "pg_catalog", Name: "float4"}, "Float", 0},
		{"Float8", &catalog.Type{Schema: "pg_catalog", Name: "float8"}, "float8", 0},
		{"Varchar", &catalog.Type{Schema: "pg_catalog", Name: "varchar"}, "String", 0},
		{"Bpchar", &catalog.Type{Schema: "pg_catalog", Name: "bpchar"}, "bpchar", 0},
		{"InternalChar", &catalog.Type{Schema: "pg_catalog", Name: "char"}, "bpchar", 0},
		{"Bool", &catalog.Type{Schema: "pg_catalog", Name: "bool"}, "Boolean", 0},
		{"Timetz", &catalog.Type{Schema: "pg_catalog", Name: "timetz"}, "timetz", 0},
		{"Bytea", &catalog.Type{Schema: "pg_catalog", Name: "bytea"}, "bytea", 0},
		{"Enum", mood, "mood", 0},
		{"Domain", &catalog.Type{Schema: "app", Name: "email", Kind: catalog.TypeDomain, Base: text}, "String", 0},
		{"Array", &catalog.Type{Schema: "pg_catalog", Name: "_text", Kind: catalog.TypeArray, Elem: text}, "String", 1},
		{"ArrayOfEnum", &catalog.Type{Schema: "app", Name: "_mood", Kind: catalog.TypeArray, Elem: mood}, "mood", 1},
		{"DomainOverArray", &catalog.Type{Schema: "app", Name: "moods", Kind: catalog.TypeDomain,
			Base: &catalog.Type{Schema: "app", Name: "_mood", Kind: catalog.TypeArray, Elem: mood}}, "mood", 1},
		{"Composite", &catalog.Type{Schema: "app", Name: "address", Kind: catalog.TypeComposite}, "address", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, list := columnScalar(tt.typ)
			got, err := s.graphqlName()
			if err != nil {
				t.Fatalf("graphqlName: %v", err)
			}
			if got != tt.want || list != tt.list {
				t.Errorf("columnScalar = %q, %d lists; want %q, %d", got, list, tt.want, tt.list)
			}
		})
	}
}

func TestColumnScalar_NotGraphQLName(t *testing.T) {
	t.Parallel()
	s, _ := columnScalar(&catalog.Type{Schema: "public", Name: "my type", Kind: catalog.TypeEnum})
	_, err := s.graphqlName()
	want := `cannot use SQL type "my type" in the GraphQL schema because its name is not a valid GraphQL identifier`
	if err == nil || err.Error() != want {
		t.Errorf("graphqlName error = %v, want %q", err, want)
	}
}
