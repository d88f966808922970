package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/session"
)

// MaxTokenSize is the largest token graft verifies, in bytes: a JWT in a
// header is far smaller, and a bound keeps decoding cheap for forged input.
const MaxTokenSize = 8 << 10

// invalidJWT is Hasura's invalid-jwt error; detail is the text of jose's
// JWTError as Hasura shows it (Auth/JWT.hs: "Could not verify JWT: " <>
// tshow e).
func invalidJWT(detail string) error {
	return apierr.New(apierr.InvalidJWT, "Could not verify JWT: %s", detail)
}

// The jose error texts graft reports for each rejection.
const (
	joseExpired          = "JWTExpired"
	joseNotYetValid      = "JWTNotYetValid"
	joseIssuedAtFuture   = "JWTIssuedAtFuture"
	joseNotInAudience    = "JWTNotInAudience"
	joseNotInIssuer      = "JWTNotInIssuer"
	joseInvalidSignature = "JWSError JWSInvalidSignature"
	joseNoUsableKeys     = "JWSError NoUsableKeys"
	joseAlgNotAllowed    = "JWSError AlgorithmNotImplemented"
	joseBadBase64        = `JWSError (JSONDecodeError "Not valid base64url")`
)

// jwtVerifier verifies the tokens of one JWT config.
type jwtVerifier struct {
	cfg   *JWTConfig
	keys  keySource
	cache *tokenCache
	now   func() time.Time
}

// jwtMode authenticates requests that carry no admin secret when JWT is
// configured (Auth/JWT.hs, processJwt_).
type jwtMode struct {
	verifiers        []*jwtVerifier
	unauthorizedRole string
}

// candidate is a token found where a config expects one.
type candidate struct {
	v     *jwtVerifier
	token string
	auth  bool // from Authorization: still "Bearer <token>"
}

func (m *jwtMode) authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	cands := m.locate(h)
	// Hasura matches issuers before verifying anything: a config with an
	// issuer takes only tokens with that iss or none (JWT_SECRETS, §3.4).
	var matched []candidate
	mismatched := false
	for _, c := range cands {
		if c.auth {
			f := strings.Fields(c.token)
			if len(f) != 2 || f[0] != "Bearer" {
				return nil, ErrMalformedAuthorization
			}
			c.token = f[1]
		}
		if len(cands) == 1 && c.v.cfg.Issuer == "" {
			matched = append(matched, c)
			continue
		}
		if iss, ok := c.v.unverifiedIssuer(c.token); ok && c.v.cfg.Issuer != "" && iss != c.v.cfg.Issuer {
			mismatched = true
			continue
		}
		matched = append(matched, c)
	}
	switch {
	case len(matched) == 0 && mismatched:
		return nil, invalidJWT(joseNotInIssuer)
	case len(matched) == 0:
		if m.unauthorizedRole == "" {
			return nil, ErrMissingToken
		}
		return session.New(m.unauthorizedRole, session.VarsFromHeaders(h)), nil
	case len(matched) > 1:
		return nil, ErrMultipleJWTs
	}
	id, err := matched[0].v.verify(ctx, matched[0].token)
	if err != nil {
		return nil, err
	}
	role := id.defaultRole
	if r := h.Get(session.HeaderRole); r != "" {
		role = r
	}
	if !slices.Contains(id.allowedRoles, role) {
		return nil, ErrRoleNotAllowed
	}
	s := session.New(role, id.vars)
	s.Expires = id.expires
	return s, nil
}

// locate finds the tokens each config expects: the Authorization header,
// the named cookie, or the named header.
func (m *jwtMode) locate(h http.Header) []candidate {
	var out []candidate
	var cookies []*http.Cookie
	cookiesParsed := false
	for _, v := range m.verifiers {
		switch v.cfg.Header {
		case "Authorization":
			for _, val := range h.Values("Authorization") {
				out = append(out, candidate{v: v, token: val, auth: true})
			}
		case "Cookie":
			if !cookiesParsed {
				if vals := h.Values("Cookie"); len(vals) > 0 {
					cookies = (&http.Request{Header: http.Header{"Cookie": vals}}).Cookies()
				}
				cookiesParsed = true
			}
			for _, c := range cookies {
				if c.Name == v.cfg.HeaderName {
					out = append(out, candidate{v: v, token: c.Value})
				}
			}
		case "CustomHeader":
			for _, val := range h.Values(v.cfg.HeaderName) {
				out = append(out, candidate{v: v, token: val})
			}
		}
	}
	return out
}

// unverifiedIssuer reads a token's iss without verifying it (Hasura's
// tokenIssuer); ok is false when the token has none or cannot be decoded.
func (v *jwtVerifier) unverifiedIssuer(token string) (string, bool) {
	if id, ok := v.cache.get(token, v.keys.current().gen, v.now()); ok {
		return id.issuer, id.issuer != ""
	}
	if len(token) > MaxTokenSize {
		return "", false
	}
	msg, err := jws.ParseString(token, jws.WithCompact())
	if err != nil {
		return "", false
	}
	var c struct {
		Iss *string `json:"iss"`
	}
	if err := json.Unmarshal(msg.Payload(), &c); err != nil || c.Iss == nil {
		return "", false
	}
	return *c.Iss, true
}

// verify checks token and returns the identity it grants, from the cache
// when it was verified before (Note [token cache]).
func (v *jwtVerifier) verify(ctx context.Context, token string) (*identity, error) {
	now := v.now()
	ks := v.keys.current()
	if id, ok := v.cache.get(token, ks.gen, now); ok {
		return id, nil
	}
	id, miss, err := v.verifyWith(ks, token, now)
	if miss {
		if fresh := v.keys.refresh(ctx, ks); fresh != nil {
			ks, now = fresh, v.now()
			id, _, err = v.verifyWith(ks, token, now)
		}
	}
	if err != nil {
		return nil, err
	}
	e := cacheEntry{id: id, gen: ks.gen}
	if !id.expires.IsZero() {
		e.until = id.expires.Add(v.cfg.AllowedSkew)
	}
	v.cache.put(token, e, now)
	return id, nil
}

// verifyWith verifies token with the keys of ks at time now. miss is true
// when the keys lack the token's kid (or are not loaded yet).
func (v *jwtVerifier) verifyWith(ks *keySet, token string, now time.Time) (_ *identity, miss bool, _ error) {
	if len(token) > MaxTokenSize {
		return nil, false, invalidJWT("JWSError (CompactDecodeError token is larger than 8192 bytes)")
	}
	msg, err := jws.ParseString(token, jws.WithCompact())
	if err != nil {
		return nil, false, decodeError(token)
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return nil, false, invalidJWT(joseInvalidSignature)
	}
	hdr := sigs[0].ProtectedHeaders()
	alg, ok := hdr.Algorithm()
	if !ok || alg == jwa.NoSignature() {
		// alg "none" is never accepted, whatever the keys.
		return nil, false, invalidJWT(joseAlgNotAllowed)
	}
	kid, _ := hdr.KeyID()
	if len(ks.keys) == 0 {
		return nil, true, invalidJWT(joseNoUsableKeys)
	}
	keys, kidKnown := ks.candidates(alg, kid)
	if !kidKnown {
		return nil, true, invalidJWT(joseNoUsableKeys)
	}
	if len(keys) == 0 {
		// The token's alg is not one the keys are pinned to: HS256 signed
		// with an RSA public key, or any other algorithm confusion.
		return nil, false, invalidJWT(joseInvalidSignature)
	}
	// Only the configured keys are offered: a token's jku, x5u, x5c or jwk
	// header is never used (Note [JWKS refresh]).
	provider := jws.KeyProviderFunc(func(_ context.Context, sink jws.KeySink, _ *jws.Signature, _ *jws.Message) error {
		for _, k := range keys {
			sink.Key(alg, k.key)
		}
		return nil
	})
	tok, err := jwt.ParseString(token,
		jwt.WithKeyProvider(provider),
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(v.cfg.AllowedSkew),
		jwt.WithClock(jwt.ClockFunc(func() time.Time { return now })),
	)
	if err != nil {
		return nil, false, verifyError(err)
	}
	iss, _ := tok.Issuer()
	if v.cfg.Issuer != "" && iss != "" && iss != v.cfg.Issuer {
		return nil, false, invalidJWT(joseNotInIssuer)
	}
	// As jose does, a token without aud passes the audience check.
	if aud, ok := tok.Audience(); ok && len(v.cfg.Audience) > 0 && len(aud) > 0 &&
		!slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(v.cfg.Audience, a) }) {
		return nil, false, invalidJWT(joseNotInAudience)
	}
	var claims map[string]any
	if err := decodeJSON(msg.Payload(), &claims); err != nil || claims == nil {
		return nil, false, invalidJWT(`JWTClaimsSetDecodeError "expected a JSON object"`)
	}
	id, err := v.cfg.identity(claims)
	if err != nil {
		return nil, false, err
	}
	id.issuer = iss
	if exp, ok := tok.Expiration(); ok {
		id.expires = exp
	}
	return id, false, nil
}

// verifyError maps jwx's errors to jose's names.
func verifyError(err error) error {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return invalidJWT(joseExpired)
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return invalidJWT(joseNotYetValid)
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return invalidJWT(joseIssuedAtFuture)
	case errors.Is(err, jws.VerificationError()), errors.Is(err, jws.VerifyError()):
		return invalidJWT(joseInvalidSignature)
	}
	return invalidJWT(`JWTClaimsSetDecodeError "` + strings.ReplaceAll(lastCause(err), `"`, `'`) + `"`)
}

// lastCause is the innermost message of a wrapped error chain.
func lastCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// decodeError names why a token is not a compact JWS, as jose would.
func decodeError(token string) error {
	if n := strings.Count(token, ".") + 1; n != 3 {
		return invalidJWT("JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got " + strconv.Itoa(n) + ")")
	}
	return invalidJWT(joseBadBase64)
}
