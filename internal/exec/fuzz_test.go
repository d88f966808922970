package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/session"
	"golang.org/x/tools/txtar"
)

// FuzzExecute feeds arbitrary documents and variables through parse,
// validation, planning, SQL generation and execution on the blog schema.
// Any input must give data or an error in Hasura's shape: never a panic,
// and never an "unexpected" error that is not a database one (those mean
// graft produced SQL PostgreSQL rejects).
func FuzzExecute(f *testing.F) {
	files, _ := filepath.Glob("../pgsql/testdata/blog/*.txtar")
	for _, path := range files {
		a, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		var q, v string
		for _, s := range a.Files {
			switch s.Name {
			case "graphql":
				q = string(s.Data)
			case "variables.json":
				v = string(s.Data)
			}
		}
		f.Add(q, v, "admin")
		f.Add(q, v, "user")
	}
	f.Add(`{ article(where: {_or: {id: {_eq: "x"}}}) { id } }`, ``, "user")
	f.Add(`query($w: article_bool_exp) { article(where: $w) { id } }`, `{"w": {"title": {"_like": 1}}}`, "anonymous")
	f.Add(`mutation { insert_article(objects: [{title: "x", content: "c", author_id: 1}]) { affected_rows returning { id author { name } } } }`, ``, "admin")
	f.Add(`mutation($n: Int) { update_article(where: {id: {_eq: 1}}, _inc: {views: $n}, _set: {title: "t"}) { returning { id views } } }`, `{"n": 2}`, "admin")
	f.Add(`mutation { delete_article(where: {id: {_gt: 100}}) { affected_rows } d: delete_author_by_pk(id: 99) { id } }`, ``, "admin")
	f.Add(`mutation { insert_author_one(object: {name: "n", articles: {data: [{title: "a", author_id: 5}]}}) { id } }`, ``, "admin")

	env := newBenchEnv(f)
	e := New(Options{Pool: env.pool})
	f.Fuzz(func(t *testing.T, query, vars, role string) {
		if role != "admin" && role != "user" && role != "anonymous" {
			role = "user"
		}
		req := &gql.Request{Query: query}
		if vars != "" {
			dec := json.NewDecoder(strings.NewReader(vars))
			dec.UseNumber()
			if dec.Decode(&req.Variables) != nil {
				req.Variables = nil
			}
		}
		sess := session.New(role, map[string]string{"x-hasura-user-id": "1"})
		var out bytes.Buffer
		err := e.Execute(context.Background(), env.snap, sess, req, ModeGraphQL, &out)
		if err == nil {
			if !json.Valid(out.Bytes()) {
				t.Fatalf("response is not JSON: %s", out.String())
			}
			return
		}
		var ae *apierr.Error
		if !errors.As(err, &ae) {
			t.Fatalf("error outside Hasura's shape: %T %v", err, err)
		}
		if ae.Code == apierr.Unexpected && !isDataError(ae) {
			t.Fatalf("unexpected error for %q (%s): %v %v", query, vars, ae, ae.Internal)
		}
	})
}

// isDataError reports an error that comes from a value the client sent
// (a bad literal for the column type, a negative limit...), which
// PostgreSQL rightly rejects: SQLSTATE classes 22 and 2201x.
func isDataError(e *apierr.Error) bool {
	in, ok := e.Internal.(map[string]any)
	if !ok {
		return false
	}
	pe, ok := in["error"].(map[string]any)
	if !ok {
		return false
	}
	code, _ := pe["status_code"].(string)
	return strings.HasPrefix(code, "22") || strings.HasPrefix(code, "2201")
}
