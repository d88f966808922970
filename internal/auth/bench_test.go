package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/graftql/graft/internal/auth"
)

// BenchmarkService_Authenticate compares the admin secret with JWTs, with
// and without the token cache (Note [token cache]).
func BenchmarkService_Authenticate(b *testing.B) {
	rsaKey := mustRSA(b)
	hsCfg := jwtEnv(b, map[string]any{"type": "HS256", "key": hsKey})
	rsCfg := jwtEnv(b, map[string]any{"type": "RS256", "key": publicPEM(b, &rsaKey.PublicKey)})
	now := time.Now()
	hsTok := MustSign(b, jwa.HS256(), []byte(hsKey), hasuraClaims(now), nil)
	rsTok := MustSign(b, jwa.RS256(), rsaKey, hasuraClaims(now), nil)
	benches := []struct {
		name      string
		cfg       string
		cacheSize int
		h         func() map[string]string
	}{
		{"AdminSecret", hsCfg, 0, func() map[string]string { return map[string]string{"X-Hasura-Admin-Secret": "s3cret"} }},
		{"HS256", hsCfg, 0, func() map[string]string { return map[string]string{"Authorization": "Bearer " + hsTok} }},
		{"HS256Uncached", hsCfg, -1, func() map[string]string { return map[string]string{"Authorization": "Bearer " + hsTok} }},
		{"RS256", rsCfg, 0, func() map[string]string { return map[string]string{"Authorization": "Bearer " + rsTok} }},
		{"RS256Uncached", rsCfg, -1, func() map[string]string { return map[string]string{"Authorization": "Bearer " + rsTok} }},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			s := NewService(b, auth.Options{JWTSecret: bb.cfg, TokenCacheSize: bb.cacheSize})
			h := hdr()
			for k, v := range bb.h() {
				h.Set(k, v)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Authenticate(ctx, h); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
