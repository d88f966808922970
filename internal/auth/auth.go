// Package auth turns a request's headers into a session.Session, following
// Hasura's rules (hasura/graphql-engine: server/src-lib/Hasura/Server/Auth.hs).
//
// This package implements the admin secret (with role impersonation) and the
// unauthorized role. JWT and the auth webhook plug in behind the same
// [Authenticator] seam.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/session"
)

// Authenticator resolves the session of a request from its headers.
// Implementations are safe for concurrent use.
type Authenticator interface {
	Authenticate(ctx context.Context, h http.Header) (*session.Session, error)
}

// Secret is an admin secret. It never appears in logs.
type Secret string

// LogValue is part of the slog.LogValuer interface.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// AdminSecret authenticates with the admin secret(s) and, for requests
// without credentials, the unauthorized role.
type AdminSecret struct {
	// Secrets are the accepted admin secrets; none means every request is admin.
	Secrets []Secret
	// UnauthorizedRole is the role of requests without credentials ("" for none).
	UnauthorizedRole string
}

var _ Authenticator = (*AdminSecret)(nil)

// Errors with Hasura's exact texts (hasura.md §2.3).
var (
	ErrInvalidSecret = apierr.New(apierr.AccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key").WithStatus(http.StatusUnauthorized)
	ErrSecretMissing = apierr.New(apierr.AccessDenied, "x-hasura-admin-secret/x-hasura-access-key required, but not found").WithStatus(http.StatusUnauthorized)
)

// Authenticate is part of the Authenticator interface.
func (a *AdminSecret) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	if len(a.Secrets) == 0 {
		return adminSession(h)
	}
	given, present := secretHeader(h)
	if present {
		if !a.matches(given) {
			return nil, ErrInvalidSecret
		}
		return adminSession(h)
	}
	if a.UnauthorizedRole != "" {
		return session.New(a.UnauthorizedRole, session.VarsFromHeaders(h)), nil
	}
	return nil, ErrSecretMissing
}

func secretHeader(h http.Header) (string, bool) {
	if v := h.Values(session.HeaderAdminSecret); len(v) > 0 {
		return v[0], true
	}
	if v := h.Values(session.HeaderAccessKey); len(v) > 0 {
		return v[0], true
	}
	return "", false
}

// matches compares in constant time: both sides are hashed first so that
// neither the length nor the content of the secret leaks through timing.
func (a *AdminSecret) matches(given string) bool {
	g := sha256.Sum256([]byte(given))
	ok := 0
	for _, s := range a.Secrets {
		w := sha256.Sum256([]byte(s))
		ok |= subtle.ConstantTimeCompare(g[:], w[:])
	}
	return ok == 1
}

// adminSession is the session of a request that proved it is admin: the
// role is x-hasura-role when sent (impersonation), else admin.
func adminSession(h http.Header) (*session.Session, error) {
	vars := session.VarsFromHeaders(h)
	role := session.AdminRole
	if r, ok := vars[session.HeaderRole]; ok && r != "" {
		role = r
	}
	s := session.New(role, vars)
	s.ViaAdminSecret = true
	bo, err := backendOnly(h)
	if err != nil {
		return nil, err
	}
	s.BackendOnly = bo
	return s, nil
}

// backendOnly parses x-hasura-use-backend-only-permissions.
func backendOnly(h http.Header) (bool, error) {
	v := h.Get(session.HeaderBackendOnly)
	if v == "" {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true", "t", "yes", "y":
		return true, nil
	case "false", "f", "no", "n":
		return false, nil
	}
	return false, apierr.New(apierr.BadRequest, `x-hasura-use-backend-only-permissions:  Not a valid boolean text. True values are ["true","t","yes","y"] and  False values are ["false","f","no","n"]. All values are case insensitive`)
}
