package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
)

// hookServer is an auth webhook that answers what a test sets and
// records what it was sent.
type hookServer struct {
	mu     sync.Mutex
	status int
	body   string
	delay  time.Duration
	got    *http.Request
	gotRaw []byte
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.got, h.gotRaw = r, body
	status, answer, delay := h.status, h.body, h.delay
	h.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(status)
	io.WriteString(w, answer)
}

func (h *hookServer) answer(status int, body string) {
	h.mu.Lock()
	h.status, h.body, h.delay = status, body, 0
	h.mu.Unlock()
}

func (h *hookServer) last() (*http.Request, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.got, h.gotRaw
}

func TestService_Authenticate_Webhook(t *testing.T) {
	hook := &hookServer{}
	ts := httptest.NewServer(hook)
	defer ts.Close()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	get := NewService(t, auth.Options{AuthHook: ts.URL + "/auth", Now: clock})
	post := NewService(t, auth.Options{AuthHook: ts.URL + "/auth", AuthHookMode: "POST", AuthHookSendRequestBody: true, Now: clock})
	clientHeaders := func() http.Header {
		return hdr("Authorization", "Bearer abc", "X-Hasura-Role", "user", "Content-Type", "application/json",
			"User-Agent", "curl/8", "Accept-Encoding", "gzip", "Origin", "http://app.example", "Cookie", "sid=1", "X-Custom", "yes")
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   outcome
	}{
		{"OK", 200, `{"X-Hasura-Role":"user","X-Hasura-User-Id":"25","Other":"dropped"}`, user("25", "user")},
		{"LowerCaseKeys", 200, `{"x-hasura-role":"editor","x-hasura-user-id":"1"}`, user("1", "editor")},
		{"Unauthorized", 401, `{}`, denied(apierr.AccessDenied, 401, "Authentication hook unauthorized this request")},
		{"ServerError", 500, `oops`, denied(apierr.Unexpected, 500, "Invalid response from authorization hook")},
		{"Forbidden", 403, `{}`, denied(apierr.Unexpected, 500, "Invalid response from authorization hook")},
		{"NotJSON", 200, `<html>`, denied(apierr.Unexpected, 500, "Invalid response from authorization hook: Error in $: not valid JSON")},
		{"NotObject", 200, `["user"]`, denied(apierr.Unexpected, 500,
			"Invalid response from authorization hook: Error in $: parsing HashMap ~Text failed, expected Object, but encountered Array")},
		{"ArrayValue", 200, `{"X-Hasura-Role":"user","X-Hasura-Ids":["1","2"]}`, denied(apierr.Unexpected, 500,
			`Invalid response from authorization hook: Error in $['X-Hasura-Ids']: parsing Text failed, expected String, but encountered Array`)},
		{"NoRole", 200, `{"X-Hasura-User-Id":"1"}`, denied(apierr.InvalidParams, 400, "x-hasura-role not found in session variables")},
	}
	for _, mode := range []struct {
		name string
		s    *auth.Service
	}{{"GET", get}, {"POST", post}} {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) {
				hook.answer(tt.status, tt.body)
				got := outcomeOf(mode.s.Authenticate(context.Background(), clientHeaders()))
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Authenticate (-want +got):\n%s", diff)
				}
			})
		}
	}

	t.Run("GET/Headers", func(t *testing.T) {
		hook.answer(200, `{"X-Hasura-Role":"user"}`)
		if _, err := get.Authenticate(context.Background(), clientHeaders()); err != nil {
			t.Fatal(err)
		}
		r, _ := hook.last()
		if r.Method != http.MethodGet {
			t.Errorf("method = %s, want GET", r.Method)
		}
		sent := map[string]string{}
		for _, k := range []string{"Authorization", "X-Hasura-Role", "Cookie", "X-Custom", "Content-Type", "Origin", "Accept-Encoding"} {
			if v := r.Header.Get(k); v != "" {
				sent[k] = v
			}
		}
		want := map[string]string{"Authorization": "Bearer abc", "X-Hasura-Role": "user", "Cookie": "sid=1", "X-Custom": "yes",
			"Accept-Encoding": "gzip"} // Go's client asks for gzip itself
		if diff := cmp.Diff(want, sent); diff != "" {
			t.Errorf("headers sent to the hook (-want +got):\n%s", diff)
		}
		if ua := r.Header.Get("User-Agent"); ua == "curl/8" {
			t.Errorf("the client's User-Agent was forwarded")
		}
	})
	t.Run("POST/Body", func(t *testing.T) {
		hook.answer(200, `{"X-Hasura-Role":"user"}`)
		ctx := auth.WithRequestBody(context.Background(), []byte(`{"query":"{ a }","variables":{"x":1},"operationName":null}`))
		if _, err := post.Authenticate(ctx, hdr("Authorization", "Bearer abc", "X-Hasura-Role", "user")); err != nil {
			t.Fatal(err)
		}
		r, raw := hook.last()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request = %s %s, want POST application/json", r.Method, r.Header.Get("Content-Type"))
		}
		var got any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("body %s: %v", raw, err)
		}
		want := map[string]any{
			"headers": map[string]any{"Authorization": "Bearer abc", "X-Hasura-Role": "user"},
			"request": map[string]any{"query": "{ a }", "variables": map[string]any{"x": 1.0}, "operationName": nil},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("POST body (-want +got):\n%s", diff)
		}
	})
	t.Run("POST/NoBodyWhenDisabled", func(t *testing.T) {
		noBody := NewService(t, auth.Options{AuthHook: ts.URL, AuthHookMode: "POST", AuthHookSendRequestBody: false})
		hook.answer(200, `{"X-Hasura-Role":"user"}`)
		ctx := auth.WithRequestBody(context.Background(), []byte(`{"query":"{ a }"}`))
		if _, err := noBody.Authenticate(ctx, hdr("X-A", "1")); err != nil {
			t.Fatal(err)
		}
		_, raw := hook.last()
		if diff := cmp.Diff(`{"headers":{"X-A":"1"}}`, string(raw)); diff != "" {
			t.Errorf("POST body (-want +got):\n%s", diff)
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		for _, tc := range []struct {
			name, body string
			want       time.Time
		}{
			{"CacheControl", `{"X-Hasura-Role":"user","Cache-Control":"max-age=600"}`, now.Add(600 * time.Second)},
			{"Expires", `{"X-Hasura-Role":"user","Expires":"Mon, 05 Jan 2026 10:00:00 GMT"}`, time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)},
			{"None", `{"X-Hasura-Role":"user"}`, time.Time{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				hook.answer(200, tc.body)
				s, err := get.Authenticate(context.Background(), hdr())
				if err != nil {
					t.Fatal(err)
				}
				if !s.Expires.Equal(tc.want) {
					t.Errorf("Expires = %v, want %v", s.Expires, tc.want)
				}
			})
		}
	})
	t.Run("AdminSecretSkipsHook", func(t *testing.T) {
		hook.answer(500, ``)
		got := outcomeOf(get.Authenticate(context.Background(), hdr("X-Hasura-Admin-Secret", "s3cret", "X-Hasura-Role", "user")))
		if diff := cmp.Diff(outcome{Role: "user", Vars: map[string]string{"x-hasura-role": "user"}}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		got = outcomeOf(get.Authenticate(context.Background(), hdr("X-Hasura-Admin-Secret", "wrong")))
		if diff := cmp.Diff(denied(apierr.AccessDenied, 401, "invalid x-hasura-admin-secret/x-hasura-access-key"), got); diff != "" {
			t.Errorf("wrong secret (-want +got):\n%s", diff)
		}
	})
	t.Run("Timeout", func(t *testing.T) {
		slow := NewService(t, auth.Options{AuthHook: ts.URL, AuthHookTimeout: 300 * time.Millisecond})
		hook.mu.Lock()
		hook.status, hook.body, hook.delay = 200, `{"X-Hasura-Role":"user"}`, 20*time.Second
		hook.mu.Unlock()
		t0 := time.Now()
		got := outcomeOf(slow.Authenticate(context.Background(), hdr()))
		if diff := cmp.Diff(denied(apierr.Unexpected, 500, "webhook authentication request failed"), got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if d := time.Since(t0); d > 10*time.Second {
			t.Errorf("took %v, want about the 300ms timeout", d)
		}
	})
	t.Run("Unreachable", func(t *testing.T) {
		l := httptest.NewServer(http.NotFoundHandler())
		url := l.URL
		l.Close()
		s := NewService(t, auth.Options{AuthHook: url})
		got := outcomeOf(s.Authenticate(context.Background(), hdr()))
		if diff := cmp.Diff(denied(apierr.Unexpected, 500, "webhook authentication request failed"), got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
}
