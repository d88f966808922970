package schema

import (
	"github.com/graftql/graft/internal/catalog"
)

// Note [model names]
//
// The names Build stores in the model (Table.TypeName, RootFields,
// Column.Field, enum scalars, function root fields) come from [Naming]
// (names.go), the one place the naming conventions and source
// customization live, so that the model and the role schemas agree.

// setTableNames fills t's type name and root field names.
func (b *builder) setTableNames(t *Table) {
	n := b.m.Naming()
	t.TypeName = n.TableType(t)
	bare := n
	bare.TypePrefix, bare.TypeSuffix = "", ""
	t.BaseTypeName = bare.TableType(t)
	r := RootFieldNames{
		Select:          n.RootFieldName(t, RootSelect),
		SelectByPk:      n.RootFieldName(t, RootSelectByPk),
		SelectAggregate: n.RootFieldName(t, RootSelectAggregate),
		SelectStream:    n.RootFieldName(t, RootSelectStream),
		Insert:          n.RootFieldName(t, RootInsert),
		InsertOne:       n.RootFieldName(t, RootInsertOne),
		Update:          n.RootFieldName(t, RootUpdate),
		UpdateByPk:      n.RootFieldName(t, RootUpdateByPk),
		UpdateMany:      n.RootFieldName(t, RootUpdateMany),
		Delete:          n.RootFieldName(t, RootDelete),
		DeleteByPk:      n.RootFieldName(t, RootDeleteByPk),
	}
	for _, key := range []string{"select", "select_by_pk", "select_aggregate", "select_stream", "insert",
		"insert_one", "update", "update_by_pk", "update_many", "delete", "delete_by_pk"} {
		if rf := customRootField(t, key); rf != nil && rf.Comment != nil {
			if r.Comments == nil {
				r.Comments = map[string]string{}
			}
			r.Comments[key] = *rf.Comment
		}
	}
	t.RootFields = r
}

// columnField is the GraphQL field name of a column without a custom name.
func (b *builder) columnField(name string) string { return b.m.Naming().Field(name) }

// scalarName applies the naming convention to a column scalar
// (applyTypeNameCaseCust: "timestamptz" is "Timestamptz" under
// graphql-default; GraphQL's own scalars are unchanged).
func (b *builder) scalarName(name string) string {
	if builtinScalars[name] {
		return name
	}
	return b.m.Naming().caseTypeName(name)
}

// qualifiedSnake is a table or function's default GraphQL name
// (snakeCaseQualifiedObject).
func qualifiedSnake(q catalog.QualifiedName) string { return snakeQualified(q) }
