package signin

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/config"
)

// Options configure [New].
type Options struct {
	// Settings are the AUTH_* and GRAFT_AUTH_* variables.
	Settings config.SignIn
	// Pool reaches the database that holds (or will hold) schema auth: the
	// source "default", as with Nhost.
	Pool *pgxpool.Pool
	// JWTSecret is HASURA_GRAPHQL_JWT_SECRET; "" makes the service sign
	// with a key of its own, kept in the database (Note [generated key]).
	JWTSecret string
	// ServerURL is the public URL of the service when Settings.ServerURL
	// is empty, such as "http://localhost:8080/auth/v1".
	ServerURL string
	// Version is reported by /version.
	Version string
	// Logger receives the service's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock of tokens and limits; nil means time.Now.
	Now func() time.Time
	// SMTPRootCAs verify the SMTP server's certificate (STARTTLS or
	// AUTH_SMTP_SECURE); nil means the system's roots.
	SMTPRootCAs *x509.CertPool
}

// Attribute keys of the service's log lines.
const (
	logKeyError  = "error"
	logKeyCode   = "code"
	logKeyUserID = "user_id"
	logKeyFamily = "refresh_token_id"
	logKeyPath   = "path"
	logKeyCount  = "deleted"
)

// Service is the sign-in service. Create it with [New], serve
// [Service.Handler] under /auth/v1 and run [Service.Run] for its
// background work (mail, cleanup).
type Service struct {
	cfg        config.SignIn
	pool       *pgxpool.Pool
	log        *slog.Logger
	now        func() time.Time
	version    string
	serverURL  string
	signer     *signer
	refreshKey refreshKey
	hasher     *hasher
	citext     string // the sanitized citext type, such as "public"."citext"
	trusted    []netip.Prefix

	// allowedRoles is the effective role set of new users: the default
	// allowed roles plus the default role.
	allowedRoles []string

	limits  map[bucket]*window // nil when AUTH_RATE_LIMIT_ENABLE is false
	lockout *lockout
	mailer  *mailer // nil without SMTP
	totp    *totpGuard

	handler http.Handler
}

// New migrates the auth schema, loads or makes the keys and builds the
// service. An error names the setting at fault when there is one.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Settings
	s := &Service{cfg: cfg, pool: o.Pool, log: o.Logger, now: o.Now, version: o.Version,
		serverURL: strings.TrimRight(cfg.ServerURL, "/"), trusted: cfg.TrustedProxyPrefixes(), totp: newTOTPGuard()}
	if s.serverURL == "" {
		s.serverURL = strings.TrimRight(o.ServerURL, "/")
	}
	for _, env := range cfg.Ignored {
		s.log.Warn("setting ignored: the sign-in service runs in-process on graft's port and database", "setting", env)
	}
	s.allowedRoles = slices.Clone(cfg.DefaultAllowedRoles)
	if !slices.Contains(s.allowedRoles, cfg.DefaultRole) {
		s.allowedRoles = append(s.allowedRoles, cfg.DefaultRole)
	}
	if !slices.Contains(cfg.AllowedLocales, cfg.LocaleDefault) {
		s.cfg.AllowedLocales = append(slices.Clone(cfg.AllowedLocales), cfg.LocaleDefault)
	}

	var err error
	if s.hasher, err = newHasher(cfg.PasswordHash); err != nil {
		return nil, fmt.Errorf("GRAFT_AUTH_PASSWORD_HASH: %w", err)
	}
	if err := migrate(ctx, s.pool); err != nil {
		return nil, err
	}
	var schema string
	if err := s.pool.QueryRow(ctx, `SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'citext'`).Scan(&schema); err != nil {
		return nil, fmt.Errorf("find citext: %w", err)
	}
	s.citext = pgx.Identifier{schema, "citext"}.Sanitize()
	if err := s.seedRoles(ctx); err != nil {
		return nil, err
	}
	if s.signer, err = newSigner(ctx, s.pool, o.JWTSecret); err != nil {
		return nil, err
	}
	if s.refreshKey, err = loadRefreshKey(ctx, s.pool); err != nil {
		return nil, err
	}
	if cfg.RateLimitEnabled {
		s.limits = map[bucket]*window{
			bucketGlobal:     newWindow(cfg.RateLimitGlobal.Burst, cfg.RateLimitGlobal.Interval),
			bucketBruteForce: newWindow(cfg.RateLimitBruteForce.Burst, cfg.RateLimitBruteForce.Interval),
			bucketSignups:    newWindow(cfg.RateLimitSignups.Burst, cfg.RateLimitSignups.Interval),
			bucketEmail:      newWindow(cfg.RateLimitEmail.Burst, cfg.RateLimitEmail.Interval),
		}
	}
	s.lockout = newLockout(cfg.LockoutThreshold, cfg.LockoutMax)
	if cfg.SMTPEnabled() {
		if s.mailer, err = newMailer(cfg, s.serverURL, o.SMTPRootCAs, s.log); err != nil {
			return nil, err
		}
	}
	s.handler = s.routes()
	return s, nil
}

// seedRoles inserts the configured roles (auth.roles is referenced by
// users.default_role and user_roles.role).
func (s *Service) seedRoles(ctx context.Context) error {
	roles := append(slices.Clone(s.allowedRoles), "anonymous")
	if _, err := s.pool.Exec(ctx, "INSERT INTO auth.roles (role) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", roles); err != nil {
		return fmt.Errorf("AUTH_USER_DEFAULT_ALLOWED_ROLES: insert roles: %w", err)
	}
	return nil
}

// Handler serves the service; mount it under /auth/v1 with the prefix
// stripped.
func (s *Service) Handler() http.Handler { return s.handler }

// LocalKeys are the keys the GraphQL engine must trust for the service's
// tokens to work there: the generated key, or none when
// HASURA_GRAPHQL_JWT_SECRET is set (the engine then verifies with it).
func (s *Service) LocalKeys() []auth.LocalKey { return s.signer.localKeys() }

// Run does the background work until ctx ends: the sweep of expired
// refresh tokens (at once, then every GRAFT_AUTH_CLEANUP_INTERVAL) and the
// mail queue. It returns nil when ctx ends.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if s.mailer != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.mailer.run(ctx)
		}()
	}
	s.cleanupLoop(ctx)
	wg.Wait()
	return nil
}

// cleanupLoop runs cleanup at once and then on a ticker.
func (s *Service) cleanupLoop(ctx context.Context) {
	interval := s.cfg.CleanupInterval
	if interval <= 0 {
		<-ctx.Done()
		return
	}
	s.cleanupOnce(ctx)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.cleanupOnce(ctx)
		}
	}
}

func (s *Service) cleanupOnce(ctx context.Context) {
	n, err := s.Cleanup(ctx)
	switch {
	case err != nil && !errors.Is(err, context.Canceled):
		s.log.Warn("refresh token cleanup failed", logKeyError, err)
	case n > 0:
		s.log.Info("expired refresh tokens deleted", logKeyCount, n)
	}
}
