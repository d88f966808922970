package lint

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Doc        string
	Name       string
	Deps       []string
	Module     *struct{ Path string }
}

func list(t *testing.T, args ...string) []pkg {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-json"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestPackageDocs checks that every package has a doc comment that starts
// with "Package <name>" (or "Command <name>" for main packages).
func TestPackageDocs(t *testing.T) {
	for _, p := range list(t, "github.com/graftql/graft/...") {
		want := "Package " + p.Name
		if p.Name == "main" {
			want = "Command "
		}
		if !strings.HasPrefix(p.Doc, want) {
			t.Errorf("%s: package doc %q does not start with %q", p.ImportPath, p.Doc, want)
		}
	}
}

// allowedModules are the modules the binary may link (STYLE.md §12).
var allowedModules = map[string]bool{
	"github.com/graftql/graft":        true,
	"github.com/jackc/pgx/v5":         true,
	"github.com/jackc/pgpassfile":     true,
	"github.com/jackc/pgservicefile":  true,
	"github.com/jackc/puddle/v2":      true,
	"github.com/vektah/gqlparser/v2":  true,
	"github.com/agnivade/levenshtein": true, // gqlparser's suggestions
	"golang.org/x/sync":               true,
	"golang.org/x/text":               true, // pgx
	"golang.org/x/crypto":             true,
	// x/crypto's argon2 and blake2b pick their assembly by CPU features
	// (golang.org/x/sys/cpu); go mod graph: golang.org/x/crypto.
	"golang.org/x/sys":              true,
	"github.com/lestrrat-go/jwx/v3": true,
	// TOTP codes, secrets and otpauth URIs, and the QR image of one
	// (signin's MFA): the library Nhost Auth uses (Apache-2.0; go mod
	// graph: pquerna/otp -> boombuler/barcode, MIT).
	"github.com/pquerna/otp":       true,
	"github.com/boombuler/barcode": true,
	// UUID text form (request ids, sign-in tokens and tickets) instead of
	// two hand-written formatters; no dependencies of its own.
	"github.com/google/uuid": true,
	// jwx's own dependencies: its author's helper modules and a JSON
	// scanner (go mod graph: github.com/lestrrat-go/jwx/v3).
	"github.com/lestrrat-go/blackmagic": true,
	"github.com/lestrrat-go/option/v2":  true,
	"github.com/lestrrat-go/httpcc":     true,
	"github.com/lestrrat-go/httprc/v3":  true,
	"github.com/lestrrat-go/dsig":       true,
	"github.com/valyala/fastjson":       true,
	"github.com/coder/websocket":        true,
	// The Hasura CLI's metadata directory is YAML with !include tags;
	// metadir reads and writes it with the CLI's own YAML library.
	"gopkg.in/yaml.v3": true,
}

// badDeps must never be linked into the binary.
var badDeps = map[string]string{
	"testing":                      "test code in the binary",
	"net/http/httptest":            "test code in the binary",
	"net/http/pprof":               "debug handlers must not ship",
	"github.com/google/go-cmp/cmp": "test-only dependency",
}

func TestBinaryDeps(t *testing.T) {
	p := list(t, "-deps", "-json", "github.com/graftql/graft/cmd/graft")
	for _, d := range p {
		if why, bad := badDeps[d.ImportPath]; bad {
			t.Errorf("graft links %s: %s", d.ImportPath, why)
		}
		if d.Module != nil && !allowedModules[d.Module.Path] {
			t.Errorf("graft links %s from module %s, which is not on the list of allowed dependencies", d.ImportPath, d.Module.Path)
		}
	}
}
