package pgsql_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/golden"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestGolden compiles each testdata/<area>/<case>.txtar and compares the
// SQL with its want.sql section, then runs the request through exec on a
// real database and compares the response with want.json, so that the SQL
// is checked for validity and meaning as well as text.
//
// An area directory holds schema.sql (DDL and rows) and metadata.json (a
// Hasura metadata export). A case has sections graphql, and optionally
// variables.json and session.json (headers such as x-hasura-role); an
// empty relay section runs it against the Relay schema.
// Run with -update to rewrite want.sql and want.json.
func TestGolden(t *testing.T) {
	areas, err := filepath.Glob("testdata/*/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(areas) == 0 {
		t.Fatal("no golden areas found")
	}
	for _, schemaFile := range areas {
		dir := filepath.Dir(schemaFile)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			env := newArea(t, dir)
			for _, path := range golden.Glob(t, filepath.Join(dir, "*.txtar")) {
				name := strings.TrimSuffix(filepath.Base(path), ".txtar")
				t.Run(name, func(t *testing.T) {
					env.run(t, golden.Read(t, path))
				})
			}
		})
	}
}

type area struct {
	pool   *pgxpool.Pool
	snap   *schema.Snapshot
	engine *exec.Engine
}

func newArea(t *testing.T, dir string) *area {
	t.Helper()
	ddl, err := os.ReadFile(filepath.Join(dir, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	rawMD, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md metadata.Metadata
	if err := json.Unmarshal(rawMD, &md); err != nil {
		t.Fatalf("metadata.json: %v", err)
	}
	db := pgtest.New(t, string(ddl))
	ctx := context.Background()
	cat, err := catalog.Introspect(ctx, db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	opts := schema.Options{InferFunctionPermissions: true}
	if strings.Contains(string(rawMD), `"graft_test_stringify"`) {
		opts.StringifyNumericTypes = true
	}
	m := schema.Build(schema.Input{Metadata: &md, Source: "default", Catalog: cat, Options: opts})
	for _, inc := range m.Inconsistencies {
		t.Errorf("inconsistent metadata: %s: %s", inc.Name, inc.Reason)
	}
	return &area{pool: db.Pool, snap: schema.NewSnapshot(m, 1), engine: exec.New(exec.Options{Pool: db.Pool})}
}

func (a *area) run(t *testing.T, f *golden.File) {
	query, ok := f.Section("graphql")
	if !ok {
		t.Fatal("no graphql section")
	}
	req := &gql.Request{Query: query}
	if v, ok := f.Section("variables.json"); ok {
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(&req.Variables); err != nil {
			t.Fatalf("variables.json: %v", err)
		}
	}
	headers := map[string]string{}
	if s, ok := f.Section("session.json"); ok {
		if err := json.Unmarshal([]byte(s), &headers); err != nil {
			t.Fatalf("session.json: %v", err)
		}
	}
	role := "admin"
	if r, ok := headers["x-hasura-role"]; ok {
		role = r
	}
	sess := session.New(role, headers)

	// Compile on its own for the SQL text.
	rs, mode := a.snap.Role(role), exec.ModeGraphQL
	if _, ok := f.Section("relay"); ok {
		rs, mode = a.snap.Relay(role), exec.ModeRelay
	}
	doc, err := gql.Parse(rs.Schema, query)
	if err != nil {
		f.Check(t, "want.sql", "-- error: "+err.Error())
	} else {
		op, err := gql.Operation(doc, "")
		if err != nil {
			t.Fatal(err)
		}
		vars, err := gql.Variables(rs.Schema, op, req.Variables)
		if err != nil {
			t.Fatal(err)
		}
		root, err := plan.Build(plan.Input{Schema: rs, Model: a.snap.Model, Op: op, Vars: vars})
		if err != nil {
			f.Check(t, "want.sql", "-- error: "+err.Error())
		} else {
			got := "-- no statement"
			if root.Mutation {
				steps, err := pgsql.CompileMutation(root)
				if err != nil {
					t.Fatal(err)
				}
				var parts []string
				for _, st := range steps {
					for _, w := range st.Writes {
						parts = append(parts, "-- "+st.Alias+" write\n"+formatSQL(w.SQL))
					}
					if st.Respond != nil {
						parts = append(parts, "-- "+st.Alias+" respond\n"+formatSQL(st.Respond.SQL))
					}
				}
				got = strings.Join(parts, "\n")
			} else {
				st, err := pgsql.Compile(root)
				if err != nil {
					t.Fatal(err)
				}
				if st != nil {
					got = formatSQL(st.SQL)
				}
			}
			f.Check(t, "want.sql", got)
		}
	}

	// Run the whole request for the result.
	var out bytes.Buffer
	if err := a.engine.Execute(context.Background(), a.snap, sess, req, mode, &out); err != nil {
		t.Logf("error detail: %v", errors.Unwrap(err))
		f.Check(t, "want.json", "error: "+err.Error())
		return
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, out.String())
	}
	f.Check(t, "want.json", pretty.String())
}

// formatSQL breaks the one-line statement before its main clauses so that
// golden diffs are readable; the text is otherwise exactly what runs.
func formatSQL(s string) string {
	for _, kw := range []string{" FROM ", " WHERE ", " ORDER BY ", " LIMIT "} {
		s = strings.ReplaceAll(s, kw, "\n"+strings.TrimLeft(kw, " "))
	}
	return s
}
