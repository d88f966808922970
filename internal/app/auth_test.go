package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/graftql/graft/internal/pgtest"
)

// guideSQL is the schema of Hasura's authentication guides: articles
// anyone may read, tags that signed-in users add.
const guideSQL = `
CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL);
CREATE TABLE tag (id serial PRIMARY KEY, name text NOT NULL, user_id int NOT NULL);
INSERT INTO article (title) VALUES ('Hello'), ('World');
`

const guideMetadata = `{"type": "bulk", "args": [
 {"type": "pg_track_table", "args": {"source": "default", "table": "article"}},
 {"type": "pg_track_table", "args": {"source": "default", "table": "tag"}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "article", "role": "anonymous",
   "permission": {"columns": ["id", "title"], "filter": {}}}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "article", "role": "user",
   "permission": {"columns": ["id", "title"], "filter": {}}}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "tag", "role": "user",
   "permission": {"columns": ["id", "name", "user_id"], "filter": {"user_id": {"_eq": "X-Hasura-User-Id"}}}}},
 {"type": "pg_create_insert_permission", "args": {"source": "default", "table": "tag", "role": "user",
   "permission": {"columns": ["name", "user_id"], "check": {"user_id": {"_eq": "X-Hasura-User-Id"}}}}}
]}`

const guideKey = "graft-guide-test-hs256-key-0123456789"

// signHS256 signs claims for the guide's JWT config.
func signHS256(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, _ := json.Marshal(claims)
	tok, err := jws.Sign(b, jws.WithKey(jwa.HS256(), []byte(guideKey)))
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func userToken(t *testing.T, userID string) string {
	return signHS256(t, map[string]any{
		"sub": userID,
		"exp": time.Now().Add(time.Hour).Unix(),
		"https://hasura.io/jwt/claims": map[string]any{
			"x-hasura-allowed-roles": []string{"user"},
			"x-hasura-default-role":  "user",
			"x-hasura-user-id":       userID,
		},
	})
}

// TestApp_JWTGuide runs the scenario of Hasura's JWT and unauthenticated
// access guides end to end: anonymous users read articles but have no
// mutations; a role header without a token changes nothing; a user with
// a valid JWT inserts a tag.
func TestApp_JWTGuide(t *testing.T) {
	db := pgtest.New(t, guideSQL)
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	cfg.UnauthorizedRole = "anonymous"
	cfg.JWTSecret = `{"type": "HS256", "key": "` + guideKey + `"}`
	r := start(t, cfg, nil)
	admin := map[string]string{"x-hasura-admin-secret": "s3cret"}
	if status, body := post(t, r.url+"/v1/metadata", guideMetadata, admin); status != 200 {
		t.Fatalf("metadata = %d %s", status, body)
	}
	const introspectMutation = `{"query": "{ __schema { mutationType { name } } }"}`
	const insertTag = `{"query": "mutation { insert_tag_one(object: {name: \"go\", user_id: 7}) { name user_id } }"}`
	bearer := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

	tests := []struct {
		name    string
		path    string
		body    string
		headers map[string]string
		status  int
		want    string
	}{
		{"AnonymousReadsArticles", "/v1/graphql", `{"query": "{ article(order_by: {id: asc}) { title } }"}`, nil,
			200, `{"data":{"article":[{"title":"Hello"},{"title":"World"}]}}`},
		{"AnonymousHasNoMutationRoot", "/v1/graphql", introspectMutation, nil,
			200, `{"data":{"__schema":{"mutationType":null}}}`},
		// Hasura says "no mutations exist" (hasura.md §2.2); the message
		// belongs to package gql, so only the code is checked here.
		{"AnonymousCannotInsert", "/v1/graphql", insertTag, nil,
			200, `{"errors":[{"extensions":{"code":"validation-failed","path":"$"},"message":*}]}`},
		{"RoleHeaderWithoutTokenStaysAnonymous", "/v1/graphql", introspectMutation, map[string]string{"X-Hasura-Role": "user"},
			200, `{"data":{"__schema":{"mutationType":null}}}`},
		{"UserHasMutationRoot", "/v1/graphql", introspectMutation, bearer(userToken(t, "7")),
			200, `{"data":{"__schema":{"mutationType":{"name":"mutation_root"}}}}`},
		{"UserInserts", "/v1/graphql", insertTag, bearer(userToken(t, "7")),
			200, `{"data":{"insert_tag_one":{"name":"go","user_id":7}}}`},
		{"UserSeesOwnTag", "/v1/graphql", `{"query": "{ tag { name } }"}`, bearer(userToken(t, "7")),
			200, `{"data":{"tag":[{"name":"go"}]}}`},
		{"OtherUserSeesNone", "/v1/graphql", `{"query": "{ tag { name } }"}`, bearer(userToken(t, "8")),
			200, `{"data":{"tag":[]}}`},
		{"BadTokenNotAnonymous", "/v1/graphql", `{"query": "{ article { id } }"}`, bearer(userToken(t, "7") + "x"),
			200, `{"errors":[{"extensions":{"code":"invalid-jwt","path":"$"},"message":"Could not verify JWT: JWSError JWSInvalidSignature"}]}`},
		{"BadTokenRealStatus", "/v1alpha1/graphql", `{"query": "{ article { id } }"}`, bearer(userToken(t, "7") + "x"),
			400, `{"errors":[{"extensions":{"code":"invalid-jwt","path":"$"},"message":"Could not verify JWT: JWSError JWSInvalidSignature"}]}`},
		{"UserNotAdmin", "/v1/metadata", `{"type": "export_metadata", "args": {}}`, bearer(userToken(t, "7")),
			400, `{"code":"access-denied","error":"restricted access : admin only","path":"$.args"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := post(t, r.url+tt.path, tt.body, tt.headers)
			if status != tt.status {
				t.Errorf("status = %d, want %d (%s)", status, tt.status, body)
			}
			got := compactJSON(t, body)
			if pre, post, ok := strings.Cut(tt.want, `*`); ok {
				// * stands for any JSON string.
				if !strings.HasPrefix(got, pre) || !strings.HasSuffix(got, post) || len(got) < len(pre)+len(post)+2 {
					t.Errorf("body = %s, want %s", got, tt.want)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("Config", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, r.url+"/v1alpha1/config", nil)
		req.Header.Set("X-Hasura-Admin-Secret", "s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct {
			IsJWTSet bool             `json:"is_jwt_set"`
			JWT      []map[string]any `json:"jwt"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		want := []map[string]any{{"claims_namespace": "https://hasura.io/jwt/claims", "claims_format": "json"}}
		if !got.IsJWTSet || !cmp.Equal(want, got.JWT) {
			t.Errorf("config is_jwt_set, jwt = %v, %v; want true, %v", got.IsJWTSet, got.JWT, want)
		}
	})
}

// TestApp_WebhookPOST checks that a POST auth webhook gets the client's
// headers and its GraphQL request through the HTTP server.
func TestApp_WebhookPOST(t *testing.T) {
	var mu sync.Mutex
	var got map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		json.Unmarshal(b, &got)
		mu.Unlock()
		if !strings.Contains(r.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(b), `"Authorization":"Bearer good"`) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Add("Set-Cookie", "__Host-id=1; Secure; Path=/")
		w.Header().Add("Set-Cookie", "theme=dark; Path=/")
		io.WriteString(w, `{"X-Hasura-Role": "anonymous"}`)
	}))
	t.Cleanup(hook.Close) // after graft has stopped (cleanups run last-in first-out)

	db := pgtest.New(t, guideSQL)
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	cfg.AuthHook = hook.URL
	cfg.AuthHookMode = "POST"
	r := start(t, cfg, nil)
	if status, body := post(t, r.url+"/v1/metadata", guideMetadata, map[string]string{"x-hasura-admin-secret": "s3cret"}); status != 200 {
		t.Fatalf("metadata = %d %s", status, body)
	}
	query := `{"query": "{ article(order_by: {id: asc}, limit: 1) { title } }"}`
	req, _ := http.NewRequest(http.MethodPost, r.url+"/v1/graphql", strings.NewReader(query))
	req.Header.Set("Authorization", "Bearer good")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if diff := cmp.Diff(`{"data":{"article":[{"title":"Hello"}]}}`, compactJSON(t, string(b))); res.StatusCode != 200 || diff != "" {
		t.Errorf("authorized query = %d (-want +got):\n%s", res.StatusCode, diff)
	}
	// The hook's Set-Cookie headers reach the client, as with Hasura.
	if diff := cmp.Diff([]string{"__Host-id=1; Secure; Path=/", "theme=dark; Path=/"}, res.Header.Values("Set-Cookie")); diff != "" {
		t.Errorf("Set-Cookie (-want +got):\n%s", diff)
	}
	mu.Lock()
	hookReq := got["request"]
	mu.Unlock()
	if diff := cmp.Diff(map[string]any{"query": "{ article(order_by: {id: asc}, limit: 1) { title } }"}, hookReq); diff != "" {
		t.Errorf("the hook's request field (-want +got):\n%s", diff)
	}
	status, body := post(t, r.url+"/v1alpha1/graphql", query, map[string]string{"Authorization": "Bearer bad"})
	want := `{"errors":[{"extensions":{"code":"access-denied","path":"$"},"message":"Authentication hook unauthorized this request"}]}`
	if diff := cmp.Diff(want, compactJSON(t, body)); status != 401 || diff != "" {
		t.Errorf("denied query = %d, want 401 (-want +got):\n%s", status, diff)
	}
}
