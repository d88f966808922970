// Package golden reads and rewrites txtar golden files for tests. Run a
// test with -update to rewrite the "want" sections from what the code
// produces now; golden diffs are reviewed like code.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// Update is the -update flag.
var Update = flag.Bool("update", false, "rewrite golden files")

// File is a txtar golden file.
type File struct {
	Path    string
	Archive *txtar.Archive
}

// Glob returns the golden files matching pattern, sorted.
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// Read parses the golden file at path.
func Read(t testing.TB, path string) *File {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return &File{Path: path, Archive: a}
}

// Section returns the named section's text, and whether it exists.
func (f *File) Section(name string) (string, bool) {
	for _, s := range f.Archive.Files {
		if s.Name == name {
			return string(s.Data), true
		}
	}
	return "", false
}

// Check compares got with the named section; with -update it rewrites the
// section (adding it if missing) instead. Trailing newlines are normalized.
func (f *File) Check(t testing.TB, name, got string) {
	t.Helper()
	got = strings.TrimRight(got, "\n") + "\n"
	if *Update {
		for i, s := range f.Archive.Files {
			if s.Name == name {
				f.Archive.Files[i].Data = []byte(got)
				f.write(t)
				return
			}
		}
		f.Archive.Files = append(f.Archive.Files, txtar.File{Name: name, Data: []byte(got)})
		f.write(t)
		return
	}
	want, ok := f.Section(name)
	if !ok {
		t.Errorf("%s: no %q section; run with -update to create it", f.Path, name)
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: %s mismatch (-want +got):\n%s", f.Path, name, diff)
	}
}

func (f *File) write(t testing.TB) {
	t.Helper()
	if err := os.WriteFile(f.Path, txtar.Format(f.Archive), 0o644); err != nil {
		t.Fatal(err)
	}
}
