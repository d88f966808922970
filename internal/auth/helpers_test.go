package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/session"
)

const hsKey = "graft-test-hs256-secret-0123456789abcdef"

// MustSign signs claims as a compact JWS with alg and key, adding the
// protected headers hdrs (such as kid or jku).
func MustSign(t testing.TB, alg jwa.SignatureAlgorithm, key any, claims map[string]any, hdrs map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	h := jws.NewHeaders()
	for k, v := range hdrs {
		if err := h.Set(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Set("typ", "JWT"); err != nil {
		t.Fatal(err)
	}
	tok, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(h)))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return string(tok)
}

// unsignedToken builds an alg:none token by hand.
func unsignedToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := base64.RawURLEncoding
	p, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(p) + "."
}

// hasuraClaims are valid claims for role user (allowed: user, editor),
// expiring in an hour.
func hasuraClaims(now time.Time) map[string]any {
	return map[string]any{
		"sub": "42",
		"iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
		auth.DefaultClaimsNamespace: map[string]any{
			"x-hasura-allowed-roles": []any{"user", "editor"},
			"x-hasura-default-role":  "user",
			"x-hasura-user-id":       "42",
		},
	}
}

// NewService builds a Service and closes it with the test.
func NewService(t testing.TB, o auth.Options) *auth.Service {
	t.Helper()
	if o.AdminSecrets == nil {
		o.AdminSecrets = []auth.Secret{"s3cret"}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := auth.New(context.Background(), o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func bearer(tok string) http.Header { return hdr("Authorization", "Bearer "+tok) }

// outcome is what a test compares: the session's role and variables, or
// the error's code, status and message.
type outcome struct {
	Role    string
	Vars    map[string]string
	Code    apierr.Code
	Status  int
	Message string
}

func outcomeOf(s *session.Session, err error) outcome {
	if err != nil {
		var ae *apierr.Error
		if !errors.As(err, &ae) {
			return outcome{Message: "not an apierr: " + err.Error()}
		}
		return outcome{Code: ae.Code, Status: ae.HTTPStatus(), Message: ae.Message}
	}
	return outcome{Role: s.Role, Vars: s.Vars}
}

func denied(code apierr.Code, status int, msg string) outcome {
	return outcome{Code: code, Status: status, Message: msg}
}

func invalidJWT(detail string) outcome {
	return denied(apierr.InvalidJWT, 400, "Could not verify JWT: "+detail)
}

func mustRSA(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEC(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// publicPEM encodes a public key as a PEM "PUBLIC KEY" block.
func publicPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// jwtEnv renders a JWT config as HASURA_GRAPHQL_JWT_SECRET holds it.
func jwtEnv(t testing.TB, cfg map[string]any) string {
	t.Helper()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
