package metadir_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/metaapi"
	"github.com/graftql/graft/internal/metadir"
	"github.com/graftql/graft/internal/pgtest"
)

// newClient starts the metadata service on a fresh database and returns
// it as an in-process Client.
func newClient(t *testing.T) (metadir.Client, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t, "")
	svc := metaapi.New(metaapi.Options{
		MetadataPool: db.Pool,
		SourcePool:   db.Pool,
		SyncInterval: time.Hour,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Getenv: func(k string) string {
			if k == "HASURA_GRAPHQL_DATABASE_URL" {
				return db.URL
			}
			return ""
		},
	})
	if err := svc.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(svc.Close)
	return metadir.Funcs{MetadataFunc: svc.Metadata, QueryFunc: svc.QueryV2}, db
}

// writeMigrations creates migrations/<database>/<id>/up.sql files.
func writeMigrations(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(ms []metadir.Migration) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Database+"/"+m.ID())
	}
	return out
}

// cliState reads hdb_catalog.hdb_version.cli_state directly: the place the
// Hasura CLI keeps migration state with config v3.
func cliState(t *testing.T, db *pgtest.DB) string {
	t.Helper()
	var s string
	if err := db.Pool.QueryRow(context.Background(), `SELECT cli_state::text FROM hdb_catalog.hdb_version`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func tableExists(t *testing.T, db *pgtest.DB, name string) bool {
	t.Helper()
	var ok bool
	if err := db.Pool.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	writeMigrations(t, dir, map[string]string{
		"default/1700000000002_seed/up.sql":   "INSERT INTO note (body) VALUES ('hello');",
		"default/1700000000001_init/up.sql":   "CREATE TABLE note (id serial PRIMARY KEY, body text);",
		"default/1700000000001_init/down.sql": "DROP TABLE note;",
		"default/1700000000003_empty/up.sql":  "",
		"default/not_a_version/up.sql":        "nonsense",
		"default/README.md":                   "ignored",
		"analytics/1700000000010_x/down.sql":  "",
	})
	got, err := metadir.Migrations(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []metadir.Migration{
		{Database: "analytics", Version: 1700000000010, Name: "x", Dir: filepath.Join(dir, "analytics/1700000000010_x"), DownSQL: true},
		{Database: "default", Version: 1700000000001, Name: "init", Dir: filepath.Join(dir, "default/1700000000001_init"), UpSQL: true, DownSQL: true},
		{Database: "default", Version: 1700000000002, Name: "seed", Dir: filepath.Join(dir, "default/1700000000002_seed"), UpSQL: true},
		{Database: "default", Version: 1700000000003, Name: "empty", Dir: filepath.Join(dir, "default/1700000000003_empty"), UpSQL: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Migrations (-want +got):\n%s", diff)
	}

	t.Run("ErrLegacyLayout", func(t *testing.T) {
		legacy := t.TempDir()
		writeMigrations(t, legacy, map[string]string{"1700000000001_init/up.sql": "SELECT 1"})
		if _, err := metadir.Migrations(legacy); !errors.Is(err, metadir.ErrLegacyLayout) {
			t.Errorf("Migrations: %v, want ErrLegacyLayout", err)
		}
	})
}

func TestApplyMigrations(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		c, db := newClient(t)
		dir := t.TempDir()
		writeMigrations(t, dir, map[string]string{
			"default/1700000000001_init/up.sql":  "CREATE TABLE note (id serial PRIMARY KEY, body text);",
			"default/1700000000002_seed/up.sql":  "INSERT INTO note (body) VALUES ('hello'), ('world');",
			"default/1700000000003_empty/up.sql": "\n",
		})
		// The CLI's other state is kept.
		if _, err := c.Metadata(ctx, []byte(`{"type":"set_catalog_state","args":{"type":"cli","state":{"settings":{"migration_mode":"true"},"isStateCopyCompleted":true}}}`)); err != nil {
			t.Fatal(err)
		}
		applied, err := metadir.ApplyMigrations(ctx, c, dir, metadir.MigrateOptions{})
		if err != nil {
			t.Fatalf("ApplyMigrations: %v", err)
		}
		if diff := cmp.Diff([]string{"default/1700000000001_init", "default/1700000000002_seed", "default/1700000000003_empty"}, ids(applied)); diff != "" {
			t.Errorf("applied (-want +got):\n%s", diff)
		}
		var n int
		if err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM note`).Scan(&n); err != nil || n != 2 {
			t.Errorf("note has %d rows (%v), want 2", n, err)
		}
		wantState := `{"settings": {"migration_mode": "true"}, "migrations": {"default": {"1700000000001": false, "1700000000002": false, "1700000000003": false}}, "isStateCopyCompleted": true}`
		if diff := cmp.Diff(wantState, cliState(t, db)); diff != "" {
			t.Errorf("cli_state (-want +got):\n%s", diff)
		}

		// Idempotent: nothing is pending the second time.
		again, err := metadir.ApplyMigrations(ctx, c, dir, metadir.MigrateOptions{})
		if err != nil || len(again) != 0 {
			t.Errorf("second ApplyMigrations = %v, %v; want nothing applied", ids(again), err)
		}

		st, err := metadir.Status(ctx, c, dir, "default")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range st {
			if !s.Present || !s.Applied || s.Dirty {
				t.Errorf("status of %s = %+v, want present and applied", s.ID(), s)
			}
		}
	})

	t.Run("AppliedByHasuraCLI", func(t *testing.T) {
		// A version the Hasura CLI recorded is not run again, even when an
		// older one is pending (the CLI applies every unapplied version).
		c, db := newClient(t)
		dir := t.TempDir()
		writeMigrations(t, dir, map[string]string{
			"default/1700000000001_a/up.sql": "CREATE TABLE a (id int);",
			"default/1700000000002_b/up.sql": "CREATE TABLE b (id int);",
			"default/1700000000003_c/up.sql": "CREATE TABLE c (id int);",
		})
		if _, err := c.Metadata(ctx, []byte(`{"type":"set_catalog_state","args":{"type":"cli","state":{"migrations":{"default":{"1700000000002":false}}}}}`)); err != nil {
			t.Fatal(err)
		}
		applied, err := metadir.ApplyMigrations(ctx, c, dir, metadir.MigrateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"default/1700000000001_a", "default/1700000000003_c"}, ids(applied)); diff != "" {
			t.Errorf("applied (-want +got):\n%s", diff)
		}
		if tableExists(t, db, "b") || !tableExists(t, db, "a") || !tableExists(t, db, "c") {
			t.Errorf("tables a, b, c exist: %v %v %v; want true false true", tableExists(t, db, "a"), tableExists(t, db, "b"), tableExists(t, db, "c"))
		}
	})

	t.Run("Failure", func(t *testing.T) {
		c, db := newClient(t)
		dir := t.TempDir()
		writeMigrations(t, dir, map[string]string{
			"default/1700000000001_init/up.sql":   "CREATE TABLE note (id serial PRIMARY KEY);",
			"default/1700000000002_broken/up.sql": "CREATE TABLE half (id int); INSERT INTO missing VALUES (1);",
			"default/1700000000003_later/up.sql":  "CREATE TABLE later (id int);",
		})
		applied, err := metadir.ApplyMigrations(ctx, c, dir, metadir.MigrateOptions{})
		if diff := cmp.Diff([]string{"default/1700000000001_init"}, ids(applied)); diff != "" {
			t.Errorf("applied (-want +got):\n%s", diff)
		}
		var me *metadir.MigrationError
		if !errors.As(err, &me) || me.Migration.Version != 1700000000002 {
			t.Fatalf("error %v, want a MigrationError for 1700000000002", err)
		}
		for _, want := range []string{"1700000000002_broken", `"default"`, `relation "missing" does not exist`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
		// The failed migration ran in one transaction: nothing of it stays.
		if !tableExists(t, db, "note") || tableExists(t, db, "half") || tableExists(t, db, "later") {
			t.Errorf("tables note, half, later exist: %v %v %v; want true false false",
				tableExists(t, db, "note"), tableExists(t, db, "half"), tableExists(t, db, "later"))
		}
		if diff := cmp.Diff(`{"migrations": {"default": {"1700000000001": false}}}`, cliState(t, db)); diff != "" {
			t.Errorf("cli_state (-want +got):\n%s", diff)
		}
		st, err := metadir.Status(ctx, c, dir, "default")
		if err != nil {
			t.Fatal(err)
		}
		var applied2 []bool
		for _, s := range st {
			applied2 = append(applied2, s.Applied)
		}
		if diff := cmp.Diff([]bool{true, false, false}, applied2); diff != "" {
			t.Errorf("applied per version (-want +got):\n%s", diff)
		}
	})

	t.Run("UnknownDatabase", func(t *testing.T) {
		c, _ := newClient(t)
		dir := t.TempDir()
		writeMigrations(t, dir, map[string]string{"default/1700000000001_a/up.sql": "SELECT 1;"})
		_, err := metadir.ApplyMigrations(ctx, c, dir, metadir.MigrateOptions{Databases: []string{"other"}})
		if err == nil || !strings.Contains(err.Error(), `database "other"`) {
			t.Errorf("ApplyMigrations: %v, want an error naming database other", err)
		}
	})
}

// TestApplyMetadata applies the round-trip project's tables to a database
// that has them and reads the result back.
func TestApplyMetadata(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	dir := t.TempDir()
	writeMigrations(t, dir, map[string]string{
		"migrations/default/1_init/up.sql": "CREATE TABLE author (id serial PRIMARY KEY, name text);",
		"metadata/version.yaml":            "version: 3\n",
		"metadata/databases/databases.yaml": "- name: default\n  kind: postgres\n  configuration:\n    connection_info:\n" +
			"      database_url:\n        from_env: HASURA_GRAPHQL_DATABASE_URL\n  tables: \"!include default/tables/tables.yaml\"\n",
		"metadata/databases/default/tables/tables.yaml":        "- \"!include public_author.yaml\"\n- \"!include public_ghost.yaml\"\n",
		"metadata/databases/default/tables/public_author.yaml": "table:\n  name: author\n  schema: public\n",
		"metadata/databases/default/tables/public_ghost.yaml":  "table:\n  name: ghost\n  schema: public\n",
	})
	if _, err := metadir.ApplyMigrations(ctx, c, metadir.MigrationsDir(dir), metadir.MigrateOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := metadir.ApplyMetadata(ctx, c, metadir.MetadataDir(dir), metadir.ApplyOptions{SkipUnchanged: true})
	if err != nil {
		t.Fatalf("ApplyMetadata: %v", err)
	}
	if !res.Applied || len(res.InconsistentObjects) != 1 || !strings.Contains(string(res.InconsistentObjects[0]), "ghost") {
		t.Errorf("ApplyMetadata = applied %v, inconsistent %s; want applied, ghost inconsistent", res.Applied, res.InconsistentObjects)
	}
	md, err := metadir.ExportMetadata(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Sources) != 1 || len(md.Sources[0].Tables) != 2 {
		b, _ := json.Marshal(md)
		t.Errorf("exported %s", b)
	}
	res, err = metadir.ApplyMetadata(ctx, c, metadir.MetadataDir(dir), metadir.ApplyOptions{SkipUnchanged: true})
	if err != nil || res.Applied || len(res.InconsistentObjects) != 1 {
		t.Errorf("second ApplyMetadata = %+v, %v; want nothing applied, one inconsistency", res, err)
	}
}
