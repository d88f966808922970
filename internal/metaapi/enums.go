package metaapi

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
)

// enumValuesLocked returns the rows of the source's enum tables (is_enum:
// true): the value is the single-column text primary key, the comment the
// one other text column if there is one (hasura/graphql-engine:
// server/src-lib/Hasura/Backends/Postgres/DDL/EnumValues.hs). Tables of
// another shape are skipped; schema.Build reports them. Rows are cached
// until the database may have changed.
func (s *Service) enumValuesLocked(ctx context.Context, md *metadata.Metadata, source string, cat *catalog.Catalog) map[catalog.QualifiedName][]schema.EnumValue {
	src, ok := md.Source(source)
	if !ok {
		return nil
	}
	out := map[catalog.QualifiedName][]schema.EnumValue{}
	for _, t := range src.Tables {
		if !t.IsEnum {
			continue
		}
		q := t.Table.QualifiedName
		if vs, ok := s.enums[q]; ok {
			out[q] = vs
			continue
		}
		ti, ok := cat.Table(q)
		if !ok || ti.PrimaryKey == nil || len(ti.PrimaryKey.Columns) != 1 {
			continue
		}
		pk, _ := ti.Column(ti.PrimaryKey.Columns[0])
		if pk == nil || !isTextType(pk.Type) {
			continue
		}
		var comment *catalog.Column
		others := 0
		for _, c := range ti.Columns {
			if c.Name == pk.Name {
				continue
			}
			others++
			if isTextType(c.Type) {
				comment = c
			}
		}
		if others > 1 {
			continue
		}
		pool, err := s.poolLocked(ctx, md, source)
		if err != nil {
			continue
		}
		commentExpr := "NULL::text"
		if comment != nil {
			commentExpr = pgx.Identifier{comment.Name}.Sanitize() + "::text"
		}
		rows, err := pool.Query(ctx, "SELECT "+pgx.Identifier{pk.Name}.Sanitize()+"::text, "+commentExpr+
			" FROM "+pgx.Identifier{q.Schema, q.Name}.Sanitize()+" ORDER BY 1")
		if err != nil {
			s.log.WarnContext(ctx, "read enum table", logKeyTable, q.String(), logKeyError, err)
			continue
		}
		var vs []schema.EnumValue
		for rows.Next() {
			var v string
			var c *string
			if err := rows.Scan(&v, &c); err != nil {
				break
			}
			ev := schema.EnumValue{Value: v}
			if c != nil {
				ev.Comment = *c
			}
			vs = append(vs, ev)
		}
		rows.Close()
		if rows.Err() != nil {
			continue
		}
		if s.enums == nil {
			s.enums = map[catalog.QualifiedName][]schema.EnumValue{}
		}
		s.enums[q] = vs
		out[q] = vs
	}
	return out
}

func isTextType(t *catalog.Type) bool {
	for t != nil && t.Kind == catalog.TypeDomain {
		t = t.Base
	}
	return t != nil && t.Schema == "pg_catalog" && (t.Name == "text" || t.Name == "varchar" || t.Name == "bpchar")
}
