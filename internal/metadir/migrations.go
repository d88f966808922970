package metadir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Migration is one version directory, migrations/<Database>/<Version>_<Name>/.
type Migration struct {
	Database string
	Version  uint64
	Name     string
	// Dir is the version's directory.
	Dir string
	// UpSQL and UpYAML report which up files exist (up.sql: SQL run with
	// run_sql; up.yaml: a list of API requests, the legacy form).
	UpSQL, UpYAML bool
	// DownSQL and DownYAML report which down files exist.
	DownSQL, DownYAML bool
}

// ID is the directory name, <version>_<name>.
func (m Migration) ID() string {
	if m.Name == "" {
		return strconv.FormatUint(m.Version, 10)
	}
	return strconv.FormatUint(m.Version, 10) + "_" + m.Name
}

// versionDir is the name of a version directory: digits, then _ and a name
// (hasura/graphql-engine: cli/migrate/source/parse.go).
var versionDir = regexp.MustCompile(`^([0-9]+)(?:_(.*))?$`)

// ErrLegacyLayout means the migrations directory holds version
// directories directly (config v2) instead of one directory per database.
var ErrLegacyLayout = errors.New("version directories must be under a directory named for their database, as migrations/default/<version>_<name> (config v3); run `hasura scripts update-project-v3` to move them")

// Migrations lists the migrations of the migrations directory dir
// (which holds one directory per database), by database, then version.
func Migrations(dir string) ([]Migration, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, db := range entries {
		if !db.IsDir() || strings.HasPrefix(db.Name(), ".") {
			continue
		}
		if versionDir.MatchString(db.Name()) {
			return nil, &FileError{Path: filepath.Join(dir, db.Name()), Err: ErrLegacyLayout}
		}
		ms, err := databaseMigrations(dir, db.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

func databaseMigrations(dir, db string) ([]Migration, error) {
	dbDir := filepath.Join(dir, db)
	entries, err := os.ReadDir(dbDir)
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[uint64]string{}
	for _, e := range entries {
		m := versionDir.FindStringSubmatch(e.Name())
		if !e.IsDir() || m == nil {
			continue
		}
		v, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			return nil, &FileError{Path: filepath.Join(dbDir, e.Name()), Err: fmt.Errorf("version: %w", err)}
		}
		if prev, dup := seen[v]; dup {
			return nil, &FileError{Path: filepath.Join(dbDir, e.Name()), Err: fmt.Errorf("version %d is also %s", v, prev)}
		}
		seen[v] = e.Name()
		mig := Migration{Database: db, Version: v, Name: m[2], Dir: filepath.Join(dbDir, e.Name())}
		mig.UpSQL = exists(filepath.Join(mig.Dir, "up.sql"))
		mig.UpYAML = exists(filepath.Join(mig.Dir, "up.yaml"))
		mig.DownSQL = exists(filepath.Join(mig.Dir, "down.sql"))
		mig.DownYAML = exists(filepath.Join(mig.Dir, "down.yaml"))
		out = append(out, mig)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Note [migration state]
//
// With config v3 the Hasura CLI keeps the applied versions in the catalog
// state (hdb_catalog.hdb_version.cli_state), read with get_catalog_state
// and written whole with set_catalog_state
// (hasura/graphql-engine: cli/internal/statestore/statestore.go, CLIState;
// cli/migrate/database/hasuradb/migration_state_catalog_state.go):
//
//	{"migrations": {"default": {"1650000000000": false}},
//	 "settings": {"migration_mode": "true"}, "isStateCopyCompleted": false}
//
// The value is the dirty flag; the CLI counts every listed version as
// applied, and writes false once a migration has run. graft reads and
// writes the same shape and keeps the keys it does not use.

// cliState is the CLI's part of the catalog state.
type cliState struct {
	raw        map[string]json.RawMessage
	migrations map[string]map[string]bool
}

func getCLIState(ctx context.Context, c Client) (*cliState, error) {
	out, err := c.Metadata(ctx, []byte(`{"type":"get_catalog_state","args":{}}`))
	if err != nil {
		return nil, fmt.Errorf("get catalog state: %w", err)
	}
	var resp struct {
		CLIState json.RawMessage `json:"cli_state"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("get catalog state: %w", err)
	}
	s := &cliState{raw: map[string]json.RawMessage{}, migrations: map[string]map[string]bool{}}
	if len(resp.CLIState) > 0 && string(resp.CLIState) != "null" {
		if err := json.Unmarshal(resp.CLIState, &s.raw); err != nil {
			return nil, fmt.Errorf("catalog state: cli_state: %w", err)
		}
	}
	if m, ok := s.raw["migrations"]; ok && string(m) != "null" {
		if err := json.Unmarshal(m, &s.migrations); err != nil {
			return nil, fmt.Errorf("catalog state: cli_state.migrations: %w", err)
		}
	}
	return s, nil
}

func setCLIState(ctx context.Context, c Client, s *cliState) error {
	s.raw["migrations"] = mustMarshal(s.migrations)
	state, err := json.Marshal(s.raw)
	if err != nil {
		return err
	}
	body := `{"type":"set_catalog_state","args":{"type":"cli","state":` + string(state) + `}}`
	if _, err := c.Metadata(ctx, []byte(body)); err != nil {
		return fmt.Errorf("set catalog state: %w", err)
	}
	return nil
}

// MigrationStatus is a version found in the directory, in the catalog
// state, or both (`hasura migrate status`).
type MigrationStatus struct {
	Migration
	// Present means the version's directory exists.
	Present bool
	// Applied means the catalog state lists the version.
	Applied bool
	// Dirty means the state marks it dirty (a run that did not finish).
	Dirty bool
}

// Status compares the migrations of database in the migrations
// directory dir with the catalog state.
func Status(ctx context.Context, c Client, dir, database string) ([]MigrationStatus, error) {
	all, err := Migrations(dir)
	if err != nil {
		return nil, err
	}
	state, err := getCLIState(ctx, c)
	if err != nil {
		return nil, err
	}
	applied := state.migrations[database]
	byVersion := map[uint64]*MigrationStatus{}
	var out []*MigrationStatus
	for _, m := range all {
		if m.Database != database {
			continue
		}
		s := &MigrationStatus{Migration: m, Present: true}
		if dirty, ok := applied[strconv.FormatUint(m.Version, 10)]; ok {
			s.Applied, s.Dirty = true, dirty
		}
		byVersion[m.Version] = s
		out = append(out, s)
	}
	for v, dirty := range applied {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("catalog state: migration version %q: %w", v, err)
		}
		if byVersion[n] == nil {
			s := &MigrationStatus{Migration: Migration{Database: database, Version: n}, Applied: true, Dirty: dirty}
			byVersion[n] = s
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	res := make([]MigrationStatus, len(out))
	for i, s := range out {
		res[i] = *s
	}
	return res, nil
}

// MigrateOptions change ApplyMigrations.
type MigrateOptions struct {
	// Databases limits the databases migrated; nil means every database
	// directory.
	Databases []string
	// OnApplied, when set, is called after each migration is applied and
	// recorded.
	OnApplied func(Migration)
}

// A MigrationError is a migration that failed; the migrations before it
// stay applied and recorded.
type MigrationError struct {
	Migration Migration
	Err       error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("migration %s of database %q failed: %v", e.Migration.ID(), e.Migration.Database, e.Err)
}

// Unwrap returns the cause.
func (e *MigrationError) Unwrap() error { return e.Err }

// ApplyMigrations applies the pending migrations of the migrations
// directory dir, as `hasura migrate apply` does: for each database, every
// version the catalog state does not list, in version order, each up.sql
// as one run_sql on that database (one transaction), each recorded in the
// catalog state as soon as it ran (Note [migration state]). It stops at
// the first failure with a *MigrationError. It returns the migrations it
// applied.
func ApplyMigrations(ctx context.Context, c Client, dir string, opts MigrateOptions) ([]Migration, error) {
	all, err := Migrations(dir)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, db := range opts.Databases {
		want[db] = true
		if !isDir(filepath.Join(dir, db)) {
			return nil, fmt.Errorf("database %q: no directory %s", db, filepath.Join(dir, db))
		}
	}
	state, err := getCLIState(ctx, c)
	if err != nil {
		return nil, err
	}
	var applied []Migration
	for _, m := range all {
		if len(want) > 0 && !want[m.Database] {
			continue
		}
		version := strconv.FormatUint(m.Version, 10)
		if _, done := state.migrations[m.Database][version]; done {
			continue
		}
		if err := runMigration(ctx, c, m); err != nil {
			return applied, &MigrationError{Migration: m, Err: err}
		}
		// Re-read the state before writing it whole, as the CLI does, so
		// that a concurrent change to another key is kept.
		if state, err = getCLIState(ctx, c); err != nil {
			return applied, &MigrationError{Migration: m, Err: err}
		}
		if state.migrations[m.Database] == nil {
			state.migrations[m.Database] = map[string]bool{}
		}
		state.migrations[m.Database][version] = false
		if err := setCLIState(ctx, c, state); err != nil {
			return applied, &MigrationError{Migration: m, Err: err}
		}
		applied = append(applied, m)
		if opts.OnApplied != nil {
			opts.OnApplied(m)
		}
	}
	return applied, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// queryTypes are the request types the CLI sends to /v2/query rather than
// /v1/metadata (cli/migrate/database/hasuradb/hasuradb.go, queryTypes).
var queryTypes = map[string]bool{"select": true, "insert": true, "update": true, "delete": true, "count": true, "run_sql": true}

// runMigration runs one migration's up files.
func runMigration(ctx context.Context, c Client, m Migration) error {
	if !m.UpSQL && !m.UpYAML {
		return fmt.Errorf("%d up migration not found (no up.sql in %s)", m.Version, m.Dir)
	}
	if m.UpSQL {
		sql, err := os.ReadFile(filepath.Join(m.Dir, "up.sql"))
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(sql)) != "" {
			body, _ := json.Marshal(map[string]any{"type": "run_sql", "args": map[string]any{"source": m.Database, "sql": string(sql)}})
			if _, err := c.Query(ctx, body); err != nil {
				return err
			}
		}
	}
	if m.UpYAML {
		path := filepath.Join(m.Dir, "up.yaml")
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var reqs []yaml.Node
		if err := yaml.Unmarshal(b, &reqs); err != nil {
			return &FileError{Path: path, Err: err}
		}
		for _, r := range reqs {
			if err := sendRequest(ctx, c, &r); err != nil {
				return &FileError{Path: path, Err: err}
			}
		}
	}
	return nil
}

// sendRequest sends one request of an up.yaml, a bulk one by one.
func sendRequest(ctx context.Context, c Client, r *yaml.Node) error {
	typ := mapString(r, "type")
	if typ == "bulk" {
		for _, sub := range contentOf(mapGet(r, "args")) {
			if err := sendRequest(ctx, c, sub); err != nil {
				return err
			}
		}
		return nil
	}
	body, err := nodeJSON(r)
	if err != nil {
		return err
	}
	if queryTypes[typ] {
		_, err = c.Query(ctx, body)
	} else {
		_, err = c.Metadata(ctx, body)
	}
	return err
}
