package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/session"
)

// identity is what a verified token grants before a role is picked: it
// is cached per token and must not be changed once built.
type identity struct {
	allowedRoles []string
	defaultRole  string
	// vars are the session variables (lower-case names) except the two
	// role claims.
	vars map[string]string
	// expires is the token's exp; zero when it has none.
	expires time.Time
	// issuer is the token's iss ("" when absent), for JWT_SECRETS matching.
	issuer string
}

// registeredClaims are left out of the claims that claims_namespace and
// claims_namespace_path look into (jose's unregisteredClaims).
var registeredClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "exp": true, "nbf": true, "iat": true, "jti": true}

func invalidClaims(format string, args ...any) error {
	return apierr.New(apierr.JWTInvalidClaims, "%s", fmt.Sprintf(format, args...))
}

func missingRoleClaim(name string) error {
	return apierr.New(apierr.JWTMissingRoleClaims, "JWT claim does not contain %s", name)
}

// identity extracts Hasura's claims from a verified token's claims
// (JWT.hs: parseClaimsMap, then parseHasuraClaims).
func (c *JWTConfig) identity(claims map[string]any) (*identity, error) {
	var hasura map[string]any
	if c.claimsMap != nil {
		var err error
		if hasura, err = c.claimsMap.apply(claims); err != nil {
			return nil, err
		}
	} else {
		unregistered := make(map[string]any, len(claims))
		for k, v := range claims {
			if !registeredClaims[k] {
				unregistered[k] = v
			}
		}
		var v any
		var ok bool
		where := "claims_namespace " + c.ClaimsNamespace
		if c.nsPath != nil {
			where = "claims_namespace_path " + c.nsPath.String()
			if v, ok = c.nsPath.lookup(unregistered); !ok {
				return nil, invalidClaims("claims not found at claims_namespace_path: '%s'", c.nsPath)
			}
		} else if v, ok = unregistered[c.ClaimsNamespace]; !ok {
			return nil, invalidClaims("claims key: '%s' not found", c.ClaimsNamespace)
		}
		var obj map[string]any
		switch s, isString := v.(string); {
		case c.StringifiedClaims && isString:
			if err := decodeJSON([]byte(s), &obj); err != nil || obj == nil {
				return nil, invalidClaims("expecting stringified json at: '%s', but found: %s", where, s)
			}
		case c.StringifiedClaims:
			return nil, invalidClaims("expecting a string when claims_format is stringified_json")
		default:
			if obj, ok = v.(map[string]any); !ok {
				return nil, invalidClaims("expecting a json object when claims_format is json")
			}
		}
		hasura = make(map[string]any, len(obj))
		for k, v := range obj {
			if session.IsSessionVariable(k) {
				hasura[strings.ToLower(k)] = v
			}
		}
	}

	id := &identity{vars: make(map[string]string, len(hasura))}
	rolesV, ok := hasura[claimAllowedRoles]
	if !ok {
		return nil, missingRoleClaim(claimAllowedRoles)
	}
	roles, err := roleList(rolesV)
	if err != nil {
		return nil, invalidClaims("invalid %s; should be a list of roles: %s", claimAllowedRoles, err)
	}
	defV, ok := hasura[claimDefaultRole]
	if !ok {
		return nil, missingRoleClaim(claimDefaultRole)
	}
	def, err := roleName(defV)
	if err != nil {
		return nil, invalidClaims("invalid %s; should be a single role name: %s", claimDefaultRole, err)
	}
	id.allowedRoles, id.defaultRole = roles, def
	for k, v := range hasura {
		if k == claimAllowedRoles || k == claimDefaultRole {
			continue
		}
		s, err := sessionValue(v)
		if err != nil {
			return nil, invalidClaims("x-hasura-* claims: %s", err)
		}
		id.vars[k] = s
	}
	return id, nil
}

// apply evaluates claims_map against all claims (JWT.hs, JCMap case).
func (m *claimsMap) apply(claims map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(m.others)+2)
	v, found := m.allowedRoles.eval(claims)
	if !found {
		return nil, missingRoleClaim(claimAllowedRoles)
	}
	roles, err := roleList(v)
	if err != nil {
		return nil, invalidClaims("invalid %s; should be a list of roles: %s", claimAllowedRoles, err)
	}
	out[claimAllowedRoles] = stringsToAny(roles)
	if v, found = m.defaultRole.eval(claims); !found {
		return nil, missingRoleClaim(claimDefaultRole)
	}
	def, err := roleName(v)
	if err != nil {
		return nil, invalidClaims("invalid %s; should be a role: %s", claimDefaultRole, err)
	}
	out[claimDefaultRole] = def
	for name, src := range m.others {
		v, found := src.eval(claims)
		if !found {
			return nil, invalidClaims("JWT claim from claims_map, %s not found", name)
		}
		out[name] = v
	}
	return out, nil
}

// eval returns the value of a claims_map entry: the literal, the value at
// its path, or its default when the path finds nothing.
func (s claimSource) eval(claims map[string]any) (any, bool) {
	if s.path == nil {
		return anyValue(s.value), true
	}
	if v, ok := s.path.lookup(claims); ok {
		return v, true
	}
	if s.hasDefault {
		return anyValue(s.value), true
	}
	return nil, false
}

// anyValue converts a decoded config literal to the shape of decoded JSON.
func anyValue(v any) any {
	if l, ok := v.([]string); ok {
		return stringsToAny(l)
	}
	return v
}

func stringsToAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// roleList parses a list of role names, with aeson's messages.
func roleList(v any) ([]string, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("parsing [] failed, expected Array, but encountered %s", apierr.JSONKind(v))
	}
	roles := make([]string, 0, len(a))
	for _, e := range a {
		r, err := roleName(e)
		if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

func roleName(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("parsing Text failed, expected String, but encountered %s", apierr.JSONKind(v))
	}
	if s == "" {
		return "", fmt.Errorf("empty string not allowed")
	}
	return s, nil
}

// sessionValue turns a claim into a session variable value.
//
// Note [session variables from JSON claims]: Hasura accepts only strings
// and rejects anything else with "x-hasura-* claims: parsing Text failed".
// graft also accepts numbers and booleans (their JSON text, so that a
// numeric user id works) and arrays, written as a PostgreSQL array literal
// ("{1,2}") as Hasura's docs ask users to do by hand for _in/_has_keys_any
// permissions. Objects and null are still refused with Hasura's message.
func sessionValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case float64:
		b, _ := json.Marshal(x)
		return string(b), nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case []any:
		var b strings.Builder
		if err := writePGArray(&b, x); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("parsing Text failed, expected String, but encountered %s", apierr.JSONKind(v))
}

// writePGArray writes a as a PostgreSQL array literal.
func writePGArray(b *strings.Builder, a []any) error {
	b.WriteByte('{')
	for i, e := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := e.(type) {
		case []any:
			if err := writePGArray(b, x); err != nil {
				return err
			}
		case string:
			writePGArrayString(b, x)
		case json.Number, float64, bool:
			s, _ := sessionValue(x)
			b.WriteString(s)
		default:
			return fmt.Errorf("parsing Text failed, expected String, but encountered %s", apierr.JSONKind(e))
		}
	}
	b.WriteByte('}')
	return nil
}

// writePGArrayString quotes an element when PostgreSQL's array parser
// would otherwise misread it.
func writePGArrayString(b *strings.Builder, s string) {
	quote := s == "" || strings.EqualFold(s, "null") || strings.ContainsAny(s, "{},\"\\ \t\r\n\v\f")
	if !quote {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
}

// decodeJSON decodes with numbers kept as json.Number.
func decodeJSON(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}
