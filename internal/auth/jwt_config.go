package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// DefaultClaimsNamespace is where Hasura looks for its claims by default.
const DefaultClaimsNamespace = "https://hasura.io/jwt/claims"

// Names of the two claims every token must carry.
const (
	claimAllowedRoles = "x-hasura-allowed-roles"
	claimDefaultRole  = "x-hasura-default-role"
)

// JWTConfig is one parsed HASURA_GRAPHQL_JWT_SECRET object
// (hasura/graphql-engine: server/src-lib/Hasura/Server/Auth/JWT.hs,
// FromJSON JWTConfig). Build it with [ParseJWTConfig]; it is immutable.
type JWTConfig struct {
	// Type is the configured algorithm ("HS256" ... "Ed25519"); it may be
	// empty with JWKURL, where each key's own "alg" decides.
	Type string
	// JWKURL is the JWK set URL; empty when a static key is configured.
	JWKURL string
	// ClaimsNamespace is the claim that holds Hasura's claims (default
	// [DefaultClaimsNamespace]); unused when ClaimsNamespacePath or the
	// claims map is set.
	ClaimsNamespace string
	// ClaimsNamespacePath is claims_namespace_path as given ("" for none).
	ClaimsNamespacePath string
	// StringifiedClaims is claims_format "stringified_json".
	StringifiedClaims bool
	// Audience holds the accepted audiences; empty means no check.
	Audience []string
	// Issuer is the accepted issuer; empty means no check.
	Issuer string
	// AllowedSkew is the leeway on exp, nbf and iat (allowed_skew, seconds).
	AllowedSkew time.Duration
	// Header says where the token is: "Authorization" (default), "Cookie"
	// or "CustomHeader", with HeaderName for the last two.
	Header, HeaderName string

	alg       jwa.SignatureAlgorithm // pinned algorithm (hasAlg)
	hasAlg    bool
	staticKey any // raw public key, or []byte for HMAC; nil with JWKURL
	nsPath    jsonPath
	claimsMap *claimsMap
	claimsRaw json.RawMessage // claims_map as given, for /v1alpha1/config
}

// claimsMap is claims_map: where each session variable comes from.
type claimsMap struct {
	allowedRoles claimSource
	defaultRole  claimSource
	others       map[string]claimSource // lower-case session variable names
}

// claimSource is a static value, or a JSON path into the token's claims
// with an optional default used when the path finds nothing.
type claimSource struct {
	path       jsonPath // nil for a static value
	value      any      // the static value, or the default (nil: none)
	hasDefault bool
}

// jwtTypes maps the config's "type" to the algorithm it pins.
var jwtTypes = map[string]jwa.SignatureAlgorithm{
	"HS256": jwa.HS256(), "HS384": jwa.HS384(), "HS512": jwa.HS512(),
	"RS256": jwa.RS256(), "RS384": jwa.RS384(), "RS512": jwa.RS512(),
	"ES256": jwa.ES256(), "ES384": jwa.ES384(), "ES512": jwa.ES512(),
	"Ed25519": jwa.EdDSA(),
}

// knownJWTKeys are the keys of Hasura's JWT config; others are ignored
// with a warning, as Hasura ignores them.
var knownJWTKeys = map[string]bool{
	"type": true, "key": true, "jwk_url": true, "claims_namespace": true, "claims_namespace_path": true,
	"claims_format": true, "claims_map": true, "audience": true, "issuer": true, "allowed_skew": true, "header": true,
}

// ParseJWTConfig parses one JWT config object. Warnings name keys it
// ignored.
func ParseJWTConfig(raw []byte) (_ *JWTConfig, warnings []string, err error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil || all == nil {
		return nil, nil, errors.New("expected a JSON object")
	}
	var unknown []string
	for k := range all {
		if !knownJWTKeys[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		warnings = append(warnings, fmt.Sprintf("unknown key %q ignored", k))
	}
	str := func(key string) (string, bool, error) {
		v, ok := all[key]
		if !ok || string(v) == "null" {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", false, fmt.Errorf("%s: expected a string", key)
		}
		return s, true, nil
	}

	c := &JWTConfig{ClaimsNamespace: DefaultClaimsNamespace, Header: "Authorization"}
	typ, hasType, err := str("type")
	if err != nil {
		return nil, nil, err
	}
	key, hasKey, err := str("key")
	if err != nil {
		return nil, nil, err
	}
	jwkURL, hasURL, err := str("jwk_url")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case !hasKey && !hasURL:
		return nil, nil, errors.New("key and jwk_url both cannot be empty")
	case hasKey && hasURL:
		return nil, nil, errors.New("key, jwk_url both cannot be present")
	}
	if hasType || hasKey {
		alg, ok := jwtTypes[typ]
		if !ok {
			if !hasType {
				return nil, nil, errors.New(`key "type" not found`)
			}
			return nil, nil, fmt.Errorf("Invalid JWK: Key type: %s is not supported", typ)
		}
		c.Type, c.alg, c.hasAlg = typ, alg, true
	}
	if hasKey {
		if c.staticKey, err = parseStaticKey(typ, key); err != nil {
			return nil, nil, fmt.Errorf("Invalid JWK: %w", err)
		}
	} else {
		u, err := url.Parse(jwkURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, nil, fmt.Errorf("jwk_url: %q is not an http(s) URL", jwkURL)
		}
		c.JWKURL = jwkURL
	}

	ns, hasNS, err := str("claims_namespace")
	if err != nil {
		return nil, nil, err
	}
	nsPath, hasNSPath, err := str("claims_namespace_path")
	if err != nil {
		return nil, nil, err
	}
	switch {
	case hasNS && hasNSPath:
		return nil, nil, errors.New("claims_namespace and claims_namespace_path both cannot be set")
	case hasNS:
		c.ClaimsNamespace = ns
	case hasNSPath:
		p, err := parseJSONPath(nsPath)
		if err != nil {
			return nil, nil, fmt.Errorf("invalid JSON path claims_namespace_path error: %w", err)
		}
		c.ClaimsNamespacePath, c.nsPath = nsPath, p
	}
	format, hasFormat, err := str("claims_format")
	if err != nil {
		return nil, nil, err
	}
	if hasFormat {
		switch format {
		case "json":
		case "stringified_json":
			c.StringifiedClaims = true
		default:
			return nil, nil, fmt.Errorf(`claims_format: expected "json" or "stringified_json", got %q`, format)
		}
	}
	if v, ok := all["claims_map"]; ok && string(v) != "null" {
		if c.claimsMap, err = parseClaimsMap(v); err != nil {
			return nil, nil, fmt.Errorf("claims_map: %w", err)
		}
		c.claimsRaw = v
	}
	if v, ok := all["audience"]; ok && string(v) != "null" {
		var one string
		if err := json.Unmarshal(v, &one); err == nil {
			c.Audience = []string{one}
		} else if err := json.Unmarshal(v, &c.Audience); err != nil {
			return nil, nil, errors.New("audience: expected a string or a list of strings")
		}
	}
	if c.Issuer, _, err = str("issuer"); err != nil {
		return nil, nil, err
	}
	if v, ok := all["allowed_skew"]; ok && string(v) != "null" {
		var secs float64
		if err := json.Unmarshal(v, &secs); err != nil || secs < 0 {
			return nil, nil, errors.New("allowed_skew: expected a non-negative number of seconds")
		}
		c.AllowedSkew = time.Duration(secs * float64(time.Second))
	}
	if v, ok := all["header"]; ok && string(v) != "null" {
		var h struct {
			Type *string `json:"type"`
			Name *string `json:"name"`
		}
		if err := json.Unmarshal(v, &h); err != nil {
			return nil, nil, errors.New("header: expected an object")
		}
		if h.Type == nil {
			return nil, nil, errors.New(`header: key "type" not found`)
		}
		switch {
		case strings.EqualFold(*h.Type, "Authorization"):
			c.Header = "Authorization"
		case strings.EqualFold(*h.Type, "Cookie"), strings.EqualFold(*h.Type, "CustomHeader"):
			if h.Name == nil || *h.Name == "" {
				return nil, nil, errors.New(`header: key "name" not found`)
			}
			c.Header, c.HeaderName = "Cookie", *h.Name
			if strings.EqualFold(*h.Type, "CustomHeader") {
				c.Header = "CustomHeader"
			}
		default:
			return nil, nil, errors.New("header: expected 'type' is 'Authorization' or 'Cookie' or 'CustomHeader'")
		}
	}
	return c, warnings, nil
}

// ParseJWTConfigs parses HASURA_GRAPHQL_JWT_SECRETS, a JSON list of
// configs.
func ParseJWTConfigs(raw []byte) ([]*JWTConfig, []string, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, nil, errors.New("expected a JSON list of objects")
	}
	var out []*JWTConfig
	var warnings []string
	for i, r := range list {
		c, w, err := ParseJWTConfig(r)
		if err != nil {
			return nil, nil, fmt.Errorf("[%d]: %w", i, err)
		}
		for _, x := range w {
			warnings = append(warnings, fmt.Sprintf("[%d]: %s", i, x))
		}
		out = append(out, c)
	}
	return out, warnings, nil
}

// parseStaticKey turns the config's key into a verification key for typ:
// the secret's bytes for HMAC (Hasura's minimum lengths: 32, 48 and 64
// characters), else a PEM public key or X.509 certificate of the matching
// kind.
func parseStaticKey(typ, key string) (any, error) {
	switch typ {
	case "HS256", "HS384", "HS512":
		min := map[string]int{"HS256": 32, "HS384": 48, "HS512": 64}[typ]
		if len(key) < min {
			return nil, fmt.Errorf("Key size too small; should be atleast %d characters", min)
		}
		return []byte(key), nil
	}
	k, err := jwk.ParseKey([]byte(key), jwk.WithPEM(true))
	if err != nil {
		return nil, fmt.Errorf("could not parse the %s key as a PEM public key or X.509 certificate: %w", typ, err)
	}
	if pk, err := k.PublicKey(); err == nil {
		k = pk
	}
	var raw any
	if err := jwk.Export(k, &raw); err != nil {
		return nil, fmt.Errorf("could not use the %s key: %w", typ, err)
	}
	if !keyFitsAlg(raw, jwtTypes[typ]) {
		return nil, fmt.Errorf("the key (%s) cannot verify %s tokens", keyKind(raw), typ)
	}
	return raw, nil
}

// keyFitsAlg reports whether raw can verify alg: RSA for RS*/PS*, the
// matching curve for ES*, Ed25519 for EdDSA, bytes for HS*.
func keyFitsAlg(raw any, alg jwa.SignatureAlgorithm) bool {
	switch k := raw.(type) {
	case *rsa.PublicKey:
		switch alg {
		case jwa.RS256(), jwa.RS384(), jwa.RS512(), jwa.PS256(), jwa.PS384(), jwa.PS512():
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case jwa.ES256():
			return k.Curve == elliptic.P256()
		case jwa.ES384():
			return k.Curve == elliptic.P384()
		case jwa.ES512():
			return k.Curve == elliptic.P521()
		}
	case ed25519.PublicKey:
		return alg == jwa.EdDSA()
	case []byte:
		switch alg {
		case jwa.HS256(), jwa.HS384(), jwa.HS512():
			return true
		}
	}
	return false
}

func keyKind(raw any) string {
	switch k := raw.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "EC " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case []byte:
		return "symmetric"
	}
	return fmt.Sprintf("%T", raw)
}

// parseClaimsMap parses claims_map (JWT.hs, FromJSON JWTCustomClaimsMap):
// x-hasura-allowed-roles and x-hasura-default-role are required; each
// value is {"path": ..., "default": ...} or a literal.
func parseClaimsMap(raw json.RawMessage) (*claimsMap, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, errors.New("expected an object")
	}
	m := &claimsMap{others: map[string]claimSource{}}
	for _, name := range []string{claimAllowedRoles, claimDefaultRole} {
		if _, ok := obj[name]; !ok {
			return nil, fmt.Errorf("%s is expected but not found", name)
		}
	}
	var err error
	if m.allowedRoles, err = parseClaimSource(obj[claimAllowedRoles], decodeRoles); err != nil {
		return nil, fmt.Errorf("%s: %w", claimAllowedRoles, err)
	}
	if m.defaultRole, err = parseClaimSource(obj[claimDefaultRole], decodeString); err != nil {
		return nil, fmt.Errorf("%s: %w", claimDefaultRole, err)
	}
	for k, v := range obj {
		lk := strings.ToLower(k)
		if lk == claimAllowedRoles || lk == claimDefaultRole {
			continue
		}
		if m.others[lk], err = parseClaimSource(v, decodeString); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
	}
	return m, nil
}

func decodeRoles(raw json.RawMessage) (any, error) {
	var roles []string
	if err := json.Unmarshal(raw, &roles); err != nil {
		return nil, errors.New("expected a list of role names")
	}
	return roles, nil
}

func decodeString(raw json.RawMessage) (any, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, errors.New("expected a string")
	}
	return s, nil
}

func parseClaimSource(raw json.RawMessage, decode func(json.RawMessage) (any, error)) (claimSource, error) {
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '{' {
		var o struct {
			Path    *string         `json:"path"`
			Default json.RawMessage `json:"default"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return claimSource{}, err
		}
		if o.Path == nil {
			return claimSource{}, errors.New(`key "path" not found`)
		}
		p, err := parseJSONPath(*o.Path)
		if err != nil {
			return claimSource{}, err
		}
		s := claimSource{path: p}
		if len(o.Default) > 0 && string(o.Default) != "null" {
			if s.value, err = decode(o.Default); err != nil {
				return claimSource{}, fmt.Errorf("default: %w", err)
			}
			s.hasDefault = true
		}
		return s, nil
	}
	v, err := decode(raw)
	if err != nil {
		return claimSource{}, err
	}
	return claimSource{value: v}, nil
}

// Info is the config as /v1alpha1/config reports it (Hasura's JWTInfo):
// claims_namespace (or the path), claims_format and claims_map.
func (c *JWTConfig) Info() map[string]any {
	ns := c.ClaimsNamespace
	if c.ClaimsNamespacePath != "" {
		ns = c.ClaimsNamespacePath
	}
	format := "json"
	if c.StringifiedClaims {
		format = "stringified_json"
	}
	info := map[string]any{"claims_namespace": ns, "claims_format": format}
	if c.claimsRaw != nil {
		info["claims_map"] = c.claimsRaw
	}
	return info
}
