package metaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
)

// The DML commands of /v1/query and /v2/query (hasura/graphql-engine:
// server/src-lib/Hasura/RQL/DML/*.hs), as admin: insert, select, count.
// They work on tracked tables of the served source.

// dml runs a DML command outside any txn.
func (s *Service) dml(ctx context.Context, r request) ([]byte, error) {
	s.mu.Lock()
	md := s.md
	model := s.snap.Load().Model
	pool, err := s.poolLocked(ctx, md, servedSource(md))
	if r.Type != "select" && r.Type != "count" {
		s.enums = nil // the rows of an enum table may change
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return runDML(ctx, pool, model, r)
}

// dmlInTxn runs a DML command that is part of a bulk.
func (t *txn) dmlInTxn(r request) (json.RawMessage, error) {
	pool, err := t.s.poolLocked(t.ctx, t.md, servedSource(t.md))
	if err != nil {
		return nil, err
	}
	if r.Type != "select" && r.Type != "count" {
		t.s.enums = nil
	}
	return runDML(t.ctx, pool, t.model, r)
}

func runDML(ctx context.Context, pool *pgxpool.Pool, model *schema.Model, r request) (json.RawMessage, error) {
	args, err := r.args()
	if err != nil {
		return nil, err
	}
	if metadata.JSONKind(args) != "Object" {
		return nil, apierr.New(apierr.ParseFailed, "parsing Object failed, expected Object, but encountered %s", metadata.JSONKind(args)).At(r.Path)
	}
	var common struct {
		Table *metadata.TableName `json:"table"`
	}
	if err := json.Unmarshal(args, &common); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(r.Path)
	}
	if common.Table == nil {
		return nil, apierr.New(apierr.ParseFailed, "key \"table\" not found").At(r.Path)
	}
	t, ok := model.TableByName[common.Table.QualifiedName]
	if !ok {
		return nil, apierr.New(apierr.NotExists, "table %s does not exist", metadata.Quoted(common.Table.QualifiedName)).At(r.Path + ".table")
	}
	switch r.Type {
	case "insert":
		return insertRows(ctx, pool, t, args, r.Path)
	case "select":
		return selectRows(ctx, pool, t, args, r.Path)
	case "count":
		return countRows(ctx, pool, t, args, r.Path)
	}
	return nil, apierr.New(apierr.NotSupported, "graft does not support the %q query yet", r.Type).At(r.Path)
}

func quoteTable(q catalog.QualifiedName) string { return pgx.Identifier{q.Schema, q.Name}.Sanitize() }

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// isGeo reports whether t is PostGIS geometry or geography.
func isGeo(t *catalog.Type) (string, bool) {
	for t != nil && t.Kind == catalog.TypeDomain {
		t = t.Base
	}
	if t != nil && (t.Name == "geometry" || t.Name == "geography") {
		return t.Name, true
	}
	return "", false
}

// insertRows is v1 insert: {table, objects, returning}. Each object sets
// only the columns it names (the others get their defaults); JSON values
// are converted by the column's type as json_populate_record does (arrays
// into arrays, objects into json and jsonb), and GeoJSON objects into
// geometry and geography.
func insertRows(ctx context.Context, pool *pgxpool.Pool, t *schema.Table, args json.RawMessage, path string) (json.RawMessage, error) {
	var a struct {
		Objects    []json.RawMessage `json:"objects"`
		Returning  []string          `json:"returning"`
		OnConflict json.RawMessage   `json:"on_conflict"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path)
	}
	if !metadata.IsNull(a.OnConflict) {
		return nil, apierr.New(apierr.NotSupported, "graft does not support on_conflict in v1 insert yet").At(path + ".on_conflict")
	}
	for _, c := range a.Returning {
		if _, ok := t.ColumnBySQL(c); !ok {
			return nil, apierr.New(apierr.NotExists, "column %q does not exist", c).At(path + ".returning")
		}
	}
	type row struct {
		Regular map[string]json.RawMessage `json:"r"`
		Geo     map[string]json.RawMessage `json:"g"`
	}
	groups := map[string][]row{}
	var order []string
	for i, o := range a.Objects {
		fs, ok := decodeFields(o)
		if !ok {
			return nil, apierr.New(apierr.ParseFailed, "parsing Object failed, expected Object, but encountered %s", metadata.JSONKind(o)).At(path + ".objects[" + itoa(i) + "]")
		}
		rw := row{Regular: map[string]json.RawMessage{}, Geo: map[string]json.RawMessage{}}
		var keys []string
		for k, v := range fs {
			c, ok := t.ColumnBySQL(k)
			if !ok {
				return nil, apierr.New(apierr.NotExists, "column %q does not exist", k).At(path + ".objects[" + itoa(i) + "]")
			}
			keys = append(keys, k)
			if _, geo := isGeo(c.Type); geo && metadata.JSONKind(v) == "Object" {
				rw.Geo[k] = v
			} else {
				rw.Regular[k] = v
			}
		}
		sort.Strings(keys)
		key := strings.Join(keys, "\x00")
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], rw)
	}
	table := quoteTable(t.Name)
	affected := 0
	var returned []json.RawMessage
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, key := range order {
			rows := groups[key]
			var cols []string
			if key != "" {
				cols = strings.Split(key, "\x00")
			}
			ret := "SELECT count(*)::int, '[]'::json FROM ins"
			retCols := "1"
			if len(a.Returning) > 0 {
				parts := make([]string, len(a.Returning))
				for i, c := range a.Returning {
					parts[i] = sqlString(c) + ", ins." + quoteIdent(c)
				}
				ret = "SELECT count(*)::int, coalesce(json_agg(json_build_object(" + strings.Join(parts, ", ") + ")), '[]') FROM ins"
				retCols = "*"
			}
			var sql string
			if len(cols) == 0 {
				// Objects without keys: one DEFAULT VALUES row each.
				sql = "WITH ins AS (INSERT INTO " + table + " DEFAULT VALUES RETURNING " + retCols + ") " + ret
				for range rows {
					var n int
					var js json.RawMessage
					if err := tx.QueryRow(ctx, sql).Scan(&n, &js); err != nil {
						return err
					}
					affected += n
					returned = appendJSONList(returned, js)
				}
				continue
			}
			qcols := make([]string, len(cols))
			exprs := make([]string, len(cols))
			for i, c := range cols {
				qcols[i] = quoteIdent(c)
				col, _ := t.ColumnBySQL(c)
				exprs[i] = "r." + quoteIdent(c)
				if kind, geo := isGeo(col.Type); geo {
					g := "ST_GeomFromGeoJSON((x.e->'g'->" + sqlString(c) + ")::text)"
					if kind == "geography" {
						g += "::geography"
					}
					exprs[i] = "CASE WHEN x.e->'g'->" + sqlString(c) + " IS NOT NULL THEN " + g + " ELSE r." + quoteIdent(c) + " END"
				}
				exprs[i] += " AS " + quoteIdent("c"+itoa(i))
			}
			sql = "WITH src AS (SELECT x.i AS ord, " + strings.Join(exprs, ", ") +
				" FROM json_array_elements($1::json) WITH ORDINALITY AS x(e, i)" +
				" CROSS JOIN LATERAL json_populate_record(NULL::" + table + ", x.e->'r') AS r)," +
				" ins AS (INSERT INTO " + table + " (" + strings.Join(qcols, ", ") + ") SELECT " +
				selectCols(len(cols)) + " FROM src ORDER BY ord RETURNING " + retCols + ") " + ret
			payload, err := json.Marshal(rows)
			if err != nil {
				return err
			}
			var n int
			var js json.RawMessage
			if err := tx.QueryRow(ctx, sql, string(payload)).Scan(&n, &js); err != nil {
				return err
			}
			affected += n
			returned = appendJSONList(returned, js)
		}
		return nil
	})
	if err != nil {
		return nil, dmlError(err, path)
	}
	out := map[string]any{"affected_rows": affected}
	if len(a.Returning) > 0 {
		if returned == nil {
			returned = []json.RawMessage{}
		}
		out["returning"] = returned
	}
	return mustJSON(out), nil
}

// selectCols lists the n expressions of the src CTE by position.
func selectCols(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = "src." + quoteIdent("c"+itoa(i))
	}
	return strings.Join(parts, ", ")
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func appendJSONList(list []json.RawMessage, js json.RawMessage) []json.RawMessage {
	var items []json.RawMessage
	if json.Unmarshal(js, &items) == nil {
		list = append(list, items...)
	}
	return list
}

// decodeFields decodes a JSON object into its fields.
func decodeFields(o json.RawMessage) (map[string]json.RawMessage, bool) {
	if metadata.JSONKind(o) != "Object" {
		return nil, false
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(o, &m); err != nil {
		return nil, false
	}
	return m, true
}

// dmlError maps a database error of a DML command as Hasura does.
func dmlError(err error, path string) error {
	e := apierr.From(err)
	if e.Path == "" {
		e = e.At(path)
	}
	return e
}

// selectRows is v1 select with columns, limit and offset; graft does not
// support where and order_by here yet.
func selectRows(ctx context.Context, pool *pgxpool.Pool, t *schema.Table, args json.RawMessage, path string) (json.RawMessage, error) {
	var a struct {
		Columns json.RawMessage `json:"columns"`
		Where   json.RawMessage `json:"where"`
		OrderBy json.RawMessage `json:"order_by"`
		Limit   *int            `json:"limit"`
		Offset  *int            `json:"offset"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path)
	}
	if !isEmptyObject(a.Where) || !metadata.IsNull(a.OrderBy) {
		return nil, apierr.New(apierr.NotSupported, "graft does not support where or order_by in v1 select yet").At(path)
	}
	var cols []string
	var names []string
	if err := json.Unmarshal(a.Columns, &names); err != nil {
		for _, c := range t.Columns {
			names = append(names, c.Name)
		}
	}
	for _, n := range names {
		if _, ok := t.ColumnBySQL(n); !ok {
			return nil, apierr.New(apierr.NotExists, "column %q does not exist", n).At(path + ".columns")
		}
		cols = append(cols, sqlString(n)+", t."+quoteIdent(n))
	}
	sql := "SELECT coalesce(json_agg(json_build_object(" + strings.Join(cols, ", ") + ")), '[]') FROM (SELECT * FROM " + quoteTable(t.Name)
	if a.Limit != nil {
		sql += " LIMIT " + itoa(*a.Limit)
	}
	if a.Offset != nil {
		sql += " OFFSET " + itoa(*a.Offset)
	}
	sql += ") t"
	var out json.RawMessage
	if err := pool.QueryRow(ctx, sql).Scan(&out); err != nil {
		return nil, dmlError(err, path)
	}
	return out, nil
}

func isEmptyObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return metadata.IsNull(b) || bytes.Equal(bytes.Join(bytes.Fields(b), nil), []byte("{}"))
}

// countRows is v1 count without where.
func countRows(ctx context.Context, pool *pgxpool.Pool, t *schema.Table, args json.RawMessage, path string) (json.RawMessage, error) {
	var a struct {
		Where json.RawMessage `json:"where"`
	}
	if err := json.Unmarshal(args, &a); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path)
	}
	if !isEmptyObject(a.Where) {
		return nil, apierr.New(apierr.NotSupported, "graft does not support where in v1 count yet").At(path)
	}
	var n int64
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+quoteTable(t.Name)).Scan(&n); err != nil {
		return nil, dmlError(err, path)
	}
	return mustJSON(map[string]int64{"count": n}), nil
}
