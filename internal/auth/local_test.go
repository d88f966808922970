package auth_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
)

func TestService_LocalKeys(t *testing.T) {
	t.Parallel()
	key, other := mustRSA(t), mustRSA(t)
	now := time.Now()
	s := NewService(t, auth.Options{LocalKeys: []auth.LocalKey{{Alg: "RS256", KeyID: "k1", Key: &key.PublicKey, Issuer: "hasura-auth"}}})
	claims := func(iss string) map[string]any {
		c := hasuraClaims(now)
		if iss != "" {
			c["iss"] = iss
		}
		return c
	}
	user := outcome{Role: "user", Vars: map[string]string{"x-hasura-role": "user", "x-hasura-user-id": "42"}}
	tests := []struct {
		name  string
		token string
		want  outcome
	}{
		{"OK", MustSign(t, jwa.RS256(), key, claims("hasura-auth"), map[string]any{"kid": "k1"}), user},
		{"NoKid", MustSign(t, jwa.RS256(), key, claims("hasura-auth"), nil), user},
		{"OtherKid", MustSign(t, jwa.RS256(), key, claims("hasura-auth"), map[string]any{"kid": "k2"}), invalidJWT("JWSError NoUsableKeys")},
		{"OtherKey", MustSign(t, jwa.RS256(), other, claims("hasura-auth"), map[string]any{"kid": "k1"}), invalidJWT("JWSError JWSInvalidSignature")},
		{"OtherIssuer", MustSign(t, jwa.RS256(), key, claims("someone"), map[string]any{"kid": "k1"}), invalidJWT("JWTNotInIssuer")},
		{"HS256", MustSign(t, jwa.HS256(), []byte(hsKey), claims("hasura-auth"), map[string]any{"kid": "k1"}), invalidJWT("JWSError JWSInvalidSignature")},
		{"None", unsignedToken(t, claims("hasura-auth")), invalidJWT("JWSError AlgorithmNotImplemented")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := outcomeOf(s.Authenticate(context.Background(), bearer(tt.token)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Authenticate (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("NoToken", func(t *testing.T) {
		t.Parallel()
		got := outcomeOf(s.Authenticate(context.Background(), hdr()))
		if diff := cmp.Diff(denied(apierr.InvalidHeaders, 400, auth.ErrMissingToken.Message), got); diff != "" {
			t.Errorf("Authenticate (-want +got):\n%s", diff)
		}
	})
	t.Run("AdminSecretWins", func(t *testing.T) {
		t.Parallel()
		got := outcomeOf(s.Authenticate(context.Background(), hdr("X-Hasura-Admin-Secret", "s3cret")))
		if got.Role != "admin" {
			t.Errorf("role = %q, want admin", got.Role)
		}
	})
}

func TestNew_LocalKeys(t *testing.T) {
	t.Parallel()
	key := mustRSA(t)
	local := []auth.LocalKey{{Alg: "RS256", KeyID: "k1", Key: &key.PublicKey}}
	tests := []struct {
		name string
		o    auth.Options
		want string
	}{
		{"NeedsAdminSecret", auth.Options{LocalKeys: local},
			"GRAFT_AUTH_ENABLED: the sign-in service's tokens need HASURA_GRAPHQL_ADMIN_SECRET, as JWT does"},
		{"NotWithHook", auth.Options{LocalKeys: local, AdminSecrets: []auth.Secret{"s"}, AuthHook: "http://h"},
			"GRAFT_AUTH_ENABLED: the sign-in service's tokens cannot be trusted together with HASURA_GRAPHQL_AUTH_HOOK"},
		{"WrongKeyType", auth.Options{AdminSecrets: []auth.Secret{"s"}, LocalKeys: []auth.LocalKey{{Alg: "ES256", Key: &key.PublicKey}}},
			`local key "": the key (RSA) cannot verify ES256 tokens`},
		{"HMAC", auth.Options{AdminSecrets: []auth.Secret{"s"}, LocalKeys: []auth.LocalKey{{Alg: "HS256", Key: []byte(hsKey)}}},
			`local key: unsupported algorithm "HS256"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.o.Logger = slog.New(slog.DiscardHandler)
			s, err := auth.New(context.Background(), tt.o)
			if err == nil {
				s.Close()
				t.Fatalf("New succeeded, want %q", tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("New error (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("JWTSecretWins", func(t *testing.T) {
		t.Parallel()
		s := NewService(t, auth.Options{JWTSecret: `{"type":"HS256","key":"` + hsKey + `"}`, LocalKeys: local})
		tok := MustSign(t, jwa.RS256(), key, hasuraClaims(time.Now()), map[string]any{"kid": "k1"})
		if _, err := s.Authenticate(context.Background(), bearer(tok)); err == nil {
			t.Error("a token signed with the local key passed although HASURA_GRAPHQL_JWT_SECRET is set")
		}
	})
}
