package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/pgtest"
)

// TestApp_SignIn runs graft with GRAFT_AUTH_ENABLED and an HS256
// HASURA_GRAPHQL_JWT_SECRET: both halves use the secret, the auth tables
// are tracked under Nhost's names, and a user reads only their own row.
func TestApp_SignIn(t *testing.T) {
	db := pgtest.New(t, "")
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	cfg.JWTSecret = `{"type": "HS256", "key": "` + guideKey + `"}`
	cfg.AuthEnabled = true
	cfg.SignIn.RateLimitEnabled = false
	r := start(t, cfg, nil)

	tok, id := signUp(t, r.url, "amy@example.com")
	signUp(t, r.url, "ben@example.com")
	// A token signed with the configured secret by hand-off: the engine's
	// own JWT config verifies it.
	status, body := post(t, r.url+"/v1/graphql", `{"query":"{ users { id email } authRefreshTokensAggregate { aggregate { count } } }"}`,
		map[string]string{"Authorization": "Bearer " + tok})
	if status != 200 {
		t.Fatalf("graphql: %d %s", status, body)
	}
	var got struct {
		Data   map[string]any
		Errors []any
	}
	json.Unmarshal([]byte(body), &got)
	if len(got.Errors) == 0 {
		t.Errorf("role user reached authRefreshTokensAggregate: %s", body)
	}
	status, body = post(t, r.url+"/v1/graphql", `{"query":"{ users { id email } }"}`, map[string]string{"Authorization": "Bearer " + tok})
	want := `{"data":{"users":[{"id":"` + id + `","email":"amy@example.com"}]}}`
	if status != 200 || !jsonEqual(body, want) {
		t.Errorf("users as amy: %d %s, want %s", status, body, want)
	}
	status, body = post(t, r.url+"/v1/graphql", `{"query":"{ usersAggregate { aggregate { count } } }"}`, map[string]string{"x-hasura-admin-secret": "s3cret"})
	if status != 200 || !jsonEqual(body, `{"data":{"usersAggregate":{"aggregate":{"count":2}}}}`) {
		t.Errorf("admin count: %d %s", status, body)
	}
	status, body = post(t, r.url+"/v1/metadata", `{"type":"get_inconsistent_metadata","args":{}}`, map[string]string{"x-hasura-admin-secret": "s3cret"})
	if status != 200 || !jsonEqual(body, `{"is_consistent":true,"inconsistent_objects":[]}`) {
		t.Errorf("metadata after tracking the auth tables: %d %s", status, body)
	}
	// Nhost's names: relationships and the enum table.
	status, body = post(t, r.url+"/v1/graphql", `{"query":"{ users(where: {email: {_eq: \"amy@example.com\"}}) { defaultRoleByRole { role } roles(order_by: {role: asc}) { role user { email } } refreshTokens { type } } authRefreshTokenTypes(order_by: {value: asc}) { value } }"}`,
		map[string]string{"x-hasura-admin-secret": "s3cret"})
	if status != 200 || !jsonEqual(body, `{"data":{"users":[{"defaultRoleByRole":{"role":"user"},"roles":[{"role":"me","user":{"email":"amy@example.com"}},{"role":"user","user":{"email":"amy@example.com"}}],"refreshTokens":[{"type":"regular"}]}],"authRefreshTokenTypes":[{"value":"pat"},{"value":"regular"}]}}`) {
		t.Errorf("relationships: %d %s", status, body)
	}
	res, err := http.Get(r.url + "/auth/v1/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || string(b) != `"OK"` {
		t.Errorf("/auth/v1/healthz: %d %s", res.StatusCode, b)
	}
}

// TestApp_SignInOff: without GRAFT_AUTH_ENABLED, /auth/v1 is Hasura's 404
// and schema auth is left alone.
func TestApp_SignInOff(t *testing.T) {
	db := pgtest.New(t, "")
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	r := start(t, cfg, nil)
	status, body := post(t, r.url+"/auth/v1/signin/anonymous", `{}`, nil)
	if status != 404 || !jsonEqual(body, `{"code":"not-found","error":"resource does not exist","path":"$"}`) {
		t.Errorf("/auth/v1 when off: %d %s", status, body)
	}
	var exists bool
	if err := db.Pool.QueryRow(t.Context(), "SELECT to_regnamespace('auth') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Errorf("schema auth exists: %t, %v", exists, err)
	}
}

// jsonEqual compares two JSON texts by value.
func jsonEqual(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && cmp.Equal(x, y)
}

// signUp signs a new user up at url's /auth/v1 and returns their access
// token and user id.
func signUp(t *testing.T, url, email string) (token, id string) {
	t.Helper()
	status, body := post(t, url+"/auth/v1/signup/email-password", `{"email":"`+email+`","password":"correct horse"}`, nil)
	if status != 200 {
		t.Fatalf("sign up: %d %s", status, body)
	}
	var res struct {
		Session struct {
			AccessToken string `json:"accessToken"`
			User        struct{ ID string }
		}
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.Session.AccessToken == "" {
		t.Fatalf("sign up: %s", body)
	}
	return res.Session.AccessToken, res.Session.User.ID
}
