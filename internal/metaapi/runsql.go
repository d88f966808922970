package metaapi

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// run_sql (hasura/graphql-engine: server/src-lib/Hasura/Backends/Postgres/DDL/RunSQL.hs).

type runSQLArgs struct {
	SQL                      *string `json:"sql"`
	Source                   string  `json:"source"`
	Cascade                  bool    `json:"cascade"`
	CheckMetadataConsistency *bool   `json:"check_metadata_consistency"`
	ReadOnly                 bool    `json:"read_only"`
}

// ddlKeyword is Hasura's heuristic for SQL that may change the schema
// (Note [Checking metadata consistency in run_sql]).
var ddlKeyword = regexp.MustCompile(`(?i)\balter\b|\bdrop\b|\breplace\b|\bcreate function\b|\bcomment on\b`)

// runSQL runs arbitrary SQL in one transaction and answers with the result
// of its last statement. When the SQL may have changed the schema, the
// catalog is introspected again inside the same transaction and the
// metadata follows the changes (renames, dropped tables and columns); if
// that would break tracked objects and cascade is not set, or if the
// metadata would become inconsistent, the transaction is rolled back, so a
// rejected run_sql changes nothing. See Note [run_sql transaction].
func (t *txn) runSQL(r request) (json.RawMessage, error) {
	raw, err := r.args()
	if err != nil {
		return nil, err
	}
	var a runSQLArgs
	if metadata.JSONKind(raw) != "Object" {
		return nil, apierr.New(apierr.ParseFailed, "parsing RunSQL failed, expected Object, but encountered %s", metadata.JSONKind(raw)).At(r.Path)
	}
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(r.Path)
	}
	if a.SQL == nil {
		return nil, apierr.New(apierr.ParseFailed, "key \"sql\" not found").At(r.Path)
	}
	source := a.Source
	if source == "" {
		source = metadata.DefaultSource
	}
	pool, err := t.s.poolLocked(t.ctx, t.md, source)
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, ae.At(r.Path)
		}
		return nil, apierr.Wrap(err, apierr.Unexpected, "cannot connect to source "+source).At(r.Path)
	}
	check := !a.ReadOnly
	if check {
		if a.CheckMetadataConsistency != nil {
			check = *a.CheckMetadataConsistency
		} else {
			check = ddlKeyword.MatchString(*a.SQL)
		}
	}
	served := source == servedSource(t.md)

	opts := pgx.TxOptions{}
	if a.ReadOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	tx, err := pool.BeginTx(t.ctx, opts)
	if err != nil {
		return nil, apierr.Wrap(err, apierr.Unexpected, "postgres tx error").At(r.Path)
	}
	defer tx.Rollback(context.WithoutCancel(t.ctx))

	var pre *catalog.Catalog
	if check && served {
		pre = t.cat
		if pre == nil {
			if pre, err = catalog.Introspect(t.ctx, tx); err != nil {
				return nil, apierr.Wrap(err, apierr.Unexpected, "database query error").At(r.Path)
			}
		}
	}
	out, err := execSQL(t.ctx, tx.Conn().PgConn(), *a.SQL)
	if err != nil {
		return nil, sqlError(err, *a.SQL, r.Path)
	}
	if !check || !served {
		if err := tx.Commit(t.ctx); err != nil {
			return nil, sqlError(err, *a.SQL, r.Path)
		}
		if served && !a.ReadOnly {
			// The schema did not change as far as Hasura's heuristic can
			// tell, but the data may have (enum tables), and CREATE TABLE is
			// not a DDL keyword: introspect again before the next build.
			t.s.enums = nil
			t.refreshCatalog()
		}
		return out, nil
	}

	post, err := catalog.Introspect(t.ctx, tx)
	if err != nil {
		return nil, apierr.Wrap(err, apierr.Unexpected, "database query error").At(r.Path)
	}
	md, err := followSchemaChanges(t.md, source, pre, post, a.Cascade)
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, ae.At(r.Path)
		}
		return nil, err
	}
	// Note [run_sql transaction]: build against the new catalog before
	// committing; the enum tables are read through the pool, so drop the
	// cached rows rather than read uncommitted ones.
	saved := t.s.enums
	t.s.enums = nil
	m := t.s.buildLocked(t.ctx, md, post)
	if err := checkChange(t.model.Inconsistencies, m.Inconsistencies, &metadata.Change{Check: metadata.CheckNew}, r.Path); err != nil {
		t.s.enums = saved
		return nil, err
	}
	if err := tx.Commit(t.ctx); err != nil {
		t.s.enums = saved
		return nil, sqlError(err, *a.SQL, r.Path)
	}
	t.s.enums = nil
	t.md, t.cat, t.changed, t.catChanged = md, post, true, true
	t.model = t.s.buildLocked(t.ctx, md, post)
	return out, nil
}

// Note [run_sql transaction]
//
// Hasura commits the SQL of run_sql and only then rebuilds its schema cache,
// so SQL whose effect makes the metadata inconsistent is kept while the
// request fails. graft checks the metadata while the transaction is still
// open and rolls back when it would fail, so a failed run_sql has no effect.
// Enum table rows are the one thing read outside the transaction (through
// the pool); they are read again after the commit.

// execSQL runs sql with the simple protocol and returns the result of its
// last statement as Hasura's RunSQLRes.
func execSQL(ctx context.Context, conn *pgconn.PgConn, sql string) (json.RawMessage, error) {
	mrr := conn.Exec(ctx, sql)
	var header []*string
	var rows [][]*string
	var tuples bool
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		// ResultReader.Read drops the columns of a result without rows;
		// Hasura answers TuplesOk with just the header for those.
		fds := rr.FieldDescriptions()
		tuples = len(fds) > 0
		header, rows = make([]*string, len(fds)), nil
		for i, f := range fds {
			name := f.Name
			header[i] = &name
		}
		for rr.NextRow() {
			vals := make([]*string, len(rr.Values()))
			for i, v := range rr.Values() {
				if v != nil {
					s := string(v)
					vals[i] = &s
				}
			}
			rows = append(rows, vals)
		}
		if _, err := rr.Close(); err != nil {
			_ = mrr.Close()
			return nil, err
		}
	}
	if err := mrr.Close(); err != nil {
		return nil, err
	}
	if !tuples {
		return json.RawMessage(`{"result_type":"CommandOk","result":null}`), nil
	}
	return mustJSON(map[string]any{"result_type": "TuplesOk", "result": append([][]*string{header}, rows...)}), nil
}

// sqlError is run_sql's error: 400 postgres-error "query execution failed"
// with the PostgreSQL error as internal detail.
func sqlError(err error, sql, path string) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Not apierr.FromPg: it maps constraint errors to codes of their
		// own without the detail, and run_sql always reports the detail.
		return &apierr.Error{Code: apierr.PostgresError, Message: "query execution failed", Path: path, Err: err,
			Internal: apierr.PgInternal(pe, &apierr.Statement{SQL: sql})}
	}
	return &apierr.Error{Code: apierr.PostgresError, Message: "connection error", Path: path, Status: 500, Internal: err.Error(), Err: err}
}

// followSchemaChanges makes the metadata of source follow what SQL did to
// the database, from catalog pre to post (Hasura's withMetadataCheck and
// processTablesDiff): tracked tables and columns are followed through
// renames (by OID and attnum), dropped tables and functions leave the
// metadata, and objects that depended on dropped tables, columns, foreign
// keys or computed field functions are dropped with cascade, or reported
// as a dependency error without it.
func followSchemaChanges(md *metadata.Metadata, source string, pre, post *catalog.Catalog, cascade bool) (*metadata.Metadata, error) {
	src, ok := md.Source(source)
	if !ok || pre == nil {
		return md, nil
	}
	byOID := map[uint32]*catalog.Table{}
	for _, t := range post.Tables {
		byOID[t.OID] = t
	}
	var (
		droppedTables  []catalog.QualifiedName
		tableRenames   = map[catalog.QualifiedName]catalog.QualifiedName{}
		columnRenames  []metadata.ColumnRename
		droppedColumns = map[catalog.QualifiedName][]string{}
		deps           []metadata.ObjectID
	)
	for _, mt := range src.Tables {
		q := mt.Table.QualifiedName
		old, ok := pre.Table(q)
		if !ok {
			continue // already inconsistent
		}
		now, ok := byOID[old.OID]
		if !ok {
			droppedTables = append(droppedTables, q)
			continue
		}
		if now.Name != q {
			tableRenames[q] = now.Name
		}
		byPos := map[int]*catalog.Column{}
		for _, c := range now.Columns {
			byPos[c.Position] = c
		}
		for _, c := range old.Columns {
			nc, ok := byPos[c.Position]
			switch {
			case !ok:
				droppedColumns[q] = append(droppedColumns[q], c.Name)
			case nc.Name != c.Name:
				columnRenames = append(columnRenames, metadata.ColumnRename{Table: q, Old: c.Name, New: nc.Name})
			}
		}
		for _, fk := range old.ForeignKeys {
			if !foreignKeyKept(fk, now, pre, post) {
				deps = append(deps, metadata.ObjectDependents(md, source, pre, metadata.ForeignKeyRelationships(md, source, q, fk.Columns))...)
			}
		}
		for _, cf := range mt.ComputedFields {
			fq := cf.Definition.Function.QualifiedName
			if f, ok := pre.Function(fq); ok && !functionKept(f, post) {
				deps = append(deps, metadata.ObjectDependents(md, source, pre, []metadata.ObjectID{metadata.ComputedFieldID(source, q, cf.Name)})...)
			}
		}
	}
	dropped := map[catalog.QualifiedName]bool{}
	for _, q := range droppedTables {
		dropped[q] = true
	}
	deps = append(deps, metadata.TableDependents(md, source, pre, droppedTables)...)
	tables := make([]catalog.QualifiedName, 0, len(droppedColumns))
	for q := range droppedColumns {
		tables = append(tables, q)
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].String() < tables[j].String() })
	for _, q := range tables {
		deps = append(deps, metadata.Dependents(md, source, pre, q, droppedColumns[q])...)
	}
	var indirect []metadata.ObjectID
	seen := map[string]bool{}
	for _, d := range deps {
		if dropped[d.Table] || seen[d.String()] {
			continue
		}
		seen[d.String()] = true
		indirect = append(indirect, d)
	}
	// Tracked functions must stay single: Hasura refuses overloads.
	var overloaded []string
	for _, f := range src.Functions {
		if fs := post.Functions[f.Function.QualifiedName]; len(fs) > 1 {
			overloaded = append(overloaded, metadata.QualifiedText(f.Function.QualifiedName))
		}
	}
	if len(overloaded) > 0 {
		return nil, apierr.New(apierr.NotSupported, "the following tracked function(s) cannot be overloaded: %s", joinComma(overloaded))
	}
	if len(indirect) > 0 && !cascade {
		return nil, apierr.New(apierr.DependencyError, "cannot drop due to the following dependent objects: %s", metadata.ReportObjects(indirect))
	}

	out := md.Clone()
	for _, d := range indirect {
		metadata.PurgeObject(out, d)
	}
	for _, q := range droppedTables {
		metadata.PurgeObject(out, metadata.TableID(source, q))
	}
	for _, f := range src.Functions {
		if fi, ok := pre.Function(f.Function.QualifiedName); ok && !functionKept(fi, post) {
			metadata.PurgeObject(out, metadata.FunctionID(source, f.Function.QualifiedName))
		}
	}
	for _, q := range tables {
		if !dropped[q] {
			metadata.DropColumnConfig(out, source, q, droppedColumns[q])
		}
	}
	metadata.RenameColumns(out, source, pre, columnRenames)
	for old, new := range tableRenames {
		metadata.RenameTable(out, source, pre, old, new)
	}
	return out, nil
}

// foreignKeyKept reports whether foreign key fk of a table survived: same
// OID, or a key with the same referenced table and columns (a key dropped
// and created again, as ALTER ... DROP CONSTRAINT, ADD CONSTRAINT does).
func foreignKeyKept(fk *catalog.ForeignKey, now *catalog.Table, pre, post *catalog.Catalog) bool {
	var refOID uint32
	if rt, ok := pre.Table(fk.RefTable); ok {
		refOID = rt.OID
	}
	for _, k := range now.ForeignKeys {
		if k.OID == fk.OID {
			return true
		}
		rt, ok := post.Table(k.RefTable)
		if !ok || rt.OID != refOID || len(k.Columns) != len(fk.Columns) {
			continue
		}
		same := true
		for i := range k.Columns {
			if k.Columns[i] != fk.Columns[i] || k.RefColumns[i] != fk.RefColumns[i] {
				same = false
			}
		}
		if same {
			return true
		}
	}
	return false
}

// functionKept reports whether f still exists (by OID) in post.
func functionKept(f *catalog.Function, post *catalog.Catalog) bool {
	for _, fs := range post.Functions {
		for _, g := range fs {
			if g.OID == f.OID {
				return true
			}
		}
	}
	return false
}

func joinComma(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}
