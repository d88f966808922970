package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// SignIn configures graft's sign-in service (GRAFT_AUTH_ENABLED), read
// from Nhost Auth's own variables (AUTH_*) with Nhost's defaults, except
// where graft is stricter (../shared/specs/signin.md §3). Package signin
// interprets it.
type SignIn struct {
	// ServerURL is the public URL of the service, the base of emailed
	// links (AUTH_SERVER_URL); empty means http://localhost:<port>/auth/v1.
	ServerURL string
	// ClientURL is the frontend's URL (AUTH_CLIENT_URL): the default
	// redirectTo, always allowed. Required with SMTP.
	ClientURL string
	// AllowedRedirectURLs are further allowed redirect patterns
	// (AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS, comma list).
	AllowedRedirectURLs []string
	// AllowedEmails, AllowedEmailDomains, BlockedEmails and
	// BlockedEmailDomains are the access lists
	// (AUTH_ACCESS_CONTROL_{ALLOWED,BLOCKED}_{EMAILS,EMAIL_DOMAINS}); empty
	// allow lists allow everyone.
	AllowedEmails, AllowedEmailDomains, BlockedEmails, BlockedEmailDomains []string

	// AccessTokenExpiresIn is the access token lifetime
	// (AUTH_ACCESS_TOKEN_EXPIRES_IN, seconds), default 900s.
	AccessTokenExpiresIn time.Duration
	// RefreshTokenExpiresIn is the sliding refresh token lifetime
	// (AUTH_REFRESH_TOKEN_EXPIRES_IN, seconds), default 30 days.
	RefreshTokenExpiresIn time.Duration

	// DefaultRole is the default role of new users (AUTH_USER_DEFAULT_ROLE),
	// default "user".
	DefaultRole string
	// DefaultAllowedRoles are the roles of new users
	// (AUTH_USER_DEFAULT_ALLOWED_ROLES), default ["me"]; the default role
	// is always allowed too.
	DefaultAllowedRoles []string
	// LocaleDefault (AUTH_LOCALE_DEFAULT, default "en") and AllowedLocales
	// (AUTH_LOCALE_ALLOWED_LOCALES, default ["en"]).
	LocaleDefault  string
	AllowedLocales []string

	// DisableSignup refuses every sign-up (AUTH_DISABLE_SIGNUP).
	DisableSignup bool
	// DisableNewUsers stores new users disabled (AUTH_DISABLE_NEW_USERS).
	DisableNewUsers bool
	// EmailVerifiedRequired (AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED):
	// nil means true with SMTP and false without.
	EmailVerifiedRequired *bool
	// AnonymousUsersEnabled enables /signin/anonymous
	// (AUTH_ANONYMOUS_USERS_ENABLED).
	AnonymousUsersEnabled bool
	// MFAEnabled enables the TOTP endpoints (AUTH_MFA_ENABLED); TOTPIssuer
	// is the issuer shown by authenticator apps (AUTH_MFA_TOTP_ISSUER,
	// default "auth").
	MFAEnabled bool
	TOTPIssuer string
	// PasswordMinLength is the minimum password length in characters
	// (AUTH_PASSWORD_MIN_LENGTH), default 9 (Nhost: 3).
	PasswordMinLength int
	// ConcealErrors answers the sensitive error codes with invalid-request
	// (AUTH_CONCEAL_ERRORS).
	ConcealErrors bool
	// GravatarEnabled (AUTH_GRAVATAR_ENABLED, default true),
	// GravatarDefault (AUTH_GRAVATAR_DEFAULT, "blank") and GravatarRating
	// (AUTH_GRAVATAR_RATING, "g") make the avatarUrl of new users.
	GravatarEnabled bool
	GravatarDefault string
	GravatarRating  string

	// SMTP is the outgoing mail server (AUTH_SMTP_*); no Host means no mail.
	SMTP SMTP
	// EmailTemplatesPath holds Nhost-style templates
	// (AUTH_EMAIL_TEMPLATES_PATH); empty means the built-in ones.
	EmailTemplatesPath string

	// RateLimitEnabled turns the per-IP limits on (AUTH_RATE_LIMIT_ENABLE),
	// default true (Nhost: false).
	RateLimitEnabled bool
	// Rate limits per bucket (AUTH_RATE_LIMIT_<BUCKET>_{BURST,INTERVAL}).
	RateLimitGlobal, RateLimitBruteForce, RateLimitSignups, RateLimitEmail RateLimit
	// RateLimitEmailIsGlobal counts emails for all clients together
	// (AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL).
	RateLimitEmailIsGlobal bool

	// RefreshGrace is the grace window for concurrent refreshes
	// (GRAFT_AUTH_REFRESH_GRACE_SECONDS), default 10s; 0 turns it off.
	RefreshGrace time.Duration
	// PasswordHash is "argon2id" (default) or "bcrypt"
	// (GRAFT_AUTH_PASSWORD_HASH).
	PasswordHash string
	// PasswordChangeRevokes is "all" (default), "sessions" or "none"
	// (GRAFT_AUTH_PASSWORD_CHANGE_REVOKES).
	PasswordChangeRevokes string
	// LockoutThreshold is the number of consecutive failures before the
	// per-account back-off starts (GRAFT_AUTH_LOCKOUT_THRESHOLD), default 5;
	// LockoutMax caps the back-off (GRAFT_AUTH_LOCKOUT_MAX), default 15m.
	LockoutThreshold int
	LockoutMax       time.Duration
	// CleanupInterval is the period of the sweep of expired refresh tokens
	// (GRAFT_AUTH_CLEANUP_INTERVAL), default 1h.
	CleanupInterval time.Duration
	// TrustedProxies are CIDRs whose X-Forwarded-For is believed
	// (GRAFT_TRUSTED_PROXIES), default none.
	TrustedProxies []string

	// Ignored names variables that were set but mean nothing in-process;
	// they are logged as warnings at startup.
	Ignored []string
	// Refused names variables that switch on something graft does not
	// provide yet; Validate refuses them while the service is on.
	Refused []string
}

// SMTP is the outgoing mail server of the sign-in service.
type SMTP struct {
	Host string // AUTH_SMTP_HOST
	Port int    // AUTH_SMTP_PORT, default 587
	User string // AUTH_SMTP_USER
	Pass Secret // AUTH_SMTP_PASS
	// Sender is the From address (AUTH_SMTP_SENDER).
	Sender string
	// Secure is implicit TLS (AUTH_SMTP_SECURE); else STARTTLS when offered.
	Secure bool
	// AuthMethod is PLAIN (default), LOGIN or CRAM-MD5 (AUTH_SMTP_AUTH_METHOD).
	AuthMethod string
}

// RateLimit is one per-IP bucket: Burst requests per Interval.
type RateLimit struct {
	Burst    int
	Interval time.Duration
}

// DefaultSignIn returns Nhost's defaults, with graft's where they differ.
func DefaultSignIn() SignIn {
	return SignIn{
		AccessTokenExpiresIn:  900 * time.Second,
		RefreshTokenExpiresIn: 2592000 * time.Second,
		DefaultRole:           "user",
		DefaultAllowedRoles:   []string{"me"},
		LocaleDefault:         "en",
		AllowedLocales:        []string{"en"},
		TOTPIssuer:            "auth",
		PasswordMinLength:     9,
		GravatarEnabled:       true,
		GravatarDefault:       "blank",
		GravatarRating:        "g",
		SMTP:                  SMTP{Port: 587, AuthMethod: "PLAIN"},
		RateLimitEnabled:      true,
		RateLimitGlobal:       RateLimit{Burst: 100, Interval: time.Minute},
		RateLimitBruteForce:   RateLimit{Burst: 10, Interval: 5 * time.Minute},
		RateLimitSignups:      RateLimit{Burst: 10, Interval: 5 * time.Minute},
		RateLimitEmail:        RateLimit{Burst: 10, Interval: time.Hour},
		RefreshGrace:          10 * time.Second,
		PasswordHash:          "argon2id",
		PasswordChangeRevokes: "all",
		LockoutThreshold:      5,
		LockoutMax:            15 * time.Minute,
		CleanupInterval:       time.Hour,
	}
}

// SMTPEnabled reports whether outgoing mail is configured.
func (s *SignIn) SMTPEnabled() bool { return s.SMTP.Host != "" }

// VerificationRequired reports whether users must verify their email
// before signing in: as configured, else when mail can be sent.
func (s *SignIn) VerificationRequired() bool {
	if s.EmailVerifiedRequired != nil {
		return *s.EmailVerifiedRequired
	}
	return s.SMTPEnabled()
}

// signInProviders are the OAuth providers of Nhost Auth, whose
// AUTH_PROVIDER_<NAME>_ENABLED graft refuses until it has them.
var signInProviders = []string{
	"APPLE", "AZUREAD", "BITBUCKET", "DISCORD", "ENTRAID", "FACEBOOK", "GITHUB", "GITLAB", "GOOGLE",
	"LINKEDIN", "SPOTIFY", "STRAVA", "TWITCH", "TWITTER", "WINDOWSLIVE", "WORKOS",
}

func signInStr(field func(*SignIn) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(&c.SignIn) = strings.TrimSpace(v)
		return nil
	}
}

func signInList(field func(*SignIn) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(&c.SignIn) = splitList(v)
		return nil
	}
}

func signInBool(field func(*SignIn) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		*field(&c.SignIn) = b
		return nil
	}
}

func signInDuration(unit time.Duration, field func(*SignIn) *time.Duration) func(*Config, string) error {
	set := duration(unit, func(c *Config) *time.Duration { return field(&c.SignIn) })
	return set
}

func signInCount(field func(*SignIn) *int) func(*Config, string) error {
	return count(func(c *Config) *int { return field(&c.SignIn) })
}

// ignoredSetting is a Nhost Auth variable that means nothing in-process.
func ignoredSetting(env, why string) setting {
	return setting{env: env, metavar: "<IGNORED>", help: "Ignored with a warning: " + why,
		set: func(c *Config, v string) error {
			c.SignIn.Ignored = append(c.SignIn.Ignored, env)
			return nil
		}}
}

// refusedSwitch is a Nhost Auth switch for a feature graft lacks: true is
// refused while the sign-in service is on.
func refusedSwitch(env, what string) setting {
	return setting{env: env, metavar: "<true|false>", help: "Refused when true: " + what + " is not available yet",
		set: func(c *Config, v string) error {
			b, err := parseBool(v)
			if err != nil {
				return err
			}
			if b {
				c.SignIn.Refused = append(c.SignIn.Refused, env)
			}
			return nil
		}}
}

// refusedValue is a Nhost Auth setting whose any value is refused while
// the sign-in service is on.
func refusedValue(env, what string) setting {
	return setting{env: env, metavar: "<VALUE>", help: "Refused when set: " + what + " is not available yet",
		set: func(c *Config, v string) error {
			c.SignIn.Refused = append(c.SignIn.Refused, env)
			return nil
		}}
}

func rateLimitSettings(name string, field func(*SignIn) *RateLimit, burst int, interval string) []setting {
	return []setting{
		{env: "AUTH_RATE_LIMIT_" + name + "_BURST", metavar: "<N>",
			help: fmt.Sprintf("Requests allowed per interval in the %s bucket (default: %d)", strings.ToLower(strings.ReplaceAll(name, "_", "-")), burst),
			set:  signInCount(func(s *SignIn) *int { return &field(s).Burst })},
		{env: "AUTH_RATE_LIMIT_" + name + "_INTERVAL", metavar: "<DURATION>",
			help: fmt.Sprintf("Interval of the %s bucket, a duration such as 5m (default: %s)", strings.ToLower(strings.ReplaceAll(name, "_", "-")), interval),
			set:  signInDuration(time.Second, func(s *SignIn) *time.Duration { return &field(s).Interval })},
	}
}

func init() { settings = append(settings, signInSettings()...) }

// signInSettings are the variables of the sign-in service (signin.md §3).
func signInSettings() []setting {
	out := []setting{
		{env: "AUTH_SERVER_URL", metavar: "<URL>",
			help: "Public URL of the sign-in service, base of emailed links (default: http://localhost:<port>/auth/v1)",
			set:  signInStr(func(s *SignIn) *string { return &s.ServerURL })},
		{env: "AUTH_CLIENT_URL", metavar: "<URL>",
			help: "Frontend URL: the default redirectTo, always allowed; required with SMTP",
			set:  signInStr(func(s *SignIn) *string { return &s.ClientURL })},
		{env: "AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS", metavar: "<URLS>",
			help: "Comma-separated further allowed redirect URL patterns",
			set:  signInList(func(s *SignIn) *[]string { return &s.AllowedRedirectURLs })},
		{env: "AUTH_ACCESS_CONTROL_ALLOWED_EMAILS", metavar: "<EMAILS>",
			help: "Comma-separated emails allowed to sign up and in (default: all)",
			set:  signInList(func(s *SignIn) *[]string { return &s.AllowedEmails })},
		{env: "AUTH_ACCESS_CONTROL_ALLOWED_EMAIL_DOMAINS", metavar: "<DOMAINS>",
			help: "Comma-separated email domains allowed to sign up and in (default: all)",
			set:  signInList(func(s *SignIn) *[]string { return &s.AllowedEmailDomains })},
		{env: "AUTH_ACCESS_CONTROL_BLOCKED_EMAILS", metavar: "<EMAILS>",
			help: "Comma-separated emails refused",
			set:  signInList(func(s *SignIn) *[]string { return &s.BlockedEmails })},
		{env: "AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS", metavar: "<DOMAINS>",
			help: "Comma-separated email domains refused",
			set:  signInList(func(s *SignIn) *[]string { return &s.BlockedEmailDomains })},
		{env: "AUTH_ACCESS_TOKEN_EXPIRES_IN", metavar: "<SECONDS>",
			help: "Access token lifetime in seconds (default: 900)",
			set:  signInDuration(time.Second, func(s *SignIn) *time.Duration { return &s.AccessTokenExpiresIn })},
		{env: "AUTH_REFRESH_TOKEN_EXPIRES_IN", metavar: "<SECONDS>",
			help: "Refresh token lifetime in seconds, sliding (default: 2592000)",
			set:  signInDuration(time.Second, func(s *SignIn) *time.Duration { return &s.RefreshTokenExpiresIn })},
		{env: "AUTH_USER_DEFAULT_ROLE", metavar: "<ROLE>",
			help: "Default role of new users (default: user)",
			set:  signInStr(func(s *SignIn) *string { return &s.DefaultRole })},
		{env: "AUTH_USER_DEFAULT_ALLOWED_ROLES", metavar: "<ROLES>",
			help: "Comma-separated roles of new users, besides the default role (default: me)",
			set:  signInList(func(s *SignIn) *[]string { return &s.DefaultAllowedRoles })},
		{env: "AUTH_LOCALE_DEFAULT", metavar: "<LOCALE>",
			help: "Default locale of new users (default: en)",
			set:  signInStr(func(s *SignIn) *string { return &s.LocaleDefault })},
		{env: "AUTH_LOCALE_ALLOWED_LOCALES", metavar: "<LOCALES>",
			help: "Comma-separated allowed locales (default: en)",
			set:  signInList(func(s *SignIn) *[]string { return &s.AllowedLocales })},
		{env: "AUTH_DISABLE_SIGNUP", metavar: "<true|false>",
			help: "Refuse every sign-up, anonymous included (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.DisableSignup })},
		{env: "AUTH_DISABLE_NEW_USERS", metavar: "<true|false>",
			help: "Store new users disabled (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.DisableNewUsers })},
		{env: "AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED", metavar: "<true|false>",
			help: "Users must verify their email before signing in (default: true with SMTP, else false)",
			set: func(c *Config, v string) error {
				b, err := parseBool(v)
				if err != nil {
					return err
				}
				c.SignIn.EmailVerifiedRequired = &b
				return nil
			}},
		{env: "AUTH_ANONYMOUS_USERS_ENABLED", metavar: "<true|false>",
			help: "Enable anonymous sign-in (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.AnonymousUsersEnabled })},
		{env: "AUTH_MFA_ENABLED", metavar: "<true|false>",
			help: "Enable TOTP multi-factor authentication (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.MFAEnabled })},
		{env: "AUTH_MFA_TOTP_ISSUER", metavar: "<ISSUER>",
			help: "Issuer shown in authenticator apps (default: auth)",
			set:  signInStr(func(s *SignIn) *string { return &s.TOTPIssuer })},
		{env: "AUTH_PASSWORD_MIN_LENGTH", metavar: "<N>",
			help: "Minimum password length in characters (default: 9)",
			set:  signInCount(func(s *SignIn) *int { return &s.PasswordMinLength })},
		{env: "AUTH_CONCEAL_ERRORS", metavar: "<true|false>",
			help: "Answer sensitive errors with invalid-request (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.ConcealErrors })},
		{env: "AUTH_GRAVATAR_ENABLED", metavar: "<true|false>",
			help: "Give new users a Gravatar avatarUrl (default: true)",
			set:  signInBool(func(s *SignIn) *bool { return &s.GravatarEnabled })},
		{env: "AUTH_GRAVATAR_DEFAULT", metavar: "<DEFAULT>",
			help: "Gravatar default image (default: blank)",
			set:  signInStr(func(s *SignIn) *string { return &s.GravatarDefault })},
		{env: "AUTH_GRAVATAR_RATING", metavar: "<RATING>",
			help: "Gravatar rating (default: g)",
			set:  signInStr(func(s *SignIn) *string { return &s.GravatarRating })},
		{env: "AUTH_SMTP_HOST", metavar: "<HOST>",
			help: "SMTP server for verification and reset emails (default: none, no mail)",
			set:  signInStr(func(s *SignIn) *string { return &s.SMTP.Host })},
		{env: "AUTH_SMTP_PORT", metavar: "<PORT>",
			help: "SMTP port (default: 587)",
			set:  port(func(c *Config) *int { return &c.SignIn.SMTP.Port })},
		{env: "AUTH_SMTP_USER", metavar: "<USER>",
			help: "SMTP user name",
			set:  signInStr(func(s *SignIn) *string { return &s.SMTP.User })},
		{env: "AUTH_SMTP_PASS", metavar: "<PASSWORD>",
			help: "SMTP password",
			set:  secret(func(c *Config) *Secret { return &c.SignIn.SMTP.Pass })},
		{env: "AUTH_SMTP_SENDER", metavar: "<ADDRESS>",
			help: "From address of the emails",
			set:  signInStr(func(s *SignIn) *string { return &s.SMTP.Sender })},
		{env: "AUTH_SMTP_SECURE", metavar: "<true|false>",
			help: "Implicit TLS; else STARTTLS when the server offers it (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.SMTP.Secure })},
		{env: "AUTH_SMTP_AUTH_METHOD", metavar: "<METHOD>",
			help: "SMTP authentication: PLAIN, LOGIN or CRAM-MD5 (default: PLAIN)",
			set: func(c *Config, v string) error {
				m := strings.ToUpper(strings.TrimSpace(v))
				switch m {
				case "PLAIN", "LOGIN", "CRAM-MD5":
					c.SignIn.SMTP.AuthMethod = m
					return nil
				}
				return fmt.Errorf("%q is not PLAIN, LOGIN or CRAM-MD5", v)
			}},
		{env: "AUTH_EMAIL_TEMPLATES_PATH", metavar: "<DIR>",
			help: "Directory of email templates in Nhost's layout (default: built-in templates)",
			set:  signInStr(func(s *SignIn) *string { return &s.EmailTemplatesPath })},
		{env: "AUTH_RATE_LIMIT_ENABLE", metavar: "<true|false>",
			help: "Per-IP rate limits of the sign-in service (default: true)",
			set:  signInBool(func(s *SignIn) *bool { return &s.RateLimitEnabled })},
		{env: "AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL", metavar: "<true|false>",
			help: "Count emails for all clients together (default: false)",
			set:  signInBool(func(s *SignIn) *bool { return &s.RateLimitEmailIsGlobal })},
		{env: "GRAFT_AUTH_REFRESH_GRACE_SECONDS", metavar: "<SECONDS>",
			help: "Grace window in which a just-rotated refresh token still answers with its successor; 0 turns it off (default: 10)",
			set:  signInDuration(time.Second, func(s *SignIn) *time.Duration { return &s.RefreshGrace })},
		{env: "GRAFT_AUTH_PASSWORD_HASH", metavar: "<argon2id|bcrypt>",
			help: "Hash of new passwords; bcrypt keeps them readable by Nhost Auth (default: argon2id)",
			set:  oneOf([]string{"argon2id", "bcrypt"}, func(c *Config) *string { return &c.SignIn.PasswordHash })},
		{env: "GRAFT_AUTH_PASSWORD_CHANGE_REVOKES", metavar: "<all|sessions|none>",
			help: "What a password change revokes: all refresh tokens and PATs, sessions only, or none (default: all)",
			set:  oneOf([]string{"all", "sessions", "none"}, func(c *Config) *string { return &c.SignIn.PasswordChangeRevokes })},
		{env: "GRAFT_AUTH_LOCKOUT_THRESHOLD", metavar: "<N>",
			help: "Consecutive failures before the per-account back-off starts (default: 5)",
			set:  signInCount(func(s *SignIn) *int { return &s.LockoutThreshold })},
		{env: "GRAFT_AUTH_LOCKOUT_MAX", metavar: "<DURATION>",
			help: "Longest per-account back-off (default: 15m)",
			set:  signInDuration(time.Second, func(s *SignIn) *time.Duration { return &s.LockoutMax })},
		{env: "GRAFT_AUTH_CLEANUP_INTERVAL", metavar: "<DURATION>",
			help: "Period of the sweep of expired refresh tokens (default: 1h)",
			set:  signInDuration(time.Second, func(s *SignIn) *time.Duration { return &s.CleanupInterval })},
		{env: "GRAFT_TRUSTED_PROXIES", metavar: "<CIDRS>",
			help: "Comma-separated CIDRs whose X-Forwarded-For the sign-in service believes (default: none)",
			set: func(c *Config, v string) error {
				list := splitList(v)
				for _, p := range list {
					if _, err := parsePrefix(p); err != nil {
						return err
					}
				}
				c.SignIn.TrustedProxies = list
				return nil
			}},
	}
	out = append(out, rateLimitSettings("GLOBAL", func(s *SignIn) *RateLimit { return &s.RateLimitGlobal }, 100, "1m")...)
	out = append(out, rateLimitSettings("BRUTE_FORCE", func(s *SignIn) *RateLimit { return &s.RateLimitBruteForce }, 10, "5m")...)
	out = append(out, rateLimitSettings("SIGNUPS", func(s *SignIn) *RateLimit { return &s.RateLimitSignups }, 10, "5m")...)
	out = append(out, rateLimitSettings("EMAIL", func(s *SignIn) *RateLimit { return &s.RateLimitEmail }, 10, "1h")...)

	const inProcess = "the sign-in service runs in-process on graft's port and database"
	for _, env := range []string{"AUTH_PORT", "AUTH_API_PREFIX", "POSTGRES_CONNECTION", "POSTGRES_MIGRATIONS_CONNECTION",
		"HASURA_GRAPHQL_GRAPHQL_URL", "AUTH_RATE_LIMIT_MEMCACHE_SERVER", "AUTH_RATE_LIMIT_MEMCACHE_PREFIX"} {
		out = append(out, ignoredSetting(env, inProcess))
	}
	out = append(out,
		refusedSwitch("AUTH_EMAIL_PASSWORDLESS_ENABLED", "magic-link sign-in"),
		refusedSwitch("AUTH_OTP_EMAIL_ENABLED", "email OTP sign-in"),
		refusedSwitch("AUTH_SMS_PASSWORDLESS_ENABLED", "SMS sign-in"),
		refusedSwitch("AUTH_WEBAUTHN_ENABLED", "WebAuthn"),
		refusedSwitch("AUTH_PASSWORD_HIBP_ENABLED", "the HIBP password check"),
		refusedValue("AUTH_JWT_CUSTOM_CLAIMS", "custom JWT claims"),
		refusedValue("AUTH_TURNSTILE_SECRET", "Turnstile"),
		setting{env: "AUTH_REQUIRE_ELEVATED_CLAIM", metavar: "<disabled>",
			help: "Refused unless disabled: elevation is not available yet",
			set: func(c *Config, v string) error {
				if !strings.EqualFold(strings.TrimSpace(v), "disabled") {
					c.SignIn.Refused = append(c.SignIn.Refused, "AUTH_REQUIRE_ELEVATED_CLAIM")
				}
				return nil
			}},
	)
	for _, p := range signInProviders {
		out = append(out, refusedSwitch("AUTH_PROVIDER_"+p+"_ENABLED", "OAuth sign-in"))
	}
	return out
}

func parsePrefix(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an IP address", s)
}

// TrustedProxyPrefixes returns TrustedProxies parsed; Load has checked them.
func (s *SignIn) TrustedProxyPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s.TrustedProxies {
		if pp, err := parsePrefix(p); err == nil {
			out = append(out, pp)
		}
	}
	return out
}

// validateSignIn checks the sign-in settings while the service is on.
func (c *Config) validateSignIn() error {
	s := &c.SignIn
	if len(s.Refused) > 0 {
		return fmt.Errorf("%s: graft's sign-in service does not provide this yet; unset it", s.Refused[0])
	}
	if len(c.AdminSecretList()) == 0 && !c.DemoMode() {
		return errors.New("GRAFT_AUTH_ENABLED: requires HASURA_GRAPHQL_ADMIN_SECRET: without an admin secret every request is admin and the tokens of the sign-in service would mean nothing")
	}
	if c.JWTSecrets != "" {
		return errors.New("GRAFT_AUTH_ENABLED: HASURA_GRAPHQL_JWT_SECRETS is not supported with the sign-in service; use HASURA_GRAPHQL_JWT_SECRET or none (graft then generates a key)")
	}
	if s.EmailVerifiedRequired != nil && *s.EmailVerifiedRequired && !s.SMTPEnabled() {
		return errors.New("AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED: true needs AUTH_SMTP_HOST, or users could never verify their email")
	}
	if s.SMTPEnabled() && s.ClientURL == "" {
		return errors.New("AUTH_CLIENT_URL: required with AUTH_SMTP_HOST, as the target of emailed links")
	}
	if s.SMTPEnabled() && s.SMTP.Sender == "" {
		return errors.New("AUTH_SMTP_SENDER: required with AUTH_SMTP_HOST")
	}
	if s.DefaultRole == "" {
		return errors.New("AUTH_USER_DEFAULT_ROLE: empty")
	}
	if s.AccessTokenExpiresIn < time.Second {
		return errors.New("AUTH_ACCESS_TOKEN_EXPIRES_IN: must be at least 1 second")
	}
	if s.RefreshTokenExpiresIn < time.Second {
		return errors.New("AUTH_REFRESH_TOKEN_EXPIRES_IN: must be at least 1 second")
	}
	if s.PasswordMinLength < 1 {
		return errors.New("AUTH_PASSWORD_MIN_LENGTH: must be at least 1")
	}
	for _, rl := range []struct {
		name string
		rl   RateLimit
	}{{"GLOBAL", s.RateLimitGlobal}, {"BRUTE_FORCE", s.RateLimitBruteForce}, {"SIGNUPS", s.RateLimitSignups}, {"EMAIL", s.RateLimitEmail}} {
		if s.RateLimitEnabled && (rl.rl.Burst < 1 || rl.rl.Interval <= 0) {
			return fmt.Errorf("AUTH_RATE_LIMIT_%s_BURST/_INTERVAL: must be positive while AUTH_RATE_LIMIT_ENABLE is true", rl.name)
		}
	}
	for _, u := range append([]string{s.ServerURL, s.ClientURL}, s.AllowedRedirectURLs...) {
		if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") && !strings.Contains(u, "://") {
			return fmt.Errorf("%q is not an absolute URL (AUTH_SERVER_URL, AUTH_CLIENT_URL, AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS)", u)
		}
	}
	return nil
}
