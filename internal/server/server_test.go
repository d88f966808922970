package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/introspect"
	"github.com/graftql/graft/internal/metaapi"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/server"
)

const secret = "test-secret"

const fixture = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, secret_note text);
CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, author_id int NOT NULL REFERENCES author(id), published boolean NOT NULL DEFAULT false);
INSERT INTO author (name, secret_note) VALUES ('Ada', 'a'), ('Grace', 'g');
INSERT INTO article (title, author_id, published) VALUES ('One', 1, true), ('Two', 1, false), ('Three', 2, true);
`

const setupMetadata = `{"type": "bulk", "args": [
 {"type": "pg_track_table", "args": {"source": "default", "table": "author"}},
 {"type": "pg_track_table", "args": {"source": "default", "table": "article"}},
 {"type": "pg_create_object_relationship", "args": {"source": "default", "table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
 {"type": "pg_create_array_relationship", "args": {"source": "default", "table": "author", "name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "author", "role": "user", "permission": {"columns": ["id", "name"], "filter": {}}}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "article", "role": "user", "permission": {"columns": ["id", "title", "author_id"], "filter": {"_or": [{"published": {"_eq": true}}, {"author_id": {"_eq": "X-Hasura-User-Id"}}]}}}}
]}`

// newServer starts graft's HTTP handler on a fresh database with the
// fixture tracked.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	db := pgtest.New(t, fixture)
	ctx := context.Background()
	meta := metaapi.New(metaapi.Options{
		MetadataPool: db.Pool, SourcePool: db.Pool,
		Schema: schema.Options{InferFunctionPermissions: true},
		Getenv: func(k string) string {
			if k == "HASURA_GRAPHQL_DATABASE_URL" {
				return db.URL
			}
			return ""
		},
	})
	if err := meta.Start(ctx); err != nil {
		t.Fatalf("metadata start: %v", err)
	}
	if _, err := meta.Metadata(ctx, []byte(setupMetadata)); err != nil {
		t.Fatalf("setup metadata: %v", err)
	}
	srv := server.New(server.Options{
		Auth:                &auth.AdminSecret{Secrets: []auth.Secret{secret}},
		Engine:              exec.New(exec.Options{Pool: db.Pool, Introspect: introspect.Execute}),
		Meta:                meta,
		AdminInternalErrors: true,
		Version:             "test",
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

type response struct {
	status int
	header http.Header
	body   any
}

func post(t *testing.T, ts *httptest.Server, path, body string, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: response is not JSON: %v: %s", path, err, raw)
	}
	return response{status: res.StatusCode, header: res.Header, body: v}
}

func admin(extra ...string) map[string]string {
	h := map[string]string{"X-Hasura-Admin-Secret": secret}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func mustJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return v
}

func TestServer_GraphQL(t *testing.T) {
	ts := newServer(t)
	cases := []struct {
		name    string
		path    string
		body    string
		headers map[string]string
		status  int
		want    string
	}{
		{
			name: "OK", path: "/v1/graphql", headers: admin(),
			body:   `{"query": "{ author(order_by: {id: asc}) { name articles(order_by: {id: asc}) { title } } }"}`,
			status: 200,
			want:   `{"data": {"author": [{"name": "Ada", "articles": [{"title": "One"}, {"title": "Two"}]}, {"name": "Grace", "articles": [{"title": "Three"}]}]}}`,
		},
		{
			name: "Variables", path: "/v1/graphql", headers: admin(),
			body:   `{"query": "query($id: Int!) { author_by_pk(id: $id) { name } }", "variables": {"id": 2}}`,
			status: 200, want: `{"data": {"author_by_pk": {"name": "Grace"}}}`,
		},
		{
			name: "RoleFilterAndSessionVariable", path: "/v1/graphql", headers: admin("X-Hasura-Role", "user", "X-Hasura-User-Id", "2"),
			body:   `{"query": "{ article(order_by: {id: asc}) { title } }"}`,
			status: 200, want: `{"data": {"article": [{"title": "One"}, {"title": "Three"}]}}`,
		},
		{
			name: "HiddenColumnIsNotFound", path: "/v1/graphql", headers: admin("X-Hasura-Role", "user", "X-Hasura-User-Id", "2"),
			body:   `{"query": "{ author { secret_note } }"}`,
			status: 200, want: `{"errors": [{"message": "field 'secret_note' not found in type: 'author'", "extensions": {"path": "$.selectionSet.author.selectionSet.secret_note", "code": "validation-failed"}}]}`,
		},
		{
			name: "MissingSessionVariable", path: "/v1/graphql", headers: admin("X-Hasura-Role", "user"),
			body:   `{"query": "{ article { title } }"}`,
			status: 200, want: `{"errors": [{"message": "missing session variable: \"x-hasura-user-id\"", "extensions": {"path": "$", "code": "not-found"}}]}`,
		},
		{
			name: "WrongSecretV1", path: "/v1/graphql", headers: map[string]string{"X-Hasura-Admin-Secret": "nope"},
			body:   `{"query": "{ author { name } }"}`,
			status: 200, want: `{"errors": [{"message": "invalid x-hasura-admin-secret/x-hasura-access-key", "extensions": {"path": "$", "code": "access-denied"}}]}`,
		},
		{
			name: "WrongSecretV1Alpha1", path: "/v1alpha1/graphql", headers: map[string]string{"X-Hasura-Admin-Secret": "nope"},
			body:   `{"query": "{ author { name } }"}`,
			status: 401, want: `{"errors": [{"message": "invalid x-hasura-admin-secret/x-hasura-access-key", "extensions": {"path": "$", "code": "access-denied"}}]}`,
		},
		{
			name: "NoSecret", path: "/v1/graphql",
			body:   `{"query": "{ author { name } }"}`,
			status: 200, want: `{"errors": [{"message": "x-hasura-admin-secret/x-hasura-access-key required, but not found", "extensions": {"path": "$", "code": "access-denied"}}]}`,
		},
		{
			name: "Batch", path: "/v1/graphql", headers: admin(),
			body:   `[{"query": "{ author_by_pk(id: 1) { name } }"}, {"query": "{ nope }"}]`,
			status: 200,
			want:   `[{"data": {"author_by_pk": {"name": "Ada"}}}, {"errors": [{"message": "field 'nope' not found in type: 'query_root'", "extensions": {"path": "$.selectionSet.nope", "code": "validation-failed"}}]}]`,
		},
		{
			name: "InvalidJSON", path: "/v1/graphql", headers: admin(),
			body: `{"query": `, status: 200,
		},
		{
			name: "UnexpectedVariables", path: "/v1/graphql", headers: admin(),
			body:   `{"query": "{ author { name } }", "variables": {"x": 1}}`,
			status: 200, want: `{"errors": [{"message": "unexpected variables in variableValues: x", "extensions": {"path": "$", "code": "validation-failed"}}]}`,
		},
		{
			name: "SubscriptionOverHTTP", path: "/v1/graphql", headers: admin(),
			body:   `{"query": "subscription { author { name } }"}`,
			status: 200, want: `{"errors": [{"message": "subscriptions are not supported over HTTP, use websockets instead", "extensions": {"path": "$", "code": "unexpected-payload"}}]}`,
		},
		{
			name: "NoMutations", path: "/v1/graphql", headers: admin("X-Hasura-Role", "user", "X-Hasura-User-Id", "1"),
			body:   `{"query": "mutation { delete_article(where: {}) { affected_rows } }"}`,
			status: 200, want: `{"errors": [{"message": "no mutations exist", "extensions": {"path": "$", "code": "validation-failed"}}]}`,
		},
		{
			name: "Mutation", path: "/v1/graphql", headers: admin(),
			body:   `{"query": "mutation { insert_author_one(object: {name: \"Edsger\"}) { name } }"}`,
			status: 200, want: `{"data": {"insert_author_one": {"name": "Edsger"}}}`,
		},
		{
			name: "Typename", path: "/v1/graphql", headers: admin(),
			body:   `{"query": "{ __typename a: author_by_pk(id: 1) { __typename } }"}`,
			status: 200, want: `{"data": {"__typename": "query_root", "a": {"__typename": "author"}}}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := post(t, ts, tc.path, tc.body, tc.headers)
			if got.status != tc.status {
				t.Errorf("status = %d, want %d; body %v", got.status, tc.status, got.body)
			}
			if tc.want == "" {
				m, ok := got.body.(map[string]any)
				if !ok || m["errors"] == nil {
					t.Errorf("want an errors envelope, got %v", got.body)
				}
				return
			}
			if diff := cmp.Diff(mustJSON(t, tc.want), got.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServer_MetadataAPIs(t *testing.T) {
	ts := newServer(t)
	t.Run("AdminOnly", func(t *testing.T) {
		got := post(t, ts, "/v1/metadata", `{"type": "export_metadata", "args": {}}`, admin("X-Hasura-Role", "user"))
		want := `{"error": "restricted access : admin only", "path": "$.args", "code": "access-denied"}`
		if got.status != 400 {
			t.Errorf("status = %d, want 400", got.status)
		}
		if diff := cmp.Diff(mustJSON(t, want), got.body); diff != "" {
			t.Errorf("body (-want +got):\n%s", diff)
		}
	})
	t.Run("RunSQLThenTrackThenQuery", func(t *testing.T) {
		got := post(t, ts, "/v2/query", `{"type": "run_sql", "args": {"sql": "CREATE TABLE tag (id int PRIMARY KEY, name text); INSERT INTO tag VALUES (1, 'go'); SELECT id, name FROM tag"}}`, admin())
		if diff := cmp.Diff(mustJSON(t, `{"result_type": "TuplesOk", "result": [["id", "name"], ["1", "go"]]}`), got.body); diff != "" {
			t.Fatalf("run_sql (-want +got):\n%s", diff)
		}
		got = post(t, ts, "/v1/metadata", `{"type": "pg_track_table", "args": {"source": "default", "table": "tag"}}`, admin())
		if diff := cmp.Diff(mustJSON(t, `{"message": "success"}`), got.body); diff != "" {
			t.Fatalf("track (-want +got):\n%s", diff)
		}
		got = post(t, ts, "/v1/graphql", `{"query": "{ tag { id name } }"}`, admin())
		if diff := cmp.Diff(mustJSON(t, `{"data": {"tag": [{"id": 1, "name": "go"}]}}`), got.body); diff != "" {
			t.Errorf("query (-want +got):\n%s", diff)
		}
	})
	t.Run("BadSQL", func(t *testing.T) {
		// run_sql reports every PostgreSQL error as postgres-error with
		// the error and the statement as internal detail, constraint
		// violations included (Hasura's runQueryExecutionFailed).
		for _, tc := range []struct{ sql, want string }{
			{"SELEC 1", `{"code": "postgres-error", "error": "query execution failed", "path": "$.args",
				"internal": {"arguments": [], "prepared": false, "statement": "SELEC 1",
					"error": {"description": null, "exec_status": "FatalError", "hint": null, "message": "syntax error at or near \"SELEC\"", "status_code": "42601"}}}`},
			{"INSERT INTO author (id, name) VALUES (1, 'Dup')", `{"code": "postgres-error", "error": "query execution failed", "path": "$.args",
				"internal": {"arguments": [], "prepared": false, "statement": "INSERT INTO author (id, name) VALUES (1, 'Dup')",
					"error": {"description": "Key (id)=(1) already exists.", "exec_status": "FatalError", "hint": null, "message": "duplicate key value violates unique constraint \"author_pkey\"", "status_code": "23505"}}}`},
		} {
			body, _ := json.Marshal(map[string]any{"type": "run_sql", "args": map[string]any{"sql": tc.sql}})
			got := post(t, ts, "/v2/query", string(body), admin())
			if got.status != 400 {
				t.Errorf("%s: status %d, want 400", tc.sql, got.status)
			}
			if diff := cmp.Diff(mustJSON(t, tc.want), got.body); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.sql, diff)
			}
		}
	})
}

func TestServer_Explain(t *testing.T) {
	ts := newServer(t)
	body := `{"query": {"query": "{ article(where: {title: {_eq: \"One\"}}) { title } }"}, "user": {"x-hasura-role": "user", "x-hasura-user-id": "1"}}`
	got := post(t, ts, "/v1/graphql/explain", body, admin())
	list, ok := got.body.([]any)
	if got.status != 200 || !ok || len(list) != 1 {
		t.Fatalf("explain = %d %v, want one field", got.status, got.body)
	}
	f := list[0].(map[string]any)
	plan, _ := f["plan"].([]any)
	if f["field"] != "article" || !strings.Contains(f["sql"].(string), `"public"."article"`) || len(plan) == 0 {
		t.Errorf("explain entry = %v", f)
	}
	// The user's row filter is part of the SQL explained.
	if !strings.Contains(f["sql"].(string), "x-hasura-user-id") {
		t.Errorf("explained SQL lacks the user's row filter: %s", f["sql"])
	}
	got = post(t, ts, "/v1/graphql/explain", body, admin("X-Hasura-Role", "user"))
	if m, _ := got.body.(map[string]any); got.status != 400 || m["code"] != "access-denied" {
		t.Errorf("non-admin explain = %d %v, want 400 access-denied", got.status, got.body)
	}
}

func TestServer_Endpoints(t *testing.T) {
	ts := newServer(t)
	get := func(path string, headers map[string]string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	t.Run("Healthz", func(t *testing.T) {
		res, b := get("/healthz", nil)
		if res.StatusCode != 200 || string(b) != "OK" {
			t.Errorf("healthz = %d %q", res.StatusCode, b)
		}
	})
	t.Run("Version", func(t *testing.T) {
		_, b := get("/v1/version", nil)
		if string(b) != `{"version":"test"}` {
			t.Errorf("version = %s", b)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		res, b := get("/nope", nil)
		if res.StatusCode != 404 || string(b) != `{"error":"resource does not exist","path":"$","code":"not-found"}` {
			t.Errorf("404 = %d %s", res.StatusCode, b)
		}
	})
	t.Run("RequestID", func(t *testing.T) {
		res, _ := get("/healthz", map[string]string{"x-request-id": "abc"})
		if got := res.Header.Get("x-request-id"); got != "abc" {
			t.Errorf("x-request-id = %q, want echoed", got)
		}
		res, _ = get("/healthz", nil)
		if got := res.Header.Get("x-request-id"); len(got) != 36 {
			t.Errorf("generated x-request-id = %q, want a UUID", got)
		}
	})
	t.Run("CORS", func(t *testing.T) {
		res, _ := get("/healthz", map[string]string{"Origin": "http://example.com"})
		if res.Header.Get("Access-Control-Allow-Origin") != "http://example.com" || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("CORS headers = %v", res.Header)
		}
	})
	t.Run("Gzip", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/graphql", strings.NewReader(`{"query": "{ author_by_pk(id: 1) { name } }"}`))
		req.Header.Set("X-Hasura-Admin-Secret", secret)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding = %q", res.Header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		if !bytes.Equal(b, []byte(`{"data":{"author_by_pk":{"name" : "Ada"}}}`)) {
			t.Errorf("body = %s", b)
		}
	})
}
