package signin

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// schemaSQL creates the auth schema (signin.md §11.1).
//
//go:embed schema.sql
var schemaSQL string

// migrations are graft's steps on the auth schema, version i+1 at index i.
// Each is idempotent, so that it applies to an empty database and to one
// made by Nhost Auth alike. Only ever append.
var migrations = []string{schemaSQL}

// nhostMinVersion is the first golang-migrate version of Nhost Auth whose
// schema graft adopts; nhostVersion is the one graft's schema matches.
const (
	nhostMinVersion = 18
	nhostVersion    = 19
)

// migrateLockKey is the advisory lock that serializes migrations and key
// generation of several grafts starting at once ("graft-auth").
const migrateLockKey = 0x67726166_74617574

// Note [adopting an Nhost database]
//
// A database that Nhost Auth has run on holds auth.schema_migrations
// (golang-migrate: version, dirty). graft adopts it when the version is at
// least 18 and not dirty: its steps are idempotent, so they only add what
// is missing (graft's own tables, the wider locale). A dirty table, or only
// the legacy Node.js bookkeeping auth.migrations, means a half-migrated
// schema: graft stops rather than guess. graft leaves Nhost's bookkeeping
// alone, except that on a schema it created itself it records (19, false),
// so that a current Nhost Auth can take the database over later.

// migrate creates or migrates the auth schema, one transaction per step,
// under an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate auth schema: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLockKey)); err != nil {
		return fmt.Errorf("migrate auth schema: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLockKey))

	var graftTable, nhostTable, legacyTable, usersTable bool
	err = conn.QueryRow(ctx, `SELECT to_regclass('auth.graft_migrations') IS NOT NULL,
		to_regclass('auth.schema_migrations') IS NOT NULL, to_regclass('auth.migrations') IS NOT NULL,
		to_regclass('auth.users') IS NOT NULL`).Scan(&graftTable, &nhostTable, &legacyTable, &usersTable)
	if err != nil {
		return fmt.Errorf("migrate auth schema: %w", err)
	}
	fresh := false
	if !graftTable {
		switch {
		case nhostTable:
			var version int64
			var dirty bool
			err := conn.QueryRow(ctx, "SELECT version, dirty FROM auth.schema_migrations ORDER BY version DESC LIMIT 1").Scan(&version, &dirty)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("migrate auth schema: read auth.schema_migrations: %w", err)
			}
			if dirty || version < nhostMinVersion {
				return fmt.Errorf("migrate auth schema: auth.schema_migrations is at version %d (dirty: %t); graft adopts Nhost Auth's schema from version %d, not dirty: run a current Nhost Auth once first", version, dirty, nhostMinVersion)
			}
		case legacyTable:
			return errors.New("migrate auth schema: the auth schema was made by the legacy Node.js Nhost Auth (auth.migrations); run a current Nhost Auth once first")
		case usersTable:
			return errors.New("migrate auth schema: auth.users exists but neither graft nor Nhost Auth made it; move it away or drop schema auth")
		default:
			fresh = true
		}
	}
	citext, err := ensureExtensions(ctx, conn.Conn())
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS auth;
		CREATE TABLE IF NOT EXISTS auth.graft_migrations (
			version int NOT NULL PRIMARY KEY,
			applied_at timestamp with time zone DEFAULT now() NOT NULL)`); err != nil {
		return fmt.Errorf("migrate auth schema: %w", err)
	}
	var done int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM auth.graft_migrations").Scan(&done); err != nil {
		return fmt.Errorf("migrate auth schema: %w", err)
	}
	for i := done; i < len(migrations); i++ {
		sql := strings.ReplaceAll(migrations[i], "{{citext}}", pgx.Identifier{citext}.Sanitize())
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, sql); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO auth.graft_migrations (version) VALUES ($1)", i+1); err != nil {
				return err
			}
			if fresh && i == 0 {
				_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS auth.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
					INSERT INTO auth.schema_migrations (version, dirty) VALUES (`+fmt.Sprint(nhostVersion)+`, false) ON CONFLICT DO NOTHING`)
				return err
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("migrate auth schema: step %d: %w", i+1, err)
		}
	}
	return nil
}

// ensureExtensions creates citext and pgcrypto when missing and returns
// the schema citext lives in.
func ensureExtensions(ctx context.Context, conn *pgx.Conn) (string, error) {
	for _, ext := range []string{"citext", "pgcrypto"} {
		var have bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = $1)", ext).Scan(&have); err != nil {
			return "", fmt.Errorf("migrate auth schema: %w", err)
		}
		if !have {
			if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+ext+" WITH SCHEMA public"); err != nil {
				return "", fmt.Errorf("migrate auth schema: create extension %s: %w", ext, err)
			}
		}
	}
	var schema string
	err := conn.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'citext'`).Scan(&schema)
	if err != nil {
		return "", fmt.Errorf("migrate auth schema: find citext: %w", err)
	}
	return schema, nil
}
