package signin

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"

	"github.com/graftql/graft/internal/auth"
)

// defaultIssuer is the iss of Nhost Auth's tokens.
const defaultIssuer = "hasura-auth"

// signer signs and verifies the access tokens (signin.md §10). It is
// immutable. Its key never appears in logs.
type signer struct {
	alg       jwa.SignatureAlgorithm
	algName   string // "RS256"
	kid       string // "" puts no kid in the header (HMAC without a configured kid)
	private   any    // *rsa.PrivateKey, or []byte for HMAC
	public    any    // *rsa.PublicKey, or []byte for HMAC
	issuer    string
	namespace string
	// generated is true for the key graft made and keeps in auth.graft_keys,
	// which the engine must be told to trust.
	generated bool
	// jwks is the body of /.well-known/jwks.json.
	jwks []byte
}

// LogValue is part of the slog.LogValuer interface.
func (*signer) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// jwtSecret is the part of HASURA_GRAPHQL_JWT_SECRET the service reads.
type jwtSecret struct {
	Type                string          `json:"type"`
	Key                 string          `json:"key"`
	SigningKey          string          `json:"signing_key"`
	KID                 string          `json:"kid"`
	JWKURL              string          `json:"jwk_url"`
	ClaimsNamespace     string          `json:"claims_namespace"`
	ClaimsNamespacePath string          `json:"claims_namespace_path"`
	ClaimsFormat        string          `json:"claims_format"`
	ClaimsMap           json.RawMessage `json:"claims_map"`
	Issuer              string          `json:"issuer"`
}

// newSigner builds the signer from HASURA_GRAPHQL_JWT_SECRET, or from the
// key kept in the database (made on the first start) when it is empty.
func newSigner(ctx context.Context, pool *pgxpool.Pool, secret string) (*signer, error) {
	if secret == "" {
		return generatedSigner(ctx, pool)
	}
	const setting = "HASURA_GRAPHQL_JWT_SECRET"
	var js jwtSecret
	if err := json.Unmarshal([]byte(secret), &js); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object: %w", setting, err)
	}
	switch {
	case js.JWKURL != "":
		return nil, fmt.Errorf("%s: jwk_url cannot sign; the sign-in service needs a key (HS* key, or RS* key with signing_key), or no secret at all", setting)
	case js.ClaimsNamespacePath != "", len(js.ClaimsMap) > 0 && string(js.ClaimsMap) != "null":
		return nil, fmt.Errorf("%s: claims_namespace_path and claims_map are not supported with the sign-in service", setting)
	case js.ClaimsFormat != "" && js.ClaimsFormat != "json":
		return nil, fmt.Errorf("%s: claims_format %q is not supported with the sign-in service", setting, js.ClaimsFormat)
	}
	s := &signer{algName: js.Type, kid: js.KID, issuer: js.Issuer, namespace: js.ClaimsNamespace}
	if s.issuer == "" {
		s.issuer = defaultIssuer
	}
	if s.namespace == "" {
		s.namespace = auth.DefaultClaimsNamespace
	}
	switch js.Type {
	case "HS256", "HS384", "HS512":
		if len(js.Key) < 32 {
			return nil, fmt.Errorf("%s: the %s key must be at least 32 bytes long", setting, js.Type)
		}
		s.alg, _ = jwa.LookupSignatureAlgorithm(js.Type)
		s.private, s.public = []byte(js.Key), []byte(js.Key)
		s.jwks = []byte(`{"keys":[]}`)
		return s, nil
	case "RS256", "RS384", "RS512":
		if js.SigningKey == "" {
			return nil, fmt.Errorf("%s: %s needs signing_key, the private key (PEM) the sign-in service signs with, as Nhost Auth does", setting, js.Type)
		}
		s.alg, _ = jwa.LookupSignatureAlgorithm(js.Type)
		pub, err := parsePublicRSA(js.Key)
		if err != nil {
			return nil, fmt.Errorf("%s: key: %w", setting, err)
		}
		priv, err := parsePrivateRSA(js.SigningKey)
		if err != nil {
			return nil, fmt.Errorf("%s: signing_key: %w", setting, err)
		}
		if !priv.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("%s: signing_key does not match key", setting)
		}
		s.private, s.public = priv, pub
		if err := s.buildJWKS(); err != nil {
			return nil, fmt.Errorf("%s: %w", setting, err)
		}
		return s, nil
	}
	return nil, fmt.Errorf("%s: type %q is not supported with the sign-in service (HS256, HS384, HS512, RS256, RS384, RS512)", setting, js.Type)
}

// generatedSigner loads the RS256 key kept in auth.graft_keys, making it
// on the first start (Note [generated key]).
func generatedSigner(ctx context.Context, pool *pgxpool.Pool) (*signer, error) {
	row, err := loadKey(ctx, pool, "jwt", func() (keyRow, error) {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return keyRow{}, err
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return keyRow{}, err
		}
		kid, err := thumbprint(&k.PublicKey)
		if err != nil {
			return keyRow{}, err
		}
		return keyRow{kid: kid, alg: "RS256", secret: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}, nil
	})
	if err != nil {
		return nil, err
	}
	if row.alg != "RS256" {
		return nil, fmt.Errorf("auth.graft_keys: key \"jwt\" has algorithm %q, want RS256", row.alg)
	}
	priv, err := parsePrivateRSA(row.secret)
	if err != nil {
		return nil, fmt.Errorf("auth.graft_keys: key \"jwt\": %w", err)
	}
	s := &signer{alg: jwa.RS256(), algName: "RS256", kid: row.kid, private: priv, public: &priv.PublicKey,
		issuer: defaultIssuer, namespace: auth.DefaultClaimsNamespace, generated: true}
	if err := s.buildJWKS(); err != nil {
		return nil, err
	}
	return s, nil
}

// Note [generated key]
//
// With no HASURA_GRAPHQL_JWT_SECRET the service signs with a 2048-bit RSA
// key it makes on the first start and keeps in auth.graft_keys (name
// "jwt"). Several grafts starting at once race harmlessly: each inserts
// with ON CONFLICT DO NOTHING and all read back the row that won. The
// engine trusts the public half through auth.Options.LocalKeys, as if it
// were published at a jwk_url, and /.well-known/jwks.json serves it. The
// private half is read only here; it is never served, logged or tracked in
// GraphQL. Deleting the row and restarting rotates the key: access tokens
// die, refresh tokens live on.

// buildJWKS renders the public key as a JWK set; the kid is the configured
// one, else the RFC 7638 thumbprint, and every token carries it.
func (s *signer) buildJWKS() error {
	pub, ok := s.public.(*rsa.PublicKey)
	if !ok {
		s.jwks = []byte(`{"keys":[]}`)
		return nil
	}
	if s.kid == "" {
		kid, err := thumbprint(pub)
		if err != nil {
			return err
		}
		s.kid = kid
	}
	k, err := jwk.Import(pub)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	for name, v := range map[string]any{jwk.KeyIDKey: s.kid, jwk.AlgorithmKey: s.alg, jwk.KeyUsageKey: "sig"} {
		if err := k.Set(name, v); err != nil {
			return fmt.Errorf("jwks: %w", err)
		}
	}
	raw, err := json.Marshal(k)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	s.jwks = []byte(`{"keys":[` + string(raw) + `]}`)
	return nil
}

// localKeys are what the engine must trust: the generated key only.
func (s *signer) localKeys() []auth.LocalKey {
	if !s.generated {
		return nil
	}
	return []auth.LocalKey{{Alg: s.algName, KeyID: s.kid, Key: s.public, Issuer: s.issuer}}
}

func thumbprint(pub *rsa.PublicKey) (string, error) {
	k, err := jwk.Import(pub)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

func parsePublicRSA(s string) (*rsa.PublicKey, error) {
	k, err := jwk.ParseKey([]byte(s), jwk.WithPEM(true))
	if err != nil {
		return nil, fmt.Errorf("not a PEM public key or certificate: %w", err)
	}
	if pk, err := k.PublicKey(); err == nil {
		k = pk
	}
	var raw any
	if err := jwk.Export(k, &raw); err != nil {
		return nil, err
	}
	pub, ok := raw.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return pub, nil
}

func parsePrivateRSA(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(s)))
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#1 or PKCS#8 private key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA private key")
	}
	return rk, nil
}

// refreshKey is the 32-byte key of successor() (signin.md §8.1), kept in
// auth.graft_keys as "refresh".
type refreshKey []byte

// LogValue is part of the slog.LogValuer interface.
func (refreshKey) LogValue() slog.Value { return slog.StringValue("[redacted]") }

func loadRefreshKey(ctx context.Context, pool *pgxpool.Pool) (refreshKey, error) {
	row, err := loadKey(ctx, pool, "refresh", func() (keyRow, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return keyRow{}, err
		}
		return keyRow{kid: "refresh", alg: "HS256", secret: base64.StdEncoding.EncodeToString(b)}, nil
	})
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(row.secret)
	if err != nil || len(b) < 32 {
		return nil, errors.New("auth.graft_keys: key \"refresh\" is not 32 bytes of base64")
	}
	return refreshKey(b), nil
}

type keyRow struct{ kid, alg, secret string }

// loadKey reads the key called name, making it with gen when missing.
func loadKey(ctx context.Context, pool *pgxpool.Pool, name string, gen func() (keyRow, error)) (keyRow, error) {
	var r keyRow
	read := func() error {
		return pool.QueryRow(ctx, "SELECT kid, alg, secret FROM auth.graft_keys WHERE name = $1", name).Scan(&r.kid, &r.alg, &r.secret)
	}
	err := read()
	if err == nil {
		return r, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return r, fmt.Errorf("read key %q: %w", name, err)
	}
	n, err := gen()
	if err != nil {
		return r, fmt.Errorf("generate key %q: %w", name, err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO auth.graft_keys (name, kid, alg, secret) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING",
		name, n.kid, n.alg, n.secret); err != nil {
		return r, fmt.Errorf("store key %q: %w", name, err)
	}
	if err := read(); err != nil {
		return r, fmt.Errorf("read key %q: %w", name, err)
	}
	return r, nil
}
