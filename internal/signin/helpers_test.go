package signin_test

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/signin"
)

// testEnv is a sign-in service on a fresh database, served over HTTP.
type testEnv struct {
	svc *signin.Service
	db  *pgtest.DB
	url string
}

// NewEnv starts a service with the default settings changed by mutate.
// Rate limits are off unless mutate turns them on, so that tests can sign
// in as often as they like from 127.0.0.1.
func NewEnv(t testing.TB, mutate func(o *signin.Options)) *testEnv {
	t.Helper()
	return NewEnvOn(t, pgtest.New(t, ""), mutate)
}

// NewEnvOn is NewEnv on an existing database.
func NewEnvOn(t testing.TB, db *pgtest.DB, mutate func(o *signin.Options)) *testEnv {
	t.Helper()
	st := config.DefaultSignIn()
	st.RateLimitEnabled = false
	o := signin.Options{Settings: st, Pool: db.Pool, Version: "v-test", Logger: slog.New(slog.DiscardHandler),
		ServerURL: "http://localhost/auth/v1"}
	if mutate != nil {
		mutate(&o)
	}
	svc, err := signin.New(context.Background(), o)
	if err != nil {
		t.Fatalf("signin.New: %v", err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	return &testEnv{svc: svc, db: db, url: srv.URL}
}

// response is an answer: status, headers and the decoded JSON body.
type response struct {
	Status int
	Header http.Header
	Body   any
	Raw    []byte
}

// do sends a request with a JSON body (nil for none) and an optional
// Bearer token.
func (e *testEnv) do(t testing.TB, method, path string, body any, bearer string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, raw)
		}
	}
	return r
}

// session is the part of a Session the tests use.
type session struct {
	AccessToken    string `json:"accessToken"`
	RefreshToken   string `json:"refreshToken"`
	RefreshTokenID string `json:"refreshTokenId"`
	User           struct {
		ID    string   `json:"id"`
		Roles []string `json:"roles"`
	} `json:"user"`
}

// sessionOf decodes {"session": ...} or a bare Session.
func sessionOf(t testing.TB, r response) session {
	t.Helper()
	var wrapped struct {
		Session *session `json:"session"`
	}
	if err := json.Unmarshal(r.Raw, &wrapped); err == nil && wrapped.Session != nil {
		return *wrapped.Session
	}
	var s session
	if err := json.Unmarshal(r.Raw, &s); err != nil || s.AccessToken == "" {
		t.Fatalf("no session in %d %s", r.Status, r.Raw)
	}
	return s
}

// errBody is Nhost's error envelope.
func errBody(code string, status int, message string) map[string]any {
	return map[string]any{"error": code, "message": message, "status": float64(status)}
}

// MustSignUp signs a user up and returns the session.
func (e *testEnv) MustSignUp(t testing.TB, email, pw string) session {
	t.Helper()
	r := e.do(t, "POST", "/signup/email-password", map[string]any{"email": email, "password": pw}, "")
	if r.Status != 200 {
		t.Fatalf("sign up %s: %d %s", email, r.Status, r.Raw)
	}
	return sessionOf(t, r)
}

// MustSignIn signs a user in and returns the session.
func (e *testEnv) MustSignIn(t testing.TB, email, pw string) session {
	t.Helper()
	r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": email, "password": pw}, "")
	if r.Status != 200 {
		t.Fatalf("sign in %s: %d %s", email, r.Status, r.Raw)
	}
	return sessionOf(t, r)
}

func base64URL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// newBufLogger logs JSON lines into buf.
func newBufLogger(mu *sync.Mutex, buf *strings.Builder) *slog.Logger {
	return slog.New(slog.NewJSONHandler(&lockedWriter{mu: mu, w: buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

func cryptoSHA256() crypto.Hash { return crypto.SHA256 }
