package schema

import (
	"fmt"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Hand-built models for the role schema tests: the catalog types, tables,
// relationships and permissions Build would produce.

func pgType(name string) *catalog.Type {
	return &catalog.Type{Schema: "pg_catalog", Name: name, Kind: catalog.TypeBase}
}

var (
	tyInt4        = pgType("int4")
	tyInt8        = pgType("int8")
	tyText        = pgType("text")
	tyBool        = pgType("bool")
	tyFloat8      = pgType("float8")
	tyNumeric     = pgType("numeric")
	tyJSONB       = pgType("jsonb")
	tyTimestamptz = pgType("timestamptz")
	tyUUID        = pgType("uuid")
	tyInterval    = pgType("interval")
	tyGeometry    = &catalog.Type{Schema: "public", Name: "geometry", Kind: catalog.TypeBase}
	tyGeography   = &catalog.Type{Schema: "public", Name: "geography", Kind: catalog.TypeBase}
	tyLtree       = &catalog.Type{Schema: "public", Name: "ltree", Kind: catalog.TypeBase}
	tyTextArray   = &catalog.Type{Schema: "pg_catalog", Name: "_text", Kind: catalog.TypeArray, Elem: tyText}
)

func col(name string, typ *catalog.Type, nullable bool) *Column {
	c := &Column{Name: name, Field: name, Type: typ, Nullable: nullable, Scalar: rgScalarName(typ)}
	if typ.Kind == catalog.TypeArray {
		c.List = 1
	}
	c.Info = &catalog.Column{Name: name, Type: typ, Nullable: nullable}
	return c
}

// table returns a tracked table of schema public with a primary key on
// the named columns.
func table(name string, pk []string, cols ...*Column) *Table {
	return schemaTable("public", name, pk, cols...)
}

func schemaTable(schema, name string, pk []string, cols ...*Column) *Table {
	q := catalog.QualifiedName{Schema: schema, Name: name}
	info := &catalog.Table{Name: q, Kind: catalog.KindTable, Insertable: true, Updatable: true, Deletable: true}
	t := &Table{
		Name: q, Info: info, Columns: cols,
		Meta:   &metadata.Table{Table: metadata.TableName{QualifiedName: q}},
		Select: map[string]*SelectPerm{}, Insert: map[string]*InsertPerm{},
		Update: map[string]*UpdatePerm{}, Delete: map[string]*DeletePerm{},
	}
	for _, c := range cols {
		info.Columns = append(info.Columns, c.Info)
	}
	if len(pk) > 0 {
		con := &catalog.Constraint{Name: name + "_pkey", Columns: pk}
		info.PrimaryKey = con
		t.UniqueConstraints = []*catalog.Constraint{con}
		for _, n := range pk {
			for _, c := range cols {
				if c.Name == n {
					t.PrimaryKey = append(t.PrimaryKey, c)
				}
			}
		}
	}
	return t
}

func (t *Table) column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	panic(fmt.Sprintf("no column %q in %s", name, t.Name))
}

func objRel(from *Table, name string, to *Table, nullable bool, local, remote string) {
	from.ObjectRelationships = append(from.ObjectRelationships, &Relationship{
		Name: name, Kind: ObjectRel, Target: to, Nullable: nullable,
		Mapping: []boolexp.ColumnPair{{Local: local, Remote: remote}},
	})
}

func arrRel(from *Table, name string, to *Table, local, remote string) {
	from.ArrayRelationships = append(from.ArrayRelationships, &Relationship{
		Name: name, Kind: ArrayRel, Target: to, Nullable: true,
		Mapping: []boolexp.ColumnPair{{Local: local, Remote: remote}},
	})
}

// selectPerm lets role select the named columns (all when none are named).
func selectPerm(t *Table, role string, agg bool, cols ...string) *SelectPerm {
	p := &SelectPerm{Filter: boolexp.True, Columns: map[string]boolexp.Expr{}, ComputedFields: map[string]boolexp.Expr{}, AllowAggregations: agg}
	if len(cols) == 0 {
		for _, c := range t.Columns {
			cols = append(cols, c.Name)
		}
	}
	for _, c := range cols {
		p.Columns[c] = nil
	}
	t.Select[role] = p
	return p
}

func colSet(t *Table, cols ...string) map[string]bool {
	if len(cols) == 0 {
		return allColumnSet(t)
	}
	m := map[string]bool{}
	for _, c := range cols {
		m[c] = true
	}
	return m
}

func model(tables ...*Table) *Model {
	m := &Model{Tables: tables, TableByName: map[catalog.QualifiedName]*Table{}, Source: "default"}
	for _, t := range tables {
		t.Index()
		m.TableByName[t.Name] = t
	}
	return m
}

// authorArticle is the classic pair: author has many articles, an article
// has one author through a non-null foreign key.
func authorArticle() (m *Model, author, article *Table) {
	author = table("author", []string{"id"},
		col("id", tyInt4, false),
		col("name", tyText, false),
		col("bio", tyText, true),
		col("info", tyJSONB, true),
	)
	article = table("article", []string{"id"},
		col("id", tyInt4, false),
		col("title", tyText, false),
		col("author_id", tyInt4, false),
		col("published", tyBool, false),
		col("rating", tyFloat8, true),
		col("created_at", tyTimestamptz, false),
	)
	objRel(article, "author", author, false, "author_id", "id")
	arrRel(author, "articles", article, "id", "author_id")
	return model(author, article), author, article
}
