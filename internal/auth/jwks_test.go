package auth_test

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/graftql/graft/internal/auth"
)

// jwksServer serves a JWK set that tests can change; it counts fetches.
type jwksServer struct {
	mu           sync.Mutex
	body         []byte // guarded by mu
	status       int    // guarded by mu; 0 means 200
	cacheControl string // guarded by mu
	fetches      atomic.Int32
}

func (s *jwksServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.fetches.Add(1)
	s.mu.Lock()
	body, status, cc := s.body, s.status, s.cacheControl
	s.mu.Unlock()
	if cc != "" {
		w.Header().Set("Cache-Control", cc)
	}
	if status != 0 {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// serve installs the public halves of keys (kid → key), RS256.
func (s *jwksServer) serve(t testing.TB, cacheControl string, keys map[string]*rsa.PrivateKey) {
	t.Helper()
	set := jwk.NewSet()
	for kid, k := range keys {
		pk, err := jwk.Import(&k.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		pk.Set(jwk.KeyIDKey, kid)
		pk.Set(jwk.AlgorithmKey, jwa.RS256())
		set.AddKey(pk)
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.body, s.status, s.cacheControl = b, 0, cacheControl
	s.mu.Unlock()
}

func (s *jwksServer) fail(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

// handlerTransport answers requests from a handler in the calling
// goroutine: no sockets, so it works inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

func kidToken(t testing.TB, key *rsa.PrivateKey, kid string) string {
	return MustSign(t, jwa.RS256(), key, hasuraClaims(time.Now()), map[string]any{"kid": kid})
}

func check(t *testing.T, s *auth.Service, what string, h http.Header, want outcome) {
	t.Helper()
	got := outcomeOf(s.Authenticate(context.Background(), h))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func TestJWKS_Rotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2 := mustRSA(t), mustRSA(t)
		srv := &jwksServer{}
		srv.serve(t, "public, max-age=300", map[string]*rsa.PrivateKey{"k1": k1})
		s := NewService(t, auth.Options{
			JWTSecret:  `{"jwk_url": "http://jwks.test/.well-known/jwks.json"}`,
			HTTPClient: &http.Client{Transport: handlerTransport{srv}},
			// Kid misses may not refetch here: only max-age drives it.
			MissRefreshInterval: time.Hour,
		})
		synctest.Wait()
		check(t, s, "k1 before rotation", bearer(kidToken(t, k1, "k1")), user("42", "user"))

		srv.serve(t, "public, max-age=300", map[string]*rsa.PrivateKey{"k2": k2})
		check(t, s, "k2 before max-age", bearer(kidToken(t, k2, "k2")), invalidJWT("JWSError NoUsableKeys"))

		time.Sleep(299 * time.Second)
		synctest.Wait()
		if n := srv.fetches.Load(); n != 1 {
			t.Errorf("fetches before max-age = %d, want 1", n)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		check(t, s, "k2 after max-age", bearer(kidToken(t, k2, "k2")), user("42", "user"))
		// The cached k1 token is dropped with the old key set.
		check(t, s, "k1 after rotation", bearer(kidToken(t, k1, "k1")), invalidJWT("JWSError NoUsableKeys"))
		if n := srv.fetches.Load(); n != 2 {
			t.Errorf("fetches = %d, want 2", n)
		}
	})
}

func TestJWKS_MissRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1, k2 := mustRSA(t), mustRSA(t)
		srv := &jwksServer{}
		srv.serve(t, "max-age=86400", map[string]*rsa.PrivateKey{"k1": k1})
		s := NewService(t, auth.Options{
			JWTSecret:           `{"jwk_url": "http://jwks.test/keys", "type": "RS256"}`,
			HTTPClient:          &http.Client{Transport: handlerTransport{srv}},
			MissRefreshInterval: 10 * time.Second,
		})
		synctest.Wait()
		srv.serve(t, "max-age=86400", map[string]*rsa.PrivateKey{"k1": k1, "k2": k2})

		// A storm of unknown kids right after a fetch fetches nothing.
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				s.Authenticate(context.Background(), bearer(kidToken(t, k1, fmt.Sprint("forged-", i))))
			})
		}
		wg.Wait()
		if n := srv.fetches.Load(); n != 1 {
			t.Errorf("fetches after a storm within the interval = %d, want 1", n)
		}

		time.Sleep(10 * time.Second)
		// After the interval, concurrent misses share one fetch.
		for range 50 {
			wg.Go(func() {
				check(t, s, "k2 after miss refresh", bearer(kidToken(t, k2, "k2")), user("42", "user"))
			})
		}
		wg.Wait()
		if n := srv.fetches.Load(); n != 2 {
			t.Errorf("fetches = %d, want 2", n)
		}
	})
}

func TestJWKS_Floor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1 := mustRSA(t)
		srv := &jwksServer{}
		srv.serve(t, "no-cache", map[string]*rsa.PrivateKey{"k1": k1})
		s := NewService(t, auth.Options{
			JWTSecret:  `{"jwk_url": "http://jwks.test/keys"}`,
			HTTPClient: &http.Client{Transport: handlerTransport{srv}},
		})
		time.Sleep(10*time.Second + time.Millisecond)
		synctest.Wait()
		// no-cache refreshes at once, floored to one fetch a second.
		if n := srv.fetches.Load(); n != 11 {
			t.Errorf("fetches in 10s of no-cache = %d, want 11", n)
		}
		check(t, s, "token", bearer(kidToken(t, k1, "k1")), user("42", "user"))
	})
}

func TestJWKS_FailureKeepsKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		k1 := mustRSA(t)
		srv := &jwksServer{}
		srv.serve(t, "max-age=60", map[string]*rsa.PrivateKey{"k1": k1})
		s := NewService(t, auth.Options{
			JWTSecret:  `{"jwk_url": "http://jwks.test/keys"}`,
			HTTPClient: &http.Client{Transport: handlerTransport{srv}},
		})
		synctest.Wait()
		srv.fail(http.StatusInternalServerError)
		time.Sleep(60*time.Second + 62*time.Second)
		synctest.Wait()
		// Fetches at 0 and 60 (failed), retries at 61, 63, 67, 75, 91.
		if n := srv.fetches.Load(); n != 7 {
			t.Errorf("fetches = %d, want 7", n)
		}
		check(t, s, "last good keys", bearer(kidToken(t, k1, "k1")), user("42", "user"))
	})
}

func TestJWKS_DownAtStart(t *testing.T) {
	k1 := mustRSA(t)
	jwks := &jwksServer{}
	jwks.fail(http.StatusServiceUnavailable)
	block := make(chan struct{})
	var blocked atomic.Bool
	blocked.Store(true)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if blocked.Load() {
			<-block // a server that does not answer yet
		}
		jwks.ServeHTTP(w, r)
	}))
	defer ts.Close()

	t0 := time.Now()
	s := NewService(t, auth.Options{
		JWTSecret:           jwtEnv(t, map[string]any{"jwk_url": ts.URL + "/keys"}),
		MissRefreshInterval: time.Hour,
	})
	if d := time.Since(t0); d > time.Second {
		t.Errorf("New took %v with the JWKS server hanging, want no wait", d)
	}
	tok := kidToken(t, k1, "k1")
	t0 = time.Now()
	check(t, s, "before keys", bearer(tok), invalidJWT("JWSError NoUsableKeys"))
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("a request waited %v for the hanging JWKS server, want at most 2s", d)
	}

	blocked.Store(false)
	close(block) // the first fetch now gets 503, then retries
	jwks.serve(t, "max-age=600", map[string]*rsa.PrivateKey{"k1": k1})
	deadline := time.Now().Add(15 * time.Second)
	for {
		sess, err := s.Authenticate(context.Background(), bearer(tok))
		if err == nil && sess.Role == "user" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keys not picked up after the server came up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestJWKS_JKUNeverFetched sends tokens whose jku and x5u point at a
// server with the attacker's key: it must never be asked.
func TestJWKS_JKUNeverFetched(t *testing.T) {
	good, evil := mustRSA(t), mustRSA(t)
	attacker := &jwksServer{}
	attacker.serve(t, "", map[string]*rsa.PrivateKey{"evil": evil})
	ts := httptest.NewServer(attacker)
	defer ts.Close()
	hdrs := map[string]any{"kid": "evil", "jku": ts.URL + "/jwks", "x5u": ts.URL + "/cert"}

	t.Run("StaticKey", func(t *testing.T) {
		s := NewService(t, auth.Options{JWTSecret: jwtEnv(t, map[string]any{"type": "RS256", "key": publicPEM(t, &good.PublicKey)})})
		check(t, s, "jku token", bearer(MustSign(t, jwa.RS256(), evil, hasuraClaims(time.Now()), hdrs)), invalidJWT("JWSError JWSInvalidSignature"))
	})
	t.Run("JWKURL", func(t *testing.T) {
		srv := &jwksServer{}
		srv.serve(t, "max-age=600", map[string]*rsa.PrivateKey{"good": good})
		s := NewService(t, auth.Options{
			JWTSecret:  `{"jwk_url": "http://jwks.test/keys"}`,
			HTTPClient: &http.Client{Transport: handlerTransport{srv}},
		})
		check(t, s, "jku token", bearer(MustSign(t, jwa.RS256(), evil, hasuraClaims(time.Now()), hdrs)), invalidJWT("JWSError NoUsableKeys"))
		check(t, s, "good token", bearer(kidToken(t, good, "good")), user("42", "user"))
	})
	if n := attacker.fetches.Load(); n != 0 {
		t.Errorf("the jku/x5u server was asked %d times, want never", n)
	}
}
