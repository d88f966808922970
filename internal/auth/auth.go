// Package auth turns a request's headers into a session.Session, following
// Hasura's rules (hasura/graphql-engine: server/src-lib/Hasura/Server/Auth.hs).
//
// [New] builds the one [Authenticator] every endpoint uses (and the
// websocket transport, with the headers of connection_init):
//
//	headers --admin secret sent?--yes--> must match (401) --> admin, or x-hasura-role
//	        |no
//	        +-- JWT configured -----> token(s) located by header/cookie, issuer matched,
//	        |                         verified (jwx; cached per token), claims -> session
//	        +-- webhook configured -> GET/POST to the hook; 200 -> session, 401 -> deny
//	        +-- else ---------------> unauthorized role, or 401
//
// With no admin secret configured every request is admin ([AdminSecret]).
// Errors carry Hasura's codes and exact messages (hasura.md §2.3).
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/session"
)

// Authenticator resolves the session of a request from its headers.
// Implementations are safe for concurrent use. h must have canonical keys,
// as net/http and Header.Set produce them.
type Authenticator interface {
	Authenticate(ctx context.Context, h http.Header) (*session.Session, error)
}

// Secret is an admin secret. It never appears in logs.
type Secret string

// LogValue is part of the slog.LogValuer interface.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// Errors with Hasura's exact texts (hasura.md §2.3).
var (
	ErrInvalidSecret = apierr.New(apierr.AccessDenied, "invalid x-hasura-admin-secret/x-hasura-access-key").WithStatus(http.StatusUnauthorized)
	ErrSecretMissing = apierr.New(apierr.AccessDenied, "x-hasura-admin-secret/x-hasura-access-key required, but not found").WithStatus(http.StatusUnauthorized)

	ErrRoleNotAllowed         = apierr.New(apierr.AccessDenied, "Your requested role is not in allowed roles")
	ErrMalformedAuthorization = apierr.New(apierr.InvalidHeaders, "Malformed Authorization header")
	ErrMissingToken           = apierr.New(apierr.InvalidHeaders, "Missing 'Authorization' or 'Cookie' header in JWT authentication mode")
	ErrMultipleJWTs           = apierr.New(apierr.InvalidHeaders, "Could not verify JWT: Multiple JWTs found")

	ErrHookUnauthorized    = apierr.New(apierr.AccessDenied, "Authentication hook unauthorized this request").WithStatus(http.StatusUnauthorized)
	ErrHookInvalidResponse = apierr.New(apierr.Unexpected, "Invalid response from authorization hook")
	ErrHookFailed          = apierr.New(apierr.Unexpected, "webhook authentication request failed")
	ErrRoleNotInSession    = apierr.New(apierr.InvalidParams, "x-hasura-role not found in session variables")
)

// Attribute keys of the package's log lines.
const (
	logKeyURL     = "url"
	logKeyError   = "error"
	logKeyStatus  = "status"
	logKeyRetryIn = "retry_in"
	logKeySetting = "setting"
)

// userAgent is sent to the webhook and the JWKS URL.
const userAgent = "graft"

// AdminSecret authenticates with the admin secret(s) and, for requests
// without credentials, the unauthorized role.
type AdminSecret struct {
	// Secrets are the accepted admin secrets; none means every request is admin.
	Secrets []Secret
	// UnauthorizedRole is the role of requests without credentials ("" for none).
	UnauthorizedRole string
}

var _ Authenticator = (*AdminSecret)(nil)

// Authenticate is part of the Authenticator interface.
func (a *AdminSecret) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	s, err, decided := a.check(h)
	if decided {
		return s, err
	}
	if a.UnauthorizedRole != "" {
		return session.New(a.UnauthorizedRole, session.VarsFromHeaders(h)), nil
	}
	return nil, ErrSecretMissing
}

// check applies the admin secret: decided is false when secrets are
// configured and the request sent none, so that another mode decides.
func (a *AdminSecret) check(h http.Header) (_ *session.Session, _ error, decided bool) {
	if len(a.Secrets) == 0 {
		s, err := adminSession(h)
		return s, err, true
	}
	given, present := secretHeader(h)
	if !present {
		return nil, nil, false
	}
	if !a.matches(given) {
		return nil, ErrInvalidSecret, true
	}
	s, err := adminSession(h)
	return s, err, true
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
// neither the length nor the content of the secret leaks through timing,
// and every configured secret is compared.
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

// Options configure [New]. The authentication settings are Hasura's
// environment variables, unparsed; the combinations Hasura refuses are
// refused by config.Validate before New is called.
type Options struct {
	// AdminSecrets are the accepted admin secrets (HASURA_GRAPHQL_ADMIN_SECRET
	// or HASURA_GRAPHQL_ADMIN_SECRETS); none means every request is admin.
	AdminSecrets []Secret
	// UnauthorizedRole is the role of requests without credentials
	// (HASURA_GRAPHQL_UNAUTHORIZED_ROLE); "" means they fail.
	UnauthorizedRole string
	// JWTSecret is HASURA_GRAPHQL_JWT_SECRET, a JSON object; "" for none.
	JWTSecret string
	// JWTSecrets is HASURA_GRAPHQL_JWT_SECRETS, a JSON list of such
	// objects; it replaces JWTSecret when set.
	JWTSecrets string
	// AuthHook is HASURA_GRAPHQL_AUTH_HOOK; "" for none.
	AuthHook string
	// AuthHookMode is "GET" (the default when empty) or "POST".
	AuthHookMode string
	// AuthHookSendRequestBody sends the GraphQL request to a POST hook
	// (HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY).
	AuthHookSendRequestBody bool
	// AuthHookTimeout bounds one webhook call; zero means 30s. A hook that
	// does not answer in time denies the request with a 500 error.
	AuthHookTimeout time.Duration
	// LocalKeys are trusted as a JWT config of their own when neither
	// JWTSecret nor JWTSecrets is set (see [LocalKey]); they need an admin
	// secret, as any JWT config does. Ignored when JWT is configured.
	LocalKeys []LocalKey

	// HTTPClient fetches JWK sets and calls the webhook; nil means a
	// client of its own.
	HTTPClient *http.Client
	// MissRefreshInterval is the least time between two JWKS fetches
	// caused by unknown kids (Note [JWKS refresh]); zero means 10s.
	MissRefreshInterval time.Duration
	// TokenCacheSize bounds the verified-token cache of each JWT config
	// (Note [token cache]); zero means 10000, negative disables it.
	TokenCacheSize int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives JWKS and webhook failures; nil means slog.Default().
	Logger *slog.Logger
}

// Service is the Authenticator of a running server. Create it with [New]
// and release it with [Service.Close].
type Service struct {
	admin AdminSecret
	jwt   *jwtMode
	hook  *webhook
	info  []map[string]any

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ Authenticator = (*Service)(nil)

// New builds the Authenticator for o. With jwk_url configs it starts
// fetching the keys in the background (startup never waits for them) until
// [Service.Close]; ctx only carries values for that work. An error names
// the setting at fault.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.MissRefreshInterval == 0 {
		o.MissRefreshInterval = 10 * time.Second
	}
	if o.TokenCacheSize == 0 {
		o.TokenCacheSize = 10000
	}
	if o.AuthHookTimeout == 0 {
		o.AuthHookTimeout = 30 * time.Second
	}
	s := &Service{admin: AdminSecret{Secrets: o.AdminSecrets, UnauthorizedRole: o.UnauthorizedRole}}

	var cfgs []*JWTConfig
	var warnings []string
	var err error
	setting := "HASURA_GRAPHQL_JWT_SECRET"
	switch {
	case o.JWTSecrets != "":
		setting = "HASURA_GRAPHQL_JWT_SECRETS"
		cfgs, warnings, err = ParseJWTConfigs([]byte(o.JWTSecrets))
	case o.JWTSecret != "":
		var c *JWTConfig
		if c, warnings, err = ParseJWTConfig([]byte(o.JWTSecret)); err == nil {
			cfgs = []*JWTConfig{c}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", setting, err)
	}
	for _, w := range warnings {
		o.Logger.Warn("jwt config: "+w, logKeySetting, setting)
	}
	// config.Validate refuses these with Hasura's texts; they are checked
	// again here because without an admin secret every request would be
	// admin, JWT or not.
	const needsSecret = " requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set"
	switch {
	case len(cfgs) > 0 && o.AuthHook != "":
		return nil, errors.New("Fatal Error: Both webhook and JWT mode cannot be enabled at the same time")
	case len(cfgs) > 0 && len(o.AdminSecrets) == 0:
		return nil, errors.New("Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET)" + needsSecret)
	case o.AuthHook != "" && len(o.AdminSecrets) == 0:
		return nil, errors.New("Fatal Error : --auth-hook (HASURA_GRAPHQL_AUTH_HOOK)" + needsSecret)
	case o.UnauthorizedRole != "" && (len(o.AdminSecrets) == 0 || o.AuthHook != ""):
		return nil, errors.New("Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)" + needsSecret +
			" and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set")
	case len(cfgs) == 0 && len(o.LocalKeys) > 0 && o.AuthHook != "":
		return nil, errors.New("GRAFT_AUTH_ENABLED: the sign-in service's tokens cannot be trusted together with HASURA_GRAPHQL_AUTH_HOOK")
	case len(cfgs) == 0 && len(o.LocalKeys) > 0 && len(o.AdminSecrets) == 0:
		return nil, errors.New("GRAFT_AUTH_ENABLED: the sign-in service's tokens need HASURA_GRAPHQL_ADMIN_SECRET, as JWT does")
	}
	var local *keySet
	if len(cfgs) == 0 && len(o.LocalKeys) > 0 {
		c, ks, err := localConfig(o.LocalKeys)
		if err != nil {
			return nil, err
		}
		cfgs, local = []*JWTConfig{c}, ks
	}

	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	if len(cfgs) > 0 {
		s.jwt = &jwtMode{unauthorizedRole: o.UnauthorizedRole}
		for _, c := range cfgs {
			v := &jwtVerifier{cfg: c, cache: newTokenCache(o.TokenCacheSize), now: o.Now}
			if local != nil {
				v.keys = staticKeys{local}
				s.jwt.verifiers = append(s.jwt.verifiers, v)
				continue
			}
			if c.JWKURL == "" {
				v.keys = staticKeys{&keySet{keys: []verifyKey{{algs: []jwa.SignatureAlgorithm{c.alg}, key: c.staticKey}}}}
			} else {
				j := &jwks{url: c.JWKURL, pinned: c.alg, pin: c.hasAlg, client: o.HTTPClient,
					log: o.Logger.With(logKeySetting, setting), now: o.Now,
					missInterval: o.MissRefreshInterval, ctx: bg, wg: &s.wg}
				j.set.Store(&keySet{})
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					j.run(bg)
				}()
				v.keys = j
			}
			s.jwt.verifiers = append(s.jwt.verifiers, v)
			s.info = append(s.info, c.Info())
		}
	}
	if o.AuthHook != "" {
		mode := strings.ToUpper(o.AuthHookMode)
		if mode != "" && mode != "GET" && mode != "POST" {
			cancel()
			return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK_MODE: %q is not GET or POST", o.AuthHookMode)
		}
		if _, err := http.NewRequest(http.MethodGet, o.AuthHook, nil); err != nil {
			cancel()
			return nil, fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK: %w", err)
		}
		s.hook = &webhook{url: o.AuthHook, post: mode == "POST", sendBody: o.AuthHookSendRequestBody,
			timeout: o.AuthHookTimeout, client: o.HTTPClient, log: o.Logger, now: o.Now}
	}
	return s, nil
}

// Authenticate is part of the Authenticator interface.
func (s *Service) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	if s.jwt == nil && s.hook == nil {
		return s.admin.Authenticate(ctx, h)
	}
	if sess, err, decided := s.admin.check(h); decided {
		return sess, err
	}
	if s.jwt != nil {
		return s.jwt.authenticate(ctx, h)
	}
	return s.hook.authenticate(ctx, h)
}

// JWTInfo describes the JWT configs for /v1alpha1/config (Hasura's
// JWTInfo: claims_namespace, claims_format, claims_map); empty without JWT.
func (s *Service) JWTInfo() []map[string]any {
	if s.info == nil {
		return []map[string]any{}
	}
	return s.info
}

// Close stops the background JWKS work and waits for it.
func (s *Service) Close() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}
