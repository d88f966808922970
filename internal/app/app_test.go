package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/app"
	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pgtest"
)

const schemaSQL = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO author (name) VALUES ('Ada'), ('Alan');
`

// testConfig is a server on a random local port.
func testConfig() config.Config {
	cfg := config.DefaultConfig()
	cfg.ServerHost = "127.0.0.1"
	cfg.ServerPort = 0
	cfg.GracefulShutdownTimeout = 5 * time.Second
	cfg.SchemaSyncPollInterval = 100 * time.Millisecond
	return cfg
}

// running is an App serving in the background.
type running struct {
	app  *app.App
	url  string
	stop func() error // cancels Run and returns its error
}

func start(t *testing.T, cfg config.Config, stdout io.Writer) *running {
	t.Helper()
	a, err := app.New(context.Background(), cfg, app.Options{Stdout: stdout, Version: "v2.0.0-test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once bool
	var runErr error
	stop := func() error {
		if !once {
			once = true
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	return &running{app: a, url: "http://" + a.Addr().String(), stop: stop}
}

// post sends a JSON body and returns the status and body.
func post(t *testing.T, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// compactJSON normalizes a JSON text for comparison.
func compactJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestApp_Run(t *testing.T) {
	db := pgtest.New(t, schemaSQL)
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	r := start(t, cfg, nil)
	admin := map[string]string{"x-hasura-admin-secret": "s3cret"}

	t.Run("Healthz", func(t *testing.T) {
		status, body := get(t, r.url+"/healthz")
		if status != 200 || body != "OK" {
			t.Errorf("GET /healthz = %d %q, want 200 OK", status, body)
		}
	})
	t.Run("Version", func(t *testing.T) {
		_, body := get(t, r.url+"/v1/version")
		if diff := cmp.Diff(`{"version":"v2.0.0-test"}`, compactJSON(t, body)); diff != "" {
			t.Errorf("GET /v1/version (-want +got):\n%s", diff)
		}
	})
	t.Run("TrackAndQuery", func(t *testing.T) {
		status, body := post(t, r.url+"/v1/metadata",
			`{"type":"pg_track_table","args":{"source":"default","table":"author"}}`, admin)
		if status != 200 {
			t.Fatalf("pg_track_table = %d %s", status, body)
		}
		_, body = post(t, r.url+"/v1/graphql", `{"query":"{ author(order_by: {id: asc}) { name } }"}`, admin)
		want := `{"data":{"author":[{"name":"Ada"},{"name":"Alan"}]}}`
		if diff := cmp.Diff(want, compactJSON(t, body)); diff != "" {
			t.Errorf("query (-want +got):\n%s", diff)
		}
	})
	t.Run("NoSecret", func(t *testing.T) {
		status, body := post(t, r.url+"/v1/graphql", `{"query":"{ author { name } }"}`, nil)
		if status != 200 || !strings.Contains(body, "access-denied") {
			t.Errorf("query without secret = %d %s, want 200 with access-denied", status, body)
		}
	})
	t.Run("Shutdown", func(t *testing.T) {
		if err := r.stop(); err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
		if c, err := net.DialTimeout("tcp", r.app.Addr().String(), time.Second); err == nil {
			c.Close()
			t.Error("still listening after Run returned")
		}
	})
}

func TestNew_Errors(t *testing.T) {
	// A port nothing listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()

	tests := []struct {
		name   string
		change func(c *config.Config)
		want   string // prefix of the error
	}{
		{"JWTKeyTooShort", func(c *config.Config) { c.AdminSecret, c.JWTSecret = "x", `{"type":"HS256","key":"k"}` },
			"HASURA_GRAPHQL_JWT_SECRET: Invalid JWK: Key size too small; should be atleast 32 characters"},
		{"AuthHookURL", func(c *config.Config) { c.AdminSecret, c.AuthHook = "x", "http://bad host/" },
			"HASURA_GRAPHQL_AUTH_HOOK: "},
		{"Unreachable", func(c *config.Config) { c.DatabaseURL = "postgres://postgres@" + closed + "/db" },
			"HASURA_GRAPHQL_DATABASE_URL: cannot connect: "},
		{"UnreachableMetadata", func(c *config.Config) {
			c.DatabaseURL = "postgres://postgres@" + closed + "/db"
			c.MetadataDatabaseURL = "postgres://postgres@" + closed + "/meta"
		}, "HASURA_GRAPHQL_METADATA_DATABASE_URL: cannot connect: "},
		{"MetadataOnly", func(c *config.Config) { c.MetadataDatabaseURL = "postgres://postgres@" + closed + "/meta" },
			"HASURA_GRAPHQL_DATABASE_URL: not set; graft needs it"},
		{"BadURL", func(c *config.Config) { c.DatabaseURL = "postgres://u:pw@host:notaport/db" },
			"HASURA_GRAPHQL_DATABASE_URL: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.PGRetries = 0
			tt.change(&cfg)
			_, err := app.New(context.Background(), cfg, app.Options{})
			if err == nil {
				t.Fatalf("New succeeded, want an error starting %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New error = %q, want prefix %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error shows the password: %q", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func TestNew_PortInUse(t *testing.T) {
	db := pgtest.New(t, "")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.ServerPort = l.Addr().(*net.TCPAddr).Port
	_, err = app.New(context.Background(), cfg, app.Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "HASURA_GRAPHQL_SERVER_PORT: cannot listen") {
		t.Errorf("New = %v, want HASURA_GRAPHQL_SERVER_PORT: cannot listen ...", err)
	}
}

// TestApp_Demo starts demo mode twice on one data directory: the first
// start creates the cluster, the secret and the metadata; the second
// reuses them.
func TestApp_Demo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	// PostgreSQL runs as user postgres when the tests run as root.
	for d := filepath.Dir(dir); d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		os.Chmod(d, 0o755)
	}
	cfg := testConfig()
	cfg.DataDir = dir
	cfg.AuthEnabled = true // as config.Load sets it in demo mode
	cfg.SignIn.RateLimitEnabled = false

	var banner bytes.Buffer
	r := start(t, cfg, &banner)
	secretBytes, err := os.ReadFile(filepath.Join(dir, "admin-secret"))
	if err != nil {
		t.Fatalf("admin secret not saved: %v", err)
	}
	secret := strings.TrimSpace(string(secretBytes))
	if fi, _ := os.Stat(filepath.Join(dir, "admin-secret")); fi.Mode().Perm() != 0o600 {
		t.Errorf("admin-secret mode = %v, want 0600", fi.Mode().Perm())
	}
	for _, want := range []string{r.app.URL() + "/v1/graphql", secret, "curl -s ", "RecentArticles"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}

	query := `{"query":"{ author(order_by: {id: asc}, limit: 1) { name } }"}`
	want := `{"data":{"author":[{"name":"Ada Lovelace"}]}}`
	_, body := post(t, r.url+"/v1/graphql", query, map[string]string{"x-hasura-admin-secret": secret})
	if diff := cmp.Diff(want, compactJSON(t, body)); diff != "" {
		t.Fatalf("demo query (-want +got):\n%s", diff)
	}
	demoSignedInUser(t, r.url)
	// A change of the user's own must survive the restart.
	status, body := post(t, r.url+"/v1/metadata",
		`{"type":"pg_untrack_table","args":{"source":"default","table":"tag","cascade":true}}`,
		map[string]string{"x-hasura-admin-secret": secret})
	if status != 200 {
		t.Fatalf("pg_untrack_table = %d %s", status, body)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}

	banner.Reset()
	r = start(t, cfg, &banner)
	if !strings.Contains(banner.String(), secret) {
		t.Errorf("second banner lacks the saved secret %q:\n%s", secret, banner.String())
	}
	_, body = post(t, r.url+"/v1/graphql", query, map[string]string{"x-hasura-admin-secret": secret})
	if diff := cmp.Diff(want, compactJSON(t, body)); diff != "" {
		t.Errorf("demo query after restart (-want +got):\n%s", diff)
	}
	_, body = post(t, r.url+"/v1/graphql", `{"query":"{ tag { name } }"}`, map[string]string{"x-hasura-admin-secret": secret})
	if !strings.Contains(body, "errors") {
		t.Errorf("tag is tracked again after restart: %s", body)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
}

func TestApp_Run_StopsOnCancelBeforeServing(t *testing.T) {
	db := pgtest.New(t, "")
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	a, err := app.New(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := a.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context = %v, want nil", err)
	}
}

// demoSignedInUser walks the demo's story for role user: a user signed up
// through /auth/v1 (a UUID id) creates an author of their own and writes,
// edits and tags articles as that author, and cannot touch anyone else's.
func demoSignedInUser(t *testing.T, url string) {
	t.Helper()
	token, userID := signUp(t, url, "writer@example.com")
	bearer := map[string]string{"Authorization": "Bearer " + token}
	gql := func(query string) string {
		t.Helper()
		b, _ := json.Marshal(map[string]string{"query": query})
		status, body := post(t, url+"/v1/graphql", string(b), bearer)
		if status != 200 {
			t.Fatalf("%s: %d %s", query, status, body)
		}
		return body
	}
	for _, step := range []struct{ query, want string }{
		{`mutation { insert_author_one(object: {name: "Barbara Liskov"}) { id name user_id } }`,
			`{"data":{"insert_author_one":{"id":5,"name":"Barbara Liskov","user_id":"` + userID + `"}}}`},
		{`mutation { insert_article_one(object: {title: "Data Abstraction", author_id: 5}) { id title author { name } } }`,
			`{"data":{"insert_article_one":{"id":10,"title":"Data Abstraction","author":{"name":"Barbara Liskov"}}}}`},
		{`mutation { insert_article_tag_one(object: {article_id: 10, tag_id: 3}) { tag { name } } }`,
			`{"data":{"insert_article_tag_one":{"tag":{"name":"programming"}}}}`},
		{`mutation { update_article(where: {}, _set: {rating: 5}) { affected_rows } }`,
			`{"data":{"update_article":{"affected_rows":1}}}`},
		{`mutation { delete_article(where: {id: {_eq: 1}}) { affected_rows } }`,
			`{"data":{"delete_article":{"affected_rows":0}}}`},
		{`mutation { insert_article_one(object: {title: "Forged", author_id: 1}) { id } }`,
			`{"errors":[{"message":"check constraint of an insert/update permission has failed","extensions":{"path":"$.selectionSet.insert_article_one.args.object","code":"permission-error"}}]}`},
		{`{ article_aggregate(where: {rating: {_eq: 5}}) { aggregate { count } } }`,
			`{"data":{"article_aggregate":{"aggregate":{"count":4}}}}`},
	} {
		if got := gql(step.query); !jsonEqual(got, step.want) {
			t.Errorf("%s\n got %s\nwant %s", step.query, got, step.want)
		}
	}
}
