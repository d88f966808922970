package pglocal

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Installation is a local PostgreSQL installation: the two programs pglocal
// runs.
type Installation struct {
	// Initdb is the path of the initdb program.
	Initdb string
	// Postgres is the path of the postgres server program.
	Postgres string
	// Version is the major version read from the installation's directory
	// name (/usr/lib/postgresql/16/bin is 16); 0 when unknown (found on PATH).
	Version int
}

// searchGlobs are the places packaged PostgreSQL versions live, searched
// before PATH. The first * is the version.
var searchGlobs = []string{
	"/usr/lib/postgresql/*/bin",                          // Debian, Ubuntu
	"/usr/pgsql-*/bin",                                   // RHEL, Fedora (PGDG packages)
	"/opt/homebrew/opt/postgresql@*/bin",                 // macOS Homebrew, Apple silicon
	"/usr/local/opt/postgresql@*/bin",                    // macOS Homebrew, Intel
	"/Applications/Postgres.app/Contents/Versions/*/bin", // macOS Postgres.app
}

// Find returns the local PostgreSQL installation: the highest version under
// the packaged locations (/usr/lib/postgresql/*/bin first), else initdb and
// postgres found together in a directory on PATH. The error wraps
// [ErrNotFound] and says what to install.
func Find() (Installation, error) {
	return find(searchGlobs, os.Getenv("PATH"))
}

var versionRE = regexp.MustCompile(`[0-9]+(\.[0-9]+)?`)

func find(globs []string, path string) (Installation, error) {
	type candidate struct {
		dir     string
		version float64
	}
	var cands []candidate
	for _, g := range globs {
		matches, _ := filepath.Glob(g) // the patterns are constant and valid
		prefix := g[:strings.IndexByte(g, '*')]
		for _, m := range matches {
			v, _ := strconv.ParseFloat(versionRE.FindString(strings.TrimPrefix(m, prefix)), 64)
			cands = append(cands, candidate{m, v})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].version > cands[j].version })
	for _, c := range cands {
		if inst, ok := inDir(c.dir); ok {
			inst.Version = int(c.version)
			return inst, nil
		}
	}
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		if inst, ok := inDir(dir); ok {
			return inst, nil
		}
	}
	return Installation{}, fmt.Errorf("%w (looked for initdb and postgres in %s and on PATH): "+
		"install PostgreSQL (Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql) "+
		"or set HASURA_GRAPHQL_DATABASE_URL to use an existing database",
		ErrNotFound, strings.Join(globs, ", "))
}

// inDir reports whether dir holds both programs.
func inDir(dir string) (Installation, bool) {
	inst := Installation{Initdb: filepath.Join(dir, "initdb"), Postgres: filepath.Join(dir, "postgres")}
	return inst, isExecutable(inst.Initdb) && isExecutable(inst.Postgres)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}
