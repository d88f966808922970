package signin_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/signin"
)

// TestService_GeneratedKey checks the zero-setup key (signin.md §10.2):
// made once, kept in the database, published without its private half,
// named by its thumbprint in the JWKS and in every token.
func TestService_GeneratedKey(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, nil)
	s := e.MustSignUp(t, "nia@example.com", pw)
	r := e.do(t, "GET", "/.well-known/jwks.json", nil, "")
	if r.Header.Get("Cache-Control") != "max-age=300" {
		t.Errorf("Cache-Control = %q", r.Header.Get("Cache-Control"))
	}
	set, err := jwk.Parse(r.Raw)
	if err != nil || set.Len() != 1 {
		t.Fatalf("JWKS %s: %v", r.Raw, err)
	}
	key, _ := set.Key(0)
	kid, _ := key.KeyID()
	var doc struct{ Keys []map[string]any }
	if err := json.Unmarshal(r.Raw, &doc); err != nil {
		t.Fatal(err)
	}
	fields := doc.Keys[0]
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := fields[private]; ok {
			t.Errorf("JWKS has private field %q", private)
		}
	}
	if fields["alg"] != "RS256" || fields["use"] != "sig" || fields["kty"] != "RSA" {
		t.Errorf("JWKS key %v", fields)
	}
	tp, _ := key.Thumbprint(cryptoSHA256())
	if kid != base64URL(tp) {
		t.Errorf("kid %s is not the RFC 7638 thumbprint", kid)
	}
	msg, err := jws.Parse([]byte(s.AccessToken))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	if hk, _ := h.KeyID(); hk != kid {
		t.Errorf("token kid %q, want %q", hk, kid)
	}
	if _, err := jws.Verify([]byte(s.AccessToken), jws.WithKeySet(set)); err != nil {
		t.Errorf("token does not verify with the JWKS: %v", err)
	}
	lk := e.svc.LocalKeys()
	if len(lk) != 1 || lk[0].KeyID != kid || lk[0].Issuer != "hasura-auth" || lk[0].Alg != "RS256" {
		t.Errorf("LocalKeys = %+v", lk)
	}
	// A second start on the same database keeps the key.
	again, err := signin.New(context.Background(), signin.Options{Settings: config.DefaultSignIn(), Pool: e.db.Pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if got := again.LocalKeys()[0].KeyID; got != kid {
		t.Errorf("kid after restart %s, want %s", got, kid)
	}
}

func TestNew_JWTSecret(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t, "")
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	pubPEM := func(k *rsa.PrivateKey) string {
		der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	privPEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	secret := func(m map[string]any) string { b, _ := json.Marshal(m); return string(b) }
	tests := []struct {
		name   string
		secret string
		want   string // error, "" for none
		kid    string
		local  bool
	}{
		{name: "HS256", secret: secret(map[string]any{"type": "HS256", "key": hsKey})},
		{name: "HS256Kid", secret: secret(map[string]any{"type": "HS256", "key": hsKey, "kid": "k1"}), kid: "k1"},
		{name: "RS256", secret: secret(map[string]any{"type": "RS256", "key": pubPEM(priv), "signing_key": privPEM, "kid": "rs"}), kid: "rs"},
		{name: "HSShort", secret: secret(map[string]any{"type": "HS256", "key": "short"}),
			want: "HASURA_GRAPHQL_JWT_SECRET: the HS256 key must be at least 32 bytes long"},
		{name: "RSNoSigningKey", secret: secret(map[string]any{"type": "RS256", "key": pubPEM(priv)}),
			want: "HASURA_GRAPHQL_JWT_SECRET: RS256 needs signing_key, the private key (PEM) the sign-in service signs with, as Nhost Auth does"},
		{name: "RSMismatch", secret: secret(map[string]any{"type": "RS256", "key": pubPEM(other), "signing_key": privPEM}),
			want: "HASURA_GRAPHQL_JWT_SECRET: signing_key does not match key"},
		{name: "JWKURL", secret: secret(map[string]any{"jwk_url": "https://x/jwks"}),
			want: "HASURA_GRAPHQL_JWT_SECRET: jwk_url cannot sign; the sign-in service needs a key (HS* key, or RS* key with signing_key), or no secret at all"},
		{name: "ES256", secret: secret(map[string]any{"type": "ES256", "key": "x"}),
			want: `HASURA_GRAPHQL_JWT_SECRET: type "ES256" is not supported with the sign-in service (HS256, HS384, HS512, RS256, RS384, RS512)`},
		{name: "ClaimsMap", secret: secret(map[string]any{"type": "HS256", "key": hsKey, "claims_map": map[string]any{}}),
			want: "HASURA_GRAPHQL_JWT_SECRET: claims_namespace_path and claims_map are not supported with the sign-in service"},
		{name: "Stringified", secret: secret(map[string]any{"type": "HS256", "key": hsKey, "claims_format": "stringified_json"}),
			want: `HASURA_GRAPHQL_JWT_SECRET: claims_format "stringified_json" is not supported with the sign-in service`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, err := signin.New(context.Background(), signin.Options{Settings: config.DefaultSignIn(), Pool: db.Pool,
				JWTSecret: tt.secret, Logger: slog.New(slog.DiscardHandler)})
			if tt.want != "" {
				if err == nil || err.Error() != tt.want {
					t.Errorf("New error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(svc.LocalKeys()) != 0 {
				t.Error("the engine is told to trust a local key although HASURA_GRAPHQL_JWT_SECRET is set")
			}
		})
	}
	t.Run("HS256Token", func(t *testing.T) {
		e := NewEnv(t, func(o *signin.Options) {
			o.JWTSecret = secret(map[string]any{"type": "HS256", "key": hsKey, "claims_namespace": "https://example.com/claims", "issuer": "me"})
		})
		s := e.MustSignUp(t, "oz@example.com", pw)
		msg, err := jws.Parse([]byte(s.AccessToken))
		if err != nil {
			t.Fatal(err)
		}
		var claims map[string]any
		json.Unmarshal(msg.Payload(), &claims)
		if claims["iss"] != "me" || claims["https://example.com/claims"] == nil {
			t.Errorf("claims %v", claims)
		}
		delete(claims, "iat")
		delete(claims, "exp")
		want := map[string]any{"iss": "me", "sub": s.User.ID, "https://example.com/claims": map[string]any{
			"x-hasura-allowed-roles": []any{"me", "user"}, "x-hasura-default-role": "user",
			"x-hasura-user-id": s.User.ID, "x-hasura-user-is-anonymous": "false"}}
		if diff := cmp.Diff(want, claims); diff != "" {
			t.Errorf("claims (-want +got):\n%s", diff)
		}
		if r := e.do(t, "GET", "/.well-known/jwks.json", nil, ""); string(r.Raw) != `{"keys":[]}` {
			t.Errorf("JWKS with an HMAC key: %s", r.Raw)
		}
		if !strings.HasPrefix(s.AccessToken, "eyJhbGciOiJIUzI1NiIs") {
			t.Errorf("token header %s", strings.Split(s.AccessToken, ".")[0])
		}
	})
}
