package pgtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/graftql/graft/internal/pglocal"
)

// privateCluster is the cluster of this test binary. Nothing stops it
// explicitly: tests need no TestMain, and on Linux the server shuts down
// when the test binary exits (pglocal's parent death signal). Its
// directory, os.TempDir()/graft-pgtest-<pid>, is removed by the next test
// binary that starts a cluster once both the binary and the server are gone.
var privateCluster *pglocal.Cluster

const privatePrefix = "graft-pgtest-"

// startPrivate starts a private cluster from the local installation and
// returns its admin URL.
func startPrivate() (string, error) {
	removeStalePrivate()
	dir := filepath.Join(os.TempDir(), privatePrefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("private cluster: %w", err)
	}
	// Readable by the postgres user when running as root, whatever the umask.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", fmt.Errorf("private cluster: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := pglocal.Start(ctx, pglocal.Options{
		DataDir:   filepath.Join(dir, "data"),
		Ephemeral: true,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Settings:  map[string]string{"max_connections": "200"},
	})
	if errors.Is(err, pglocal.ErrNotFound) {
		return "", fmt.Errorf("%w: install PostgreSQL (Debian: apt-get install postgresql) "+
			"or set GRAFT_TEST_DATABASE_URL to a server where the user may create databases", pglocal.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("private cluster (set GRAFT_TEST_DATABASE_URL to use an existing server instead): %w", err)
	}
	privateCluster = c
	return c.URL("postgres"), nil
}

// removeStalePrivate removes the cluster directories of test binaries that
// have exited and whose servers have stopped.
func removeStalePrivate() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), privatePrefix+"*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), privatePrefix))
		if err != nil || pid == os.Getpid() || alive(pid) {
			continue
		}
		if pglocal.Running(filepath.Join(d, "data")) {
			continue // still shutting down; a later run removes it
		}
		os.RemoveAll(d)
	}
}

func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
