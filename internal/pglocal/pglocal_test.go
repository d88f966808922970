//go:build unix

package pglocal

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// testDir returns a temporary directory the postgres user can enter when
// the test runs as root (t.TempDir makes it 0700).
func testDir(t *testing.T) string {
	t.Helper()
	d := t.TempDir()
	for p := d; p != os.TempDir() && p != filepath.Dir(p); p = filepath.Dir(p) {
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

// testLogger sends the package's log to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tLogWriter struct{ t *testing.T }

func (w tLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func mustStart(t *testing.T, opts Options) *Cluster {
	t.Helper()
	opts.Logger = testLogger(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

func query(t *testing.T, c *Cluster, sql string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql)
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("query %q: %v", sql, err)
	}
	return got
}

func TestStart_Reuse(t *testing.T) {
	t.Parallel()
	data := filepath.Join(testDir(t), "data")

	c := mustStart(t, Options{DataDir: data, Ephemeral: true})
	if c.Port == 0 || c.PID == 0 {
		t.Fatalf("cluster has port %d, pid %d", c.Port, c.PID)
	}
	if !Running(data) {
		t.Errorf("Running(%s) = false while the server runs", data)
	}
	query(t, c, "CREATE TABLE kept (v text)")
	query(t, c, "INSERT INTO kept VALUES ('first run') RETURNING v")
	got := query(t, c, "SELECT current_user || ' ' || pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'postgres'")
	if diff := cmp.Diff([]string{"postgres UTF8"}, got); diff != "" {
		t.Errorf("user and encoding (-want +got):\n%s", diff)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("postmaster.pid after Stop: %v", err)
	}
	if Running(data) {
		t.Errorf("Running(%s) = true after Stop", data)
	}

	c2 := mustStart(t, Options{DataDir: data, Ephemeral: true})
	if diff := cmp.Diff([]string{"first run"}, query(t, c2, "SELECT v FROM kept")); diff != "" {
		t.Errorf("data after restart (-want +got):\n%s", diff)
	}
	log, err := os.ReadFile(filepath.Join(data, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(log), "database system is ready to accept connections"); n != 2 {
		t.Errorf("log shows %d starts, want 2:\n%s", n, log)
	}
}

func TestStart_StalePID(t *testing.T) {
	t.Parallel()
	// An existing empty directory, as a volume mount point: initdb fills it
	// in place.
	data := filepath.Join(testDir(t), "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}

	// A server killed outright: its postmaster.pid stays behind.
	c := mustStart(t, Options{DataDir: data, Ephemeral: true})
	if err := syscall.Kill(c.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	c2 := mustStart(t, Options{DataDir: data, Ephemeral: true})
	query(t, c2, "SELECT 1::text")
	if err := c2.Stop(); err != nil {
		t.Fatal(err)
	}

	// A stale file whose pid now belongs to another live process (as after
	// a container restart), which PostgreSQL alone refuses.
	pid := strconv.Itoa(os.Getppid())
	if err := os.WriteFile(filepath.Join(data, "postmaster.pid"), []byte(pid+"\n"+data+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c3 := mustStart(t, Options{DataDir: data, Ephemeral: true})
	query(t, c3, "SELECT 1::text")
}

func TestStart_InUse(t *testing.T) {
	data := filepath.Join(testDir(t), "data")
	c := mustStart(t, Options{DataDir: data, Ephemeral: true})

	old := staleWait
	staleWait = 100 * time.Millisecond
	defer func() { staleWait = old }()
	_, err := Start(context.Background(), Options{DataDir: data, Ephemeral: true, Logger: testLogger(t)})
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Start on %s: got %v, want ErrInUse", data, err)
	}
	if !strings.Contains(err.Error(), "pid "+strconv.Itoa(c.PID)) {
		t.Errorf("error does not name pid %d: %v", c.PID, err)
	}
}

func TestStart_Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T) Options
		want  []string // substrings of the error
	}{
		{
			name: "NotACluster",
			setup: func(t *testing.T) Options {
				data := filepath.Join(testDir(t), "data")
				os.MkdirAll(data, 0o755)
				os.WriteFile(filepath.Join(data, "notes.txt"), []byte("mine"), 0o644)
				return Options{DataDir: data}
			},
			want: []string{"is not empty and holds no PostgreSQL cluster"},
		},
		{
			name: "BadSetting",
			setup: func(t *testing.T) Options {
				return Options{DataDir: filepath.Join(testDir(t), "data"), Ephemeral: true,
					Settings: map[string]string{"shared_buffers": "lots"}}
			},
			// The log tail explains what went wrong.
			want: []string{"postgres exited during startup", LogFile, `invalid value for parameter "shared_buffers"`},
		},
		{
			name: "NoDataDir",
			setup: func(t *testing.T) Options {
				return Options{}
			},
			want: []string{"no data directory"},
		},
	}
	if os.Geteuid() == 0 {
		tests = append(tests, struct {
			name  string
			setup func(t *testing.T) Options
			want  []string
		}{
			name: "Unreachable",
			setup: func(t *testing.T) Options {
				locked := filepath.Join(testDir(t), "locked")
				os.MkdirAll(locked, 0o700)
				return Options{DataDir: filepath.Join(locked, "deep", "data")}
			},
			want: []string{`user "postgres"`, "cannot enter", "locked (mode drwx------)", "chmod o+x"},
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := tt.setup(t)
			opts.Logger = testLogger(t)
			c, err := Start(context.Background(), opts)
			if err == nil {
				c.Stop()
				t.Fatal("Start succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	install := func(dir string, progs ...string) string {
		os.MkdirAll(dir, 0o755)
		for _, p := range progs {
			if err := os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	install(filepath.Join(root, "lib", "9.6", "bin"), "initdb", "postgres")
	install(filepath.Join(root, "lib", "16", "bin"), "initdb", "postgres")
	install(filepath.Join(root, "lib", "15", "bin"), "initdb", "postgres")
	install(filepath.Join(root, "lib", "17", "bin"), "initdb") // incomplete
	onPath := install(filepath.Join(root, "path2"), "initdb", "postgres")
	install(filepath.Join(root, "path1"), "postgres") // incomplete

	tests := []struct {
		name  string
		globs []string
		path  string
		want  Installation
	}{
		{
			name:  "HighestVersion",
			globs: []string{filepath.Join(root, "lib", "*", "bin")},
			path:  onPath,
			want: Installation{
				Initdb:   filepath.Join(root, "lib", "16", "bin", "initdb"),
				Postgres: filepath.Join(root, "lib", "16", "bin", "postgres"),
				Version:  16,
			},
		},
		{
			name:  "Path",
			globs: []string{filepath.Join(root, "none", "*", "bin")},
			path:  strings.Join([]string{filepath.Join(root, "path1"), "", onPath}, string(os.PathListSeparator)),
			want:  Installation{Initdb: filepath.Join(onPath, "initdb"), Postgres: filepath.Join(onPath, "postgres")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := find(tt.globs, tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("find (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFind_NotFound(t *testing.T) {
	t.Parallel()
	_, err := find([]string{filepath.Join(t.TempDir(), "*", "bin")}, "")
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	for _, w := range []string{"apt-get install postgresql", "HASURA_GRAPHQL_DATABASE_URL", "initdb"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q: %v", w, err)
		}
	}
}

func TestFind_Local(t *testing.T) {
	t.Parallel()
	// This machine must have PostgreSQL: every other test here needs it.
	inst, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(inst.Initdb) || !filepath.IsAbs(inst.Postgres) {
		t.Errorf("Find returned relative paths: %+v", inst)
	}
}

func TestCluster_URL(t *testing.T) {
	t.Parallel()
	c := &Cluster{Port: 5433}
	if got, want := c.URL("my db"), "postgres://postgres@127.0.0.1:5433/my%20db?sslmode=disable"; got != want {
		t.Errorf("URL = %q, want %q", got, want)
	}
}
