// Package pgtest gives tests a real PostgreSQL database: one fresh database
// per test, created from a template database named by a hash of the schema
// SQL, so that the schema is built once per test binary.
//
// The server is GRAFT_TEST_DATABASE_URL when set (a URL whose user may
// create databases); otherwise a private cluster is started from the local
// PostgreSQL installation once per test binary (package pglocal) and stopped
// when the binary exits. With neither, tests fail with a clear message: they
// never skip.
package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"
)

// DB is a database created for one test.
type DB struct {
	// URL connects to the database.
	URL string
	// Name is the database name.
	Name string
	// Pool is a pool on the database, closed at cleanup.
	Pool *pgxpool.Pool
}

var (
	serverOnce sync.Once
	serverURL  string // admin URL, database "postgres"
	serverErr  error

	templates singleflight.Group
	made      sync.Map // template name -> struct{}
	seq       atomic.Int64
)

// ServerURL returns the admin URL of the test server (database "postgres"),
// starting a private cluster if needed.
func ServerURL(t testing.TB) string {
	t.Helper()
	serverOnce.Do(func() {
		if u := os.Getenv("GRAFT_TEST_DATABASE_URL"); u != "" {
			serverURL = u
			return
		}
		serverURL, serverErr = startPrivate()
	})
	if serverErr != nil {
		t.Fatalf("pgtest: no PostgreSQL for tests: %v", serverErr)
	}
	return serverURL
}

// New creates a fresh database for the test with schemaSQL already applied,
// and drops it when the test ends.
func New(t testing.TB, schemaSQL string) *DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := ServerURL(t)

	sum := sha256.Sum256([]byte(schemaSQL))
	tmpl := "graft_tmpl_" + hex.EncodeToString(sum[:8])
	if _, ok := made.Load(tmpl); !ok {
		_, err, _ := templates.Do(tmpl, func() (any, error) {
			if err := ensureTemplate(ctx, admin, tmpl, schemaSQL); err != nil {
				return nil, err
			}
			made.Store(tmpl, struct{}{})
			return nil, nil
		})
		if err != nil {
			t.Fatalf("pgtest: template: %v", err)
		}
	}

	name := fmt.Sprintf("graft_test_%d_%d", os.Getpid(), seq.Add(1))
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	dbURL := withDatabase(admin, name)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: cleanup connect: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database: %v", err)
		}
	})
	return &DB{URL: dbURL, Name: name, Pool: pool}
}

// ensureTemplate creates template database tmpl with schemaSQL applied,
// unless it exists. A half-built template (from a crashed run) is rebuilt.
func ensureTemplate(ctx context.Context, admin, tmpl, schemaSQL string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	// Serialize template creation across test binaries running in parallel.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(4242)"); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(4242)")

	var ready bool
	err = conn.QueryRow(ctx, "SELECT coalesce((SELECT datistemplate FROM pg_database WHERE datname = $1), false)", tmpl).Scan(&ready)
	if err != nil {
		return fmt.Errorf("look up template: %w", err)
	}
	if ready {
		return nil
	}
	id := pgx.Identifier{tmpl}.Sanitize()
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop stale template: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+id+" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		return fmt.Errorf("create template: %w", err)
	}
	tc, err := pgx.Connect(ctx, withDatabase(admin, tmpl))
	if err != nil {
		return fmt.Errorf("connect template: %w", err)
	}
	if schemaSQL != "" {
		if _, err := tc.Exec(ctx, schemaSQL); err != nil {
			tc.Close(ctx)
			return fmt.Errorf("apply schema: %w", err)
		}
	}
	tc.Close(ctx)
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+id+" IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("mark template: %w", err)
	}
	return nil
}

func withDatabase(u, db string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + db
	return p.String()
}
