package auth

import (
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwa"
)

// LocalKey is a public key that JWT authentication trusts without any
// HASURA_GRAPHQL_JWT_SECRET: the generated signing key of graft's own
// sign-in service (signin.md §10.2). Tokens are verified as if the key had
// been published at a jwk_url: located in the Authorization header, matched
// by kid, with Hasura's claims under [DefaultClaimsNamespace].
type LocalKey struct {
	// Alg is the signing algorithm, such as "RS256"; tokens signed with any
	// other algorithm are refused.
	Alg string
	// KeyID is the key's kid; a token naming another kid is refused.
	// Empty matches any kid.
	KeyID string
	// Key is the public key (*rsa.PublicKey, *ecdsa.PublicKey or
	// ed25519.PublicKey).
	Key crypto.PublicKey
	// Issuer is the iss the tokens carry; a token with another iss is
	// refused. Empty means no check.
	Issuer string
}

// localConfig builds the JWT config that verifies tokens signed with keys
// (all with the same algorithm and issuer).
func localConfig(keys []LocalKey) (*JWTConfig, *keySet, error) {
	first := keys[0]
	alg, ok := jwtTypes[first.Alg]
	if !ok || strings.HasPrefix(first.Alg, "HS") {
		return nil, nil, fmt.Errorf("local key: unsupported algorithm %q", first.Alg)
	}
	c := &JWTConfig{Type: first.Alg, ClaimsNamespace: DefaultClaimsNamespace, Header: "Authorization",
		Issuer: first.Issuer, alg: alg, hasAlg: true}
	ks := &keySet{}
	for _, k := range keys {
		if k.Alg != first.Alg || k.Issuer != first.Issuer {
			return nil, nil, errors.New("local keys: all must have the same algorithm and issuer")
		}
		if !keyFitsAlg(k.Key, alg) {
			return nil, nil, fmt.Errorf("local key %q: the key (%s) cannot verify %s tokens", k.KeyID, keyKind(k.Key), k.Alg)
		}
		ks.keys = append(ks.keys, verifyKey{kid: k.KeyID, algs: []jwa.SignatureAlgorithm{alg}, key: k.Key})
	}
	return c, ks, nil
}
