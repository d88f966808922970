package auth_test

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
)

// jwtCase is one request against a JWT-configured Service.
type jwtCase struct {
	name string
	h    http.Header
	want outcome
}

func runJWTCases(t *testing.T, s *auth.Service, cases []jwtCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := outcomeOf(s.Authenticate(context.Background(), tc.h))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

func user(id string, role string, extra ...string) outcome {
	vars := map[string]string{"x-hasura-role": role, "x-hasura-user-id": id}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	return outcome{Role: role, Vars: vars}
}

func with(m map[string]any, f func(m, ns map[string]any)) map[string]any {
	ns, _ := m[auth.DefaultClaimsNamespace].(map[string]any)
	f(m, ns)
	return m
}

func TestService_Authenticate_JWT(t *testing.T) {
	s := NewService(t, auth.Options{JWTSecret: jwtEnv(t, map[string]any{"type": "HS256", "key": hsKey})})
	now := time.Now()
	hs := func(claims map[string]any) string { return MustSign(t, jwa.HS256(), []byte(hsKey), claims, nil) }
	valid := hs(hasuraClaims(now))
	big := hs(with(hasuraClaims(now), func(m, ns map[string]any) { ns["x-hasura-pad"] = strings.Repeat("x", auth.MaxTokenSize) }))

	runJWTCases(t, s, []jwtCase{
		{"OK", bearer(valid), user("42", "user")},
		{"RoleHeader", hdr("Authorization", "Bearer "+valid, "X-Hasura-Role", "editor"), user("42", "editor")},
		{"RoleNotAllowed", hdr("Authorization", "Bearer "+valid, "X-Hasura-Role", "admin"),
			denied(apierr.AccessDenied, 400, "Your requested role is not in allowed roles")},
		{"VarsOnlyFromClaims", hdr("Authorization", "Bearer "+valid, "X-Hasura-User-Id", "7", "X-Hasura-Org", "evil"), user("42", "user")},
		{"AdminSecretWins", hdr("Authorization", "Bearer garbage", "X-Hasura-Admin-Secret", "s3cret"),
			outcome{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}},
		{"WrongAdminSecret", hdr("Authorization", "Bearer "+valid, "X-Hasura-Admin-Secret", "nope"),
			denied(apierr.AccessDenied, 401, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{"NoToken", hdr("X-Hasura-Role", "user"),
			denied(apierr.InvalidHeaders, 400, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
		{"NotBearer", hdr("Authorization", "Basic "+valid), denied(apierr.InvalidHeaders, 400, "Malformed Authorization header")},
		{"BearerOnly", hdr("Authorization", "Bearer"), denied(apierr.InvalidHeaders, 400, "Malformed Authorization header")},
		{"BadSignature", bearer(MustSign(t, jwa.HS256(), []byte(hsKey+"x"), hasuraClaims(now), nil)), invalidJWT("JWSError JWSInvalidSignature")},
		{"OtherHMAC", bearer(MustSign(t, jwa.HS384(), []byte(hsKey+hsKey), hasuraClaims(now), nil)), invalidJWT("JWSError JWSInvalidSignature")},
		{"AlgNone", bearer(unsignedToken(t, hasuraClaims(now))), invalidJWT("JWSError AlgorithmNotImplemented")},
		{"Expired", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { m["exp"] = now.Add(-time.Minute).Unix() }))),
			invalidJWT("JWTExpired")},
		{"NoExp", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { delete(m, "exp") }))), user("42", "user")},
		{"NotYetValid", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { m["nbf"] = now.Add(time.Hour).Unix() }))),
			invalidJWT("JWTNotYetValid")},
		{"IssuedInFuture", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { m["iat"] = now.Add(time.Hour).Unix() }))),
			invalidJWT("JWTIssuedAtFuture")},
		{"AudienceNotChecked", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { m["aud"] = "anything" }))), user("42", "user")},
		{"IssuerNotChecked", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { m["iss"] = "anyone" }))), user("42", "user")},
		{"TooLarge", bearer(big), invalidJWT("JWSError (CompactDecodeError token is larger than 8192 bytes)")},
		{"NotAJWT", bearer("abc"), invalidJWT("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got 1)")},
		{"BadBase64", bearer("a!.b!.c!"), invalidJWT(`JWSError (JSONDecodeError "Not valid base64url")`)},
		{"NoNamespace", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { delete(m, auth.DefaultClaimsNamespace) }))),
			denied(apierr.JWTInvalidClaims, 400, "claims key: 'https://hasura.io/jwt/claims' not found")},
		{"NamespaceNotObject", bearer(hs(with(hasuraClaims(now), func(m, _ map[string]any) { m[auth.DefaultClaimsNamespace] = "{}" }))),
			denied(apierr.JWTInvalidClaims, 400, "expecting a json object when claims_format is json")},
		{"NoAllowedRoles", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) { delete(ns, "x-hasura-allowed-roles") }))),
			denied(apierr.JWTMissingRoleClaims, 400, "JWT claim does not contain x-hasura-allowed-roles")},
		{"NoDefaultRole", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) { delete(ns, "x-hasura-default-role") }))),
			denied(apierr.JWTMissingRoleClaims, 400, "JWT claim does not contain x-hasura-default-role")},
		{"AllowedRolesNotList", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) { ns["x-hasura-allowed-roles"] = "user" }))),
			denied(apierr.JWTInvalidClaims, 400, "invalid x-hasura-allowed-roles; should be a list of roles: parsing [] failed, expected Array, but encountered String")},
		{"DefaultRoleNotString", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) { ns["x-hasura-default-role"] = 1 }))),
			denied(apierr.JWTInvalidClaims, 400, "invalid x-hasura-default-role; should be a single role name: parsing Text failed, expected String, but encountered Number")},
		{"DefaultRoleNotAllowed", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) { ns["x-hasura-default-role"] = "admin" }))),
			denied(apierr.AccessDenied, 400, "Your requested role is not in allowed roles")},
		{"ClaimNamesAnyCase", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) {
			delete(ns, "x-hasura-user-id")
			ns["X-Hasura-User-Id"] = "9"
			ns["not-a-session-variable"] = "dropped"
		}))), user("9", "user")},
		{"NonStringClaims", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) {
			ns["x-hasura-user-id"] = 42
			ns["x-hasura-org-ids"] = []any{1, 2}
			ns["x-hasura-tags"] = []any{"a b", "c"}
			ns["x-hasura-active"] = true
		}))), user("42", "user", "x-hasura-org-ids", "{1,2}", "x-hasura-tags", `{"a b",c}`, "x-hasura-active", "true")},
		{"ObjectClaim", bearer(hs(with(hasuraClaims(now), func(_, ns map[string]any) { ns["x-hasura-obj"] = map[string]any{} }))),
			denied(apierr.JWTInvalidClaims, 400, "x-hasura-* claims: parsing Text failed, expected String, but encountered Object")},
	})

	t.Run("Expires", func(t *testing.T) {
		claims := hasuraClaims(now)
		claims["exp"] = now.Add(30 * time.Minute).Unix()
		sess, err := s.Authenticate(context.Background(), bearer(hs(claims)))
		if err != nil {
			t.Fatal(err)
		}
		if want := time.Unix(now.Add(30*time.Minute).Unix(), 0); !sess.Expires.Equal(want) {
			t.Errorf("Expires = %v, want %v", sess.Expires, want)
		}
		if sess.ViaAdminSecret || sess.BackendOnly {
			t.Errorf("ViaAdminSecret, BackendOnly = %v, %v; want false, false", sess.ViaAdminSecret, sess.BackendOnly)
		}
	})
}

func TestService_Authenticate_JWTUnauthorizedRole(t *testing.T) {
	s := NewService(t, auth.Options{
		JWTSecret:        jwtEnv(t, map[string]any{"type": "HS256", "key": hsKey}),
		UnauthorizedRole: "anonymous",
	})
	anon := func(vars ...string) outcome {
		v := map[string]string{"x-hasura-role": "anonymous"}
		for i := 0; i+1 < len(vars); i += 2 {
			v[vars[i]] = vars[i+1]
		}
		return outcome{Role: "anonymous", Vars: v}
	}
	runJWTCases(t, s, []jwtCase{
		{"NoToken", hdr(), anon()},
		// A role header without credentials does not leave the
		// unauthorized role (hasura.md §3.1; #1686 for the variables).
		{"RoleHeaderStaysAnonymous", hdr("X-Hasura-Role", "user", "X-Hasura-User-Id", "1"), anon("x-hasura-user-id", "1")},
		{"BadTokenStillRejected", bearer(MustSign(t, jwa.HS256(), []byte(hsKey+"x"), hasuraClaims(time.Now()), nil)),
			invalidJWT("JWSError JWSInvalidSignature")},
		{"MalformedStillRejected", hdr("Authorization", "Token x"), denied(apierr.InvalidHeaders, 400, "Malformed Authorization header")},
	})
}

func TestService_Authenticate_JWTConfigs(t *testing.T) {
	now := time.Now()
	rsaKey := mustRSA(t)
	ecKey := mustEC(t)
	_, edPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		cfg   map[string]any
		cases func(t *testing.T) []jwtCase
	}{
		{"RS256", map[string]any{"type": "RS256", "key": publicPEM(t, &rsaKey.PublicKey)}, func(t *testing.T) []jwtCase {
			return []jwtCase{
				{"OK", bearer(MustSign(t, jwa.RS256(), rsaKey, hasuraClaims(now), nil)), user("42", "user")},
				// The type pins the algorithm: the same key with RS512 is refused.
				{"OtherRSAAlg", bearer(MustSign(t, jwa.RS512(), rsaKey, hasuraClaims(now), nil)), invalidJWT("JWSError JWSInvalidSignature")},
				// Algorithm confusion: HS256 keyed with the public key's PEM.
				{"HS256WithPublicKey", bearer(MustSign(t, jwa.HS256(), []byte(publicPEM(t, &rsaKey.PublicKey)), hasuraClaims(now), nil)),
					invalidJWT("JWSError JWSInvalidSignature")},
				{"AlgNone", bearer(unsignedToken(t, hasuraClaims(now))), invalidJWT("JWSError AlgorithmNotImplemented")},
				{"OtherRSAKey", bearer(MustSign(t, jwa.RS256(), mustRSA(t), hasuraClaims(now), nil)), invalidJWT("JWSError JWSInvalidSignature")},
			}
		}},
		{"X509CertRS512", map[string]any{"type": "RS512", "key": certPEM(t, rsaKey)}, func(t *testing.T) []jwtCase {
			return []jwtCase{{"OK", bearer(MustSign(t, jwa.RS512(), rsaKey, hasuraClaims(now), map[string]any{"kid": "auth0-kid"})), user("42", "user")}}
		}},
		{"ES256", map[string]any{"type": "ES256", "key": publicPEM(t, &ecKey.PublicKey)}, func(t *testing.T) []jwtCase {
			return []jwtCase{{"OK", bearer(MustSign(t, jwa.ES256(), ecKey, hasuraClaims(now), nil)), user("42", "user")}}
		}},
		{"Ed25519", map[string]any{"type": "Ed25519", "key": publicPEM(t, edPriv.Public())}, func(t *testing.T) []jwtCase {
			return []jwtCase{{"OK", bearer(MustSign(t, jwa.EdDSA(), edPriv, hasuraClaims(now), nil)), user("42", "user")}}
		}},
		{"ExpirySkew", map[string]any{"type": "HS256", "key": hsKey, "allowed_skew": 60}, func(t *testing.T) []jwtCase {
			exp := func(d time.Duration) string {
				return MustSign(t, jwa.HS256(), []byte(hsKey), with(hasuraClaims(now), func(m, _ map[string]any) { m["exp"] = now.Add(d).Unix() }), nil)
			}
			nbf := MustSign(t, jwa.HS256(), []byte(hsKey), with(hasuraClaims(now), func(m, _ map[string]any) { m["nbf"] = now.Add(30 * time.Second).Unix() }), nil)
			return []jwtCase{
				{"WithinSkew", bearer(exp(-30 * time.Second)), user("42", "user")},
				{"PastSkew", bearer(exp(-2 * time.Minute)), invalidJWT("JWTExpired")},
				{"NbfWithinSkew", bearer(nbf), user("42", "user")},
			}
		}},
		{"AudienceList", map[string]any{"type": "HS256", "key": hsKey, "audience": []string{"app-1", "app-2"}}, func(t *testing.T) []jwtCase {
			aud := func(a any) string {
				return MustSign(t, jwa.HS256(), []byte(hsKey), with(hasuraClaims(now), func(m, _ map[string]any) { m["aud"] = a }), nil)
			}
			return []jwtCase{
				{"Match", bearer(aud("app-2")), user("42", "user")},
				{"MatchInList", bearer(aud([]string{"x", "app-1"})), user("42", "user")},
				{"NoMatch", bearer(aud("rubbish")), invalidJWT("JWTNotInAudience")},
			}
		}},
		{"Issuer", map[string]any{"type": "HS256", "key": hsKey, "issuer": "https://issuer.example"}, func(t *testing.T) []jwtCase {
			iss := func(i string) string {
				return MustSign(t, jwa.HS256(), []byte(hsKey), with(hasuraClaims(now), func(m, _ map[string]any) { m["iss"] = i }), nil)
			}
			return []jwtCase{
				{"Match", bearer(iss("https://issuer.example")), user("42", "user")},
				{"NoMatch", bearer(iss("rubbish")), invalidJWT("JWTNotInIssuer")},
				// Documented leniency: a token without iss passes.
				{"NoIss", bearer(MustSign(t, jwa.HS256(), []byte(hsKey), hasuraClaims(now), nil)), user("42", "user")},
			}
		}},
		{"Cookie", map[string]any{"type": "HS256", "key": hsKey, "header": map[string]any{"type": "Cookie", "name": "hasura_jwt"}}, func(t *testing.T) []jwtCase {
			tok := MustSign(t, jwa.HS256(), []byte(hsKey), hasuraClaims(now), nil)
			return []jwtCase{
				{"OK", hdr("Cookie", "theme=dark; hasura_jwt="+tok), user("42", "user")},
				{"SecondCookieHeader", hdr("Cookie", "theme=dark", "Cookie", "hasura_jwt="+tok), user("42", "user")},
				{"OtherCookiesOnly", hdr("Cookie", "theme=dark"),
					denied(apierr.InvalidHeaders, 400, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
				{"AuthorizationIgnored", bearer(tok),
					denied(apierr.InvalidHeaders, 400, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
				{"BadToken", hdr("Cookie", "hasura_jwt=abc.def.ghi"), invalidJWT(`JWSError (JSONDecodeError "Not valid base64url")`)},
			}
		}},
		{"CustomHeader", map[string]any{"type": "HS256", "key": hsKey, "header": map[string]any{"type": "CustomHeader", "name": "X-My-JWT"}}, func(t *testing.T) []jwtCase {
			tok := MustSign(t, jwa.HS256(), []byte(hsKey), hasuraClaims(now), nil)
			return []jwtCase{
				{"OK", hdr("X-My-Jwt", tok), user("42", "user")},
				// The raw token only; "Bearer " is refused (#9949).
				{"BearerRefused", hdr("X-My-Jwt", "Bearer "+tok), invalidJWT(`JWSError (JSONDecodeError "Not valid base64url")`)},
			}
		}},
		{"StringifiedNamespacePath", map[string]any{"type": "HS256", "key": hsKey, "claims_format": "stringified_json", "claims_namespace_path": "$.hasura['claims%']"}, func(t *testing.T) []jwtCase {
			sign := func(v any) string {
				return MustSign(t, jwa.HS256(), []byte(hsKey), map[string]any{"exp": now.Add(time.Hour).Unix(), "hasura": map[string]any{"claims%": v}}, nil)
			}
			return []jwtCase{
				{"OK", bearer(sign(`{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user","x-hasura-user-id":"5"}`)), user("5", "user")},
				{"NotString", bearer(sign(map[string]any{})),
					denied(apierr.JWTInvalidClaims, 400, "expecting a string when claims_format is stringified_json")},
				{"BadString", bearer(sign("{")),
					denied(apierr.JWTInvalidClaims, 400, `expecting stringified json at: 'claims_namespace_path $.hasura["claims%"]', but found: {`)},
				{"Missing", bearer(MustSign(t, jwa.HS256(), []byte(hsKey), map[string]any{"hasura": map[string]any{}}, nil)),
					denied(apierr.JWTInvalidClaims, 400, `claims not found at claims_namespace_path: '$.hasura["claims%"]'`)},
			}
		}},
		{"NamespaceRoot", map[string]any{"type": "HS256", "key": hsKey, "claims_namespace_path": "$"}, func(t *testing.T) []jwtCase {
			return []jwtCase{{"OK", bearer(MustSign(t, jwa.HS256(), []byte(hsKey), map[string]any{
				"sub": "1", "x-hasura-allowed-roles": []string{"user"}, "x-hasura-default-role": "user", "x-hasura-user-id": "3"}, nil)), user("3", "user")}}
		}},
		{"ClaimsMap", map[string]any{"type": "HS256", "key": hsKey, "claims_map": map[string]any{
			"x-hasura-allowed-roles": map[string]any{"path": "$.roles"},
			"x-hasura-default-role":  map[string]any{"path": "$.role", "default": "user"},
			"x-hasura-user-id":       map[string]any{"path": "$.sub"},
			"x-hasura-team":          map[string]any{"path": "$.teams[0].name", "default": "none"},
			"x-hasura-org":           "acme",
		}}, func(t *testing.T) []jwtCase {
			sign := func(m map[string]any) string { return MustSign(t, jwa.HS256(), []byte(hsKey), m, nil) }
			return []jwtCase{
				{"Defaults", bearer(sign(map[string]any{"sub": "7", "roles": []string{"user", "editor"}})),
					user("7", "user", "x-hasura-team", "none", "x-hasura-org", "acme")},
				{"Paths", bearer(sign(map[string]any{"sub": "7", "roles": []string{"user", "editor"}, "role": "editor",
					"teams": []any{map[string]any{"name": "red"}}})),
					user("7", "editor", "x-hasura-team", "red", "x-hasura-org", "acme")},
				{"MissingClaim", bearer(sign(map[string]any{"roles": []string{"user"}})),
					denied(apierr.JWTInvalidClaims, 400, "JWT claim from claims_map, x-hasura-user-id not found")},
				{"MissingRoles", bearer(sign(map[string]any{"sub": "7"})),
					denied(apierr.JWTMissingRoleClaims, 400, "JWT claim does not contain x-hasura-allowed-roles")},
				{"RolesNotList", bearer(sign(map[string]any{"sub": "7", "roles": "user"})),
					denied(apierr.JWTInvalidClaims, 400, "invalid x-hasura-allowed-roles; should be a list of roles: parsing [] failed, expected Array, but encountered String")},
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewService(t, auth.Options{JWTSecret: jwtEnv(t, tt.cfg)})
			runJWTCases(t, s, tt.cases(t))
		})
	}
}

// certPEM is a self-signed X.509 certificate for key, the form Auth0
// gives its signing key in.
func certPEM(t testing.TB, key any) string {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "graft-test.auth0.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.(crypto.Signer).Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestService_Authenticate_JWTSecrets(t *testing.T) {
	now := time.Now()
	rsaKey := mustRSA(t)
	otherHS := hsKey + "-other"
	s := NewService(t, auth.Options{JWTSecrets: "[" +
		jwtEnv(t, map[string]any{"type": "HS256", "key": hsKey, "issuer": "https://a.example"}) + "," +
		jwtEnv(t, map[string]any{"type": "RS256", "key": publicPEM(t, &rsaKey.PublicKey), "issuer": "https://b.example"}) + "," +
		jwtEnv(t, map[string]any{"type": "HS256", "key": otherHS, "issuer": "https://c.example", "header": map[string]any{"type": "Cookie", "name": "jwt"}}) +
		"]"})
	iss := func(alg jwa.SignatureAlgorithm, key any, i string) string {
		return MustSign(t, alg, key, with(hasuraClaims(now), func(m, _ map[string]any) {
			if i != "" {
				m["iss"] = i
			}
		}), nil)
	}
	runJWTCases(t, s, []jwtCase{
		{"IssuerA", bearer(iss(jwa.HS256(), []byte(hsKey), "https://a.example")), user("42", "user")},
		{"IssuerB", bearer(iss(jwa.RS256(), rsaKey, "https://b.example")), user("42", "user")},
		{"IssuerCInCookie", hdr("Cookie", "jwt="+iss(jwa.HS256(), []byte(otherHS), "https://c.example")), user("42", "user")},
		{"IssuerAWithBKey", bearer(iss(jwa.RS256(), rsaKey, "https://a.example")), invalidJWT("JWSError JWSInvalidSignature")},
		{"UnknownIssuer", bearer(iss(jwa.HS256(), []byte(hsKey), "https://x.example")), invalidJWT("JWTNotInIssuer")},
		{"NoIssuerIsAmbiguous", bearer(iss(jwa.HS256(), []byte(hsKey), "")),
			denied(apierr.InvalidHeaders, 400, "Could not verify JWT: Multiple JWTs found")},
		{"TwoLocations", hdr("Authorization", "Bearer "+iss(jwa.HS256(), []byte(hsKey), "https://a.example"),
			"Cookie", "jwt="+iss(jwa.HS256(), []byte(otherHS), "https://c.example")),
			denied(apierr.InvalidHeaders, 400, "Could not verify JWT: Multiple JWTs found")},
		{"None", hdr(), denied(apierr.InvalidHeaders, 400, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")},
	})
}

// TestService_Authenticate_TokenCache checks that a cached token still
// expires, and that concurrent use is safe (run with -race).
func TestService_Authenticate_TokenCache(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	s := NewService(t, auth.Options{JWTSecret: jwtEnv(t, map[string]any{"type": "HS256", "key": hsKey}), Now: clock})
	claims := hasuraClaims(now)
	claims["exp"] = now.Add(time.Minute).Unix()
	tok := MustSign(t, jwa.HS256(), []byte(hsKey), claims, nil)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := s.Authenticate(context.Background(), bearer(tok)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()

	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	got := outcomeOf(s.Authenticate(context.Background(), bearer(tok)))
	if diff := cmp.Diff(invalidJWT("JWTExpired"), got); diff != "" {
		t.Errorf("cached token after exp (-want +got):\n%s", diff)
	}
}
