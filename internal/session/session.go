// Package session holds the identity a request runs as: its role and its
// session variables (x-hasura-*), following Hasura's header rules.
package session

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// AdminRole is the role that bypasses every permission.
const AdminRole = "admin"

// Header names Hasura reads.
const (
	HeaderRole        = "x-hasura-role"
	HeaderAdminSecret = "x-hasura-admin-secret"
	HeaderAccessKey   = "x-hasura-access-key"
	HeaderBackendOnly = "x-hasura-use-backend-only-permissions"
	// VarUserID is the session variable most permissions use.
	VarUserID = "x-hasura-user-id"
)

// Session is who a request runs as. A Session is immutable once built; its
// Vars map must not be changed after [New] returns.
type Session struct {
	// Role is the role whose permissions apply; "admin" bypasses them.
	Role string
	// Vars are the session variables, names lower-cased (x-hasura-role
	// included, as Hasura passes it to SQL).
	Vars map[string]string
	// BackendOnly is true when the request may use backend_only permissions:
	// it carried the admin secret and x-hasura-use-backend-only-permissions: true.
	BackendOnly bool
	// ViaAdminSecret is true when the request authenticated with the admin
	// secret (or no secret is configured), whatever role it then chose.
	ViaAdminSecret bool
	// Expires is when the credentials stop being valid (a JWT's exp, a
	// webhook's Expires/Cache-Control); zero means never. Websocket
	// connections close at this time.
	Expires time.Time
	// SetCookies are the Set-Cookie values of the auth webhook's answer,
	// which an HTTP response passes on to the client, as Hasura does (a
	// websocket has no response to carry them).
	SetCookies []string

	jsonOnce sync.Once
	json     []byte // encoding of Vars, built on first use
}

// New builds a session for role with the given variables (names are
// lower-cased). x-hasura-role is set to role.
func New(role string, vars map[string]string) *Session {
	v := make(map[string]string, len(vars)+1)
	for k, val := range vars {
		v[strings.ToLower(k)] = val
	}
	v[HeaderRole] = role
	return &Session{Role: role, Vars: v}
}

// IsAdmin reports whether the session bypasses permissions.
func (s *Session) IsAdmin() bool { return s.Role == AdminRole }

// Var returns a session variable; name is matched case-insensitively.
func (s *Session) Var(name string) (string, bool) {
	v, ok := s.Vars[strings.ToLower(name)]
	return v, ok
}

// JSON returns the variables as a JSON object with lower-case keys, the
// form bound as the session parameter of every statement.
func (s *Session) JSON() []byte {
	s.jsonOnce.Do(func() { s.json = encodeVars(s.Vars) })
	return s.json
}

func encodeVars(v map[string]string) []byte {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(v[k])
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// IsSessionVariable reports whether name (any case) is a session variable
// name, i.e. starts with "x-hasura-".
func IsSessionVariable(name string) bool {
	return len(name) >= 9 && strings.EqualFold(name[:9], "x-hasura-")
}

// VarsFromHeaders collects the x-hasura-* request headers, names lower-cased,
// leaving out the admin secret and access key.
func VarsFromHeaders(h http.Header) map[string]string {
	vars := make(map[string]string)
	for k, vs := range h {
		if !IsSessionVariable(k) || len(vs) == 0 {
			continue
		}
		lk := strings.ToLower(k)
		if lk == HeaderAdminSecret || lk == HeaderAccessKey {
			continue
		}
		vars[lk] = vs[0]
	}
	return vars
}

type ctxKey struct{}

// NewContext returns a context carrying s.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the session carried by ctx, if any.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(ctxKey{}).(*Session)
	return s, ok
}
