package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
)

func TestAdminSecret_Authenticate(t *testing.T) {
	two := &auth.AdminSecret{Secrets: []auth.Secret{"old-secret", "new-secret"}}
	anon := &auth.AdminSecret{Secrets: []auth.Secret{"s"}, UnauthorizedRole: "anonymous"}
	open := &auth.AdminSecret{}
	tests := []struct {
		name string
		a    *auth.AdminSecret
		h    map[string]string
		want outcome
	}{
		{"FirstSecret", two, map[string]string{"X-Hasura-Admin-Secret": "old-secret"}, outcome{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}},
		{"SecondSecret", two, map[string]string{"X-Hasura-Admin-Secret": "new-secret"}, outcome{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}},
		{"AccessKey", two, map[string]string{"X-Hasura-Access-Key": "new-secret"}, outcome{Role: "admin", Vars: map[string]string{"x-hasura-role": "admin"}}},
		{"Impersonate", two, map[string]string{"X-Hasura-Admin-Secret": "new-secret", "X-Hasura-Role": "user", "X-Hasura-User-Id": "3"}, user("3", "user")},
		{"Prefix", two, map[string]string{"X-Hasura-Admin-Secret": "new"}, denied(apierr.AccessDenied, 401, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{"Empty", two, map[string]string{"X-Hasura-Admin-Secret": ""}, denied(apierr.AccessDenied, 401, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{"Missing", two, nil, denied(apierr.AccessDenied, 401, "x-hasura-admin-secret/x-hasura-access-key required, but not found")},
		{"UnauthorizedRole", anon, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "3"}, user("3", "anonymous")},
		// Bad credentials are never downgraded to the unauthorized role.
		{"BadSecretNotAnonymous", anon, map[string]string{"X-Hasura-Admin-Secret": "x"}, denied(apierr.AccessDenied, 401, "invalid x-hasura-admin-secret/x-hasura-access-key")},
		{"NoSecretConfigured", open, map[string]string{"X-Hasura-Role": "user", "X-Hasura-User-Id": "3"}, user("3", "user")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hdr()
			for k, v := range tt.h {
				h.Set(k, v)
			}
			got := outcomeOf(tt.a.Authenticate(context.Background(), h))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Authenticate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJWTConfig(t *testing.T) {
	rsaPEM := publicPEM(t, &mustRSA(t).PublicKey)
	ecPEM := publicPEM(t, &mustEC(t).PublicKey)
	tests := []struct {
		name string
		cfg  string
		want string // error; "" for none
	}{
		{"HS256", `{"type":"HS256","key":"` + hsKey + `"}`, ""},
		{"NotObject", `"HS256"`, "expected a JSON object"},
		{"NoKeyNoURL", `{"type":"HS256"}`, "key and jwk_url both cannot be empty"},
		{"KeyAndURL", `{"type":"HS256","key":"` + hsKey + `","jwk_url":"https://x/jwks"}`, "key, jwk_url both cannot be present"},
		{"ShortHS256", `{"type":"HS256","key":"short"}`, "Invalid JWK: Key size too small; should be atleast 32 characters"},
		{"ShortHS512", `{"type":"HS512","key":"` + hsKey + `"}`, "Invalid JWK: Key size too small; should be atleast 64 characters"},
		{"UnknownType", `{"type":"PS256","key":"x"}`, "Invalid JWK: Key type: PS256 is not supported"},
		{"NoType", `{"key":"` + hsKey + `"}`, `key "type" not found`},
		{"NotPEM", `{"type":"RS256","key":"not a key"}`, "Invalid JWK: could not parse the RS256 key"},
		{"RSAKeyForES256", jsonCfg(t, map[string]any{"type": "ES256", "key": rsaPEM}), "Invalid JWK: the key (RSA) cannot verify ES256 tokens"},
		{"ECKeyForES384", jsonCfg(t, map[string]any{"type": "ES384", "key": ecPEM}), "Invalid JWK: the key (EC P-256) cannot verify ES384 tokens"},
		{"RS256", jsonCfg(t, map[string]any{"type": "RS256", "key": rsaPEM}), ""},
		{"JWKURL", `{"jwk_url":"https://example.com/.well-known/jwks.json"}`, ""},
		{"JWKURLNotHTTP", `{"jwk_url":"file:///etc/passwd"}`, `jwk_url: "file:///etc/passwd" is not an http(s) URL`},
		{"BothNamespaces", `{"jwk_url":"https://x/j","claims_namespace":"a","claims_namespace_path":"$.a"}`, "claims_namespace and claims_namespace_path both cannot be set"},
		{"BadNamespacePath", `{"jwk_url":"https://x/j","claims_namespace_path":"$.a b"}`, "invalid JSON path claims_namespace_path error: $.a b. Accept letters"},
		{"BadFormat", `{"jwk_url":"https://x/j","claims_format":"xml"}`, `claims_format: expected "json" or "stringified_json", got "xml"`},
		{"Audience", `{"jwk_url":"https://x/j","audience":["a","b"]}`, ""},
		{"BadAudience", `{"jwk_url":"https://x/j","audience":1}`, "audience: expected a string or a list of strings"},
		{"BadSkew", `{"jwk_url":"https://x/j","allowed_skew":"60"}`, "allowed_skew: expected a non-negative number of seconds"},
		{"CookieWithoutName", `{"jwk_url":"https://x/j","header":{"type":"Cookie"}}`, `header: key "name" not found`},
		{"BadHeaderType", `{"jwk_url":"https://x/j","header":{"type":"Query"}}`, "header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'"},
		{"HeaderTypeAnyCase", `{"jwk_url":"https://x/j","header":{"type":"customheader","name":"X-T"}}`, ""},
		{"ClaimsMapWithoutRoles", `{"jwk_url":"https://x/j","claims_map":{"x-hasura-default-role":"user"}}`, "claims_map: x-hasura-allowed-roles is expected but not found"},
		{"ClaimsMapBadPath", `{"jwk_url":"https://x/j","claims_map":{"x-hasura-allowed-roles":{"path":"$["},"x-hasura-default-role":"user"}}`, "claims_map: x-hasura-allowed-roles: $["},
		{"ClaimsMapStaticRoles", `{"jwk_url":"https://x/j","claims_map":{"x-hasura-allowed-roles":["user"],"x-hasura-default-role":"user"}}`, ""},
		{"ClaimsMapRolesNotList", `{"jwk_url":"https://x/j","claims_map":{"x-hasura-allowed-roles":"user","x-hasura-default-role":"user"}}`, "claims_map: x-hasura-allowed-roles: expected a list of role names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := auth.ParseJWTConfig([]byte(tt.cfg))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ParseJWTConfig: %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("ParseJWTConfig error = %v, want prefix %q", err, tt.want)
			}
		})
	}
	t.Run("UnknownKeyWarns", func(t *testing.T) {
		_, warnings, err := auth.ParseJWTConfig([]byte(`{"jwk_url":"https://x/j","claims_namspace":"typo"}`))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{`unknown key "claims_namspace" ignored`}, warnings); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
	})
}

func TestNew_Errors(t *testing.T) {
	tests := []struct {
		name string
		o    auth.Options
		want string
	}{
		{"JWTSecret", auth.Options{JWTSecret: `{"type":"HS256","key":"k"}`}, "HASURA_GRAPHQL_JWT_SECRET: Invalid JWK: Key size too small"},
		{"JWTSecrets", auth.Options{JWTSecrets: `[{"jwk_url":"https://x/j"},{"type":"HS256"}]`}, "HASURA_GRAPHQL_JWT_SECRETS: [1]: key and jwk_url both cannot be empty"},
		{"JWTSecretsNotList", auth.Options{JWTSecrets: `{}`}, "HASURA_GRAPHQL_JWT_SECRETS: expected a JSON list of objects"},
		{"HookMode", auth.Options{AuthHook: "http://h", AuthHookMode: "PUT"}, `HASURA_GRAPHQL_AUTH_HOOK_MODE: "PUT" is not GET or POST`},
		{"HookURL", auth.Options{AuthHook: "http://bad host/"}, "HASURA_GRAPHQL_AUTH_HOOK: "},
		{"HookAndJWT", auth.Options{AuthHook: "http://h", JWTSecret: `{"jwk_url":"https://x/j"}`}, "Fatal Error: Both webhook and JWT mode cannot be enabled at the same time"},
	}
	withoutSecret := []struct {
		name string
		o    auth.Options
		want string
	}{
		{"JWTWithoutSecret", auth.Options{JWTSecret: `{"jwk_url":"https://x/j"}`},
			"Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set"},
		{"HookWithoutSecret", auth.Options{AuthHook: "http://h"},
			"Fatal Error : --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) requires --admin-secret"},
		{"UnauthorizedRoleWithoutSecret", auth.Options{UnauthorizedRole: "anonymous"},
			"Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) requires --admin-secret"},
	}
	for _, tt := range withoutSecret {
		t.Run(tt.name, func(t *testing.T) {
			s, err := auth.New(context.Background(), tt.o)
			if err == nil {
				s.Close()
				t.Fatalf("New succeeded, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New error = %q, want prefix %q", err, tt.want)
			}
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.AdminSecrets = []auth.Secret{"s"}
			s, err := auth.New(context.Background(), tt.o)
			if err == nil {
				s.Close()
				t.Fatalf("New succeeded, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("New error = %q, want prefix %q", err, tt.want)
			}
		})
	}
}

func jsonCfg(t testing.TB, m map[string]any) string { return jwtEnv(t, m) }
