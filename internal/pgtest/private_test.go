package pgtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestNew_Private runs with GRAFT_TEST_DATABASE_URL unset, so the database
// comes from a private cluster of this test binary.
func TestNew_Private(t *testing.T) {
	t.Setenv("GRAFT_TEST_DATABASE_URL", "")
	db := New(t, "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO author (name) VALUES ('Ada')")
	if privateCluster == nil {
		t.Fatal("no private cluster was started")
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), privatePrefix+strconv.Itoa(os.Getpid()), "data", "PG_VERSION")); err != nil {
		t.Errorf("cluster directory: %v", err)
	}
	var name string
	if err := db.Pool.QueryRow(context.Background(), "SELECT name FROM author").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if name != "Ada" {
		t.Errorf("name = %q, want Ada", name)
	}
	// A second database from the same schema comes from the template.
	db2 := New(t, "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL); INSERT INTO author (name) VALUES ('Ada')")
	if db2.Name == db.Name {
		t.Errorf("two tests share database %s", db.Name)
	}
}

func TestRemoveStalePrivate(t *testing.T) {
	// A pid that is certainly free: a child that has exited.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(os.TempDir(), privatePrefix+strconv.Itoa(cmd.Process.Pid))
	live := filepath.Join(os.TempDir(), privatePrefix+strconv.Itoa(os.Getppid()))
	if _, err := os.Stat(live); err == nil {
		t.Fatalf("%s exists already", live)
	}
	for _, d := range []string{dead, live} {
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
	}

	removeStalePrivate()

	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("directory of exited binary %s: stat error %v, want it removed", dead, err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("directory of running process %s: %v, want it kept", live, err)
	}
}
