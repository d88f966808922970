package signin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/graftql/graft/internal/signin"
)

// post sends a JSON body and decodes the session of a 200.
func post(b *testing.B, client *http.Client, url string, body any) session {
	raw, _ := json.Marshal(body)
	res, err := client.Post(url, "application/json", bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("%s: %d %s", url, res.StatusCode, out)
	}
	var s session
	var wrapped struct{ Session *session }
	if json.Unmarshal(out, &wrapped); wrapped.Session != nil {
		return *wrapped.Session
	}
	json.Unmarshal(out, &s)
	return s
}

// BenchmarkSignIn measures password sign-ins over HTTP against a real
// PostgreSQL: argon2id (19 MiB, 2 passes), a new refresh-token family and
// an RS256 access token each.
//
//	go test ./internal/signin -run '^$' -bench . -benchtime 5s
func BenchmarkSignIn(b *testing.B) {
	for _, k := range []struct {
		name   string
		mutate func(o *signin.Options)
	}{{"RS256", nil}, {"HS256", hs256}} {
		b.Run(k.name, func(b *testing.B) {
			e := NewEnv(b, k.mutate)
			e.MustSignUp(b, "bench@example.com", pw)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					post(b, client, e.url+"/signin/email-password", map[string]any{"email": "bench@example.com", "password": pw})
				}
			})
		})
	}
}

// BenchmarkRefresh measures POST /token rotations: one transaction that
// rotates the family row and records the retired hash, and a new access
// token.
func BenchmarkRefresh(b *testing.B) {
	for _, k := range []struct {
		name   string
		mutate func(o *signin.Options)
	}{{"RS256", nil}, {"HS256", hs256}} {
		b.Run(k.name, func(b *testing.B) {
			e := NewEnv(b, k.mutate)
			e.MustSignUp(b, "bench@example.com", pw)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				tok := post(b, client, e.url+"/signin/email-password", map[string]any{"email": "bench@example.com", "password": pw}).RefreshToken
				for pb.Next() {
					tok = post(b, client, e.url+"/token", map[string]any{"refreshToken": tok}).RefreshToken
				}
			})
		})
	}
}
