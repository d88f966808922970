package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

func TestLoad_Defaults(t *testing.T) {
	t.Parallel()
	got, err := Load(envFunc(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.AuthEnabled = true // on by default in demo mode
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load with nothing set (-want +got):\n%s", diff)
	}
	if !got.DemoMode() {
		t.Error("DemoMode = false with no database URL")
	}
	if !got.APIEnabled(APIGraphQL) || got.APIEnabled(APIDeveloper) {
		t.Errorf("default APIs: %v", got.EnabledAPIs)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	const jwt = `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(c *Config) // applied to DefaultConfig()
	}{
		{
			name: "Database",
			env:  map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://db/app"},
			want: func(c *Config) { c.DatabaseURL = "postgres://db/app" },
		},
		{
			name: "MetadataDatabaseOnly",
			env:  map[string]string{"HASURA_GRAPHQL_METADATA_DATABASE_URL": "postgres://db/meta"},
			want: func(c *Config) { c.MetadataDatabaseURL = "postgres://db/meta" },
		},
		{
			name: "FlagBeatsEnv",
			env:  map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "9000", "HASURA_GRAPHQL_DATABASE_URL": "postgres://env/app"},
			args: []string{"serve", "--server-port", "9090", "--database-url=postgres://flag/app"},
			want: func(c *Config) { c.ServerPort = 9090; c.DatabaseURL = "postgres://flag/app" },
		},
		{
			name: "FlagsBeforeCommand",
			args: []string{"--database-url", "postgres://db/app", "serve", "--enable-console"},
			want: func(c *Config) { c.DatabaseURL = "postgres://db/app"; c.EnableConsole = true },
		},
		{
			name: "NoCommand",
			args: []string{"--server-port", "0"},
			want: func(c *Config) { c.ServerPort = 0 },
		},
		{
			name: "Switches",
			env:  map[string]string{"HASURA_GRAPHQL_DEV_MODE": "false"},
			args: []string{"serve", "--dev-mode", "--stringify-numeric-types", "--enable-console=false", "--disable-cors"},
			want: func(c *Config) { c.DevMode = true; c.StringifyNumericTypes = true; c.DisableCORS = true },
		},
		{
			name: "SwitchFromEnv",
			env: map[string]string{
				"HASURA_GRAPHQL_ENABLE_CONSOLE": "TRUE", "HASURA_GRAPHQL_DEV_MODE": "yes",
				"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES": "t", "HASURA_GRAPHQL_ENABLE_ALLOWLIST": "true",
			},
			want: func(c *Config) {
				c.EnableConsole, c.DevMode, c.StringifyNumericTypes, c.EnableAllowlist = true, true, true, true
			},
		},
		{
			name: "ValueBooleans",
			env:  map[string]string{"HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS": "false"},
			args: []string{"serve", "--admin-internal-errors", "false", "--use-prepared-statements", "no"},
			want: func(c *Config) {
				c.InferFunctionPermissions, c.AdminInternalErrors, c.UsePreparedStatements = false, false, false
			},
		},
		{
			name: "Durations",
			env: map[string]string{
				"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL": "250",
				"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE":                       "10",
				"HASURA_GRAPHQL_PG_CONN_LIFETIME":                          "0.5",
				"HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL":                 "0",
				"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT":         "1500ms",
			},
			args: []string{"serve", "--streaming-queries-multiplexed-refetch-interval", "2s"},
			want: func(c *Config) {
				c.LiveQueriesRefetchInterval = 250 * time.Millisecond
				c.WebsocketKeepAlive = 10 * time.Second
				c.PGConnLifetime = 500 * time.Millisecond
				c.SchemaSyncPollInterval = 0
				c.WebsocketConnectionInitTimeout = 1500 * time.Millisecond
				c.StreamingQueriesRefetchInterval = 2 * time.Second
			},
		},
		{
			name: "Counts",
			env: map[string]string{
				"HASURA_GRAPHQL_PG_CONNECTIONS":                      "20",
				"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE": "50",
				"HASURA_GRAPHQL_NO_OF_RETRIES":                       "3",
			},
			args: []string{"-c", "30", "--streaming-queries-multiplexed-batch-size", "10"},
			want: func(c *Config) {
				c.PGConnections, c.LiveQueriesBatchSize, c.PGRetries, c.StreamingQueriesBatchSize = 30, 50, 3, 10
			},
		},
		{
			name: "Lists",
			env: map[string]string{
				"HASURA_GRAPHQL_ENABLED_APIS":          "GraphQL, metadata,graphql",
				"HASURA_GRAPHQL_ENABLED_LOG_TYPES":     "startup,query-log",
				"HASURA_GRAPHQL_EXPERIMENTAL_FEATURES": "naming_convention",
				"HASURA_GRAPHQL_CORS_DOMAIN":           "https://example.com, http://localhost:3000,https://*.foo.bar.com",
			},
			want: func(c *Config) {
				c.EnabledAPIs = []API{APIGraphQL, APIMetadata}
				c.EnabledLogTypes = []string{"startup", "query-log"}
				c.ExperimentalFeatures = []string{"naming_convention"}
				c.CORSDomains = []string{"https://example.com", "http://localhost:3000", "https://*.foo.bar.com"}
			},
		},
		{
			name: "Enums",
			env: map[string]string{
				"HASURA_GRAPHQL_LOG_LEVEL":                 "debug",
				"HASURA_GRAPHQL_TX_ISOLATION":              "serializable",
				"HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION": "graphql-default",
			},
			want: func(c *Config) {
				c.LogLevel = slog.LevelDebug
				c.TxIsolation = "serializable"
				c.DefaultNamingConvention = "graphql-default"
			},
		},
		{
			name: "AccessKeyFallback",
			env:  map[string]string{"HASURA_GRAPHQL_ACCESS_KEY": "old"},
			want: func(c *Config) { c.AdminSecret = "old" },
		},
		{
			name: "AdminSecretBeatsAccessKey",
			env:  map[string]string{"HASURA_GRAPHQL_ACCESS_KEY": "old", "HASURA_GRAPHQL_ADMIN_SECRET": "new"},
			want: func(c *Config) { c.AdminSecret = "new" },
		},
		{
			name: "AccessKeyFlagBeatsEnv",
			env:  map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": "env"},
			args: []string{"serve", "--access-key", "flag"},
			want: func(c *Config) { c.AdminSecret = "flag" },
		},
		{
			name: "AdminSecretFlagBeatsAccessKeyFlag",
			args: []string{"serve", "--access-key", "old", "--admin-secret", "new"},
			want: func(c *Config) { c.AdminSecret = "new" },
		},
		{
			name: "AdminSecrets",
			env:  map[string]string{"HASURA_GRAPHQL_ADMIN_SECRETS": `["a","b"]`, "HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anonymous"},
			want: func(c *Config) { c.AdminSecrets = []Secret{"a", "b"}; c.UnauthorizedRole = "anonymous" },
		},
		{
			name: "JWTWithSecretAndUnauthorizedRole",
			env: map[string]string{
				"HASURA_GRAPHQL_ADMIN_SECRET": "s", "HASURA_GRAPHQL_JWT_SECRET": jwt, "HASURA_GRAPHQL_UNAUTHORIZED_ROLE": "anonymous",
			},
			want: func(c *Config) { c.AdminSecret = "s"; c.JWTSecret = jwt; c.UnauthorizedRole = "anonymous" },
		},
		{
			name: "EmptyJWTSecretsIsNoJWT",
			env:  map[string]string{"HASURA_GRAPHQL_JWT_SECRETS": "[]"},
			want: func(c *Config) {},
		},
		{
			name: "HookWithSecret",
			env:  map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": "s"},
			args: []string{"serve", "--auth-hook", "http://auth/hook", "--auth-hook-mode", "post"},
			want: func(c *Config) { c.AdminSecret = "s"; c.AuthHook = "http://auth/hook"; c.AuthHookMode = "POST" },
		},
		{
			name: "Graft",
			env:  map[string]string{"GRAFT_DATA_DIR": "/var/lib/graft", "GRAFT_AUTH_ENABLED": "true"},
			want: func(c *Config) { c.DataDir = "/var/lib/graft"; c.AuthEnabled = true },
		},
		{
			name: "AuthOffInDemo",
			env:  map[string]string{"GRAFT_AUTH_ENABLED": "false"},
			want: func(c *Config) {},
		},
		{
			name: "SignIn",
			env: map[string]string{"HASURA_GRAPHQL_DATABASE_URL": "postgres://db/app", "HASURA_GRAPHQL_ADMIN_SECRET": "s",
				"GRAFT_AUTH_ENABLED": "true", "AUTH_ACCESS_TOKEN_EXPIRES_IN": "60", "AUTH_USER_DEFAULT_ALLOWED_ROLES": "me, editor",
				"AUTH_RATE_LIMIT_BRUTE_FORCE_INTERVAL": "30s", "AUTH_RATE_LIMIT_BRUTE_FORCE_BURST": "3", "AUTH_PORT": "4000",
				"GRAFT_AUTH_REFRESH_GRACE_SECONDS": "0", "GRAFT_TRUSTED_PROXIES": "10.0.0.0/8,192.168.1.1", "AUTH_PROVIDER_GITHUB_ENABLED": "false"},
			want: func(c *Config) {
				c.DatabaseURL, c.AdminSecret, c.AuthEnabled = "postgres://db/app", "s", true
				c.SignIn.AccessTokenExpiresIn = time.Minute
				c.SignIn.DefaultAllowedRoles = []string{"me", "editor"}
				c.SignIn.RateLimitBruteForce = RateLimit{Burst: 3, Interval: 30 * time.Second}
				c.SignIn.Ignored = []string{"AUTH_PORT"}
				c.SignIn.RefreshGrace = 0
				c.SignIn.TrustedProxies = []string{"10.0.0.0/8", "192.168.1.1"}
			},
		},
		{
			name: "IgnoredPlanCacheSize",
			env:  map[string]string{"HASURA_GRAPHQL_QUERY_PLAN_CACHE_SIZE": "4000"},
			want: func(c *Config) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Load(envFunc(tt.env), tt.args)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			want := DefaultConfig()
			tt.want(&want)
			if want.DemoMode() && tt.env["GRAFT_AUTH_ENABLED"] == "" {
				want.AuthEnabled = true // on by default in demo mode
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad_FlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"Port", []string{"serve", "--server-port", "abc"}, `--server-port: "abc" is not a valid port`},
		{"Alias", []string{"serve", "-c", "many"}, `--connections: "many" is not a non-negative integer`},
		{"Bool", []string{"serve", "--admin-internal-errors=sometimes"}, `--admin-internal-errors: "sometimes" is not a boolean (use true or false)`},
		{"Switch", []string{"serve", "--enable-console=sometimes"}, `--enable-console: "sometimes" is not a boolean (use true or false)`},
		{"Duration", []string{"serve", "--websocket-keepalive", "-1s"}, `--websocket-keepalive: "-1s" is not a valid duration: it is negative`},
		{"API", []string{"serve", "--enabled-apis", "graphql,rest"}, `--enabled-apis: unknown API "rest" (known: metadata, graphql, pgdump, config, developer, metrics)`},
		{"UnknownFlag", []string{"serve", "--no-such-flag"}, `flag provided but not defined: -no-such-flag (see graft serve --help)`},
		{"MissingValue", []string{"serve", "--server-port"}, `flag needs an argument: -server-port (see graft serve --help)`},
		{"UnknownCommand", []string{"migrate"}, `unknown command "migrate": graft knows serve (see graft serve --help)`},
		{"ExtraArgument", []string{"serve", "now"}, `graft serve: unexpected argument "now" (see graft serve --help)`},
		{"Validate", []string{"serve", "--unauthorized-role", "anonymous"}, ErrUnauthorizedRole.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(envFunc(nil), tt.args)
			if err == nil {
				t.Fatalf("Load(%q) succeeded, want %q", tt.args, tt.want)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("Load(%q) error (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// badEnv pairs each testdata/*.bad.env with the one line Load must reject
// it with.
var badEnv = map[string]string{
	"port_not_number":        `HASURA_GRAPHQL_SERVER_PORT: "abc" is not a valid port`,
	"port_out_of_range":      `HASURA_GRAPHQL_SERVER_PORT: "70000" is not a valid port`,
	"unknown_api":            `HASURA_GRAPHQL_ENABLED_APIS: unknown API "rest" (known: metadata, graphql, pgdump, config, developer, metrics)`,
	"bool_not_boolean":       `HASURA_GRAPHQL_ENABLE_CONSOLE: "maybe" is not a boolean (use true or false)`,
	"negative_duration":      `HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE: "-5" is not a valid duration: it is negative`,
	"bad_duration":           `HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: "fast" is not a valid duration (a number of milliseconds, or a duration such as 500ms or 2s)`,
	"negative_connections":   `HASURA_GRAPHQL_PG_CONNECTIONS: "-1" is not a non-negative integer`,
	"log_level":              `HASURA_GRAPHQL_LOG_LEVEL: "verbose" is not a log level (debug, info, warn or error)`,
	"log_type":               `HASURA_GRAPHQL_ENABLED_LOG_TYPES: unknown log type "http-logs" (known: startup, http-log, webhook-log, websocket-log, query-log, execution-log, livequery-poller-log, action-handler-log, data-connector-log, jwk-refresh-log, validate-input-log)`,
	"tx_isolation":           `HASURA_GRAPHQL_TX_ISOLATION: "read-uncommitted" is not one of read-committed, repeatable-read, serializable`,
	"auth_hook_mode":         `HASURA_GRAPHQL_AUTH_HOOK_MODE: "PUT" is not GET or POST`,
	"naming_convention":      `HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION: "camelCase" is not one of hasura-default, graphql-default`,
	"experimental_feature":   `HASURA_GRAPHQL_EXPERIMENTAL_FEATURES: unknown experimental feature "time_travel" (known: inherited_roles, optimize_permission_filters, naming_convention, streaming_subscriptions, apollo_federation, hide_update_many_fields, hide_aggregation_predicates, hide_stream_fields, disable_postgres_arrays, remove_empty_subscription_responses, bigquery_string_numeric_input)`,
	"cors_no_scheme":         `HASURA_GRAPHQL_CORS_DOMAIN: "localhost:3000" is not a domain with scheme, such as https://example.com or http://localhost:3000`,
	"admin_secrets_not_list": `HASURA_GRAPHQL_ADMIN_SECRETS: not a JSON list of strings: invalid character 's' looking for beginning of value`,
	"jwt_secret_not_json":    `HASURA_GRAPHQL_JWT_SECRET: not a JSON object: invalid character 'H' looking for beginning of value`,
	"graft_auth_enabled":     `GRAFT_AUTH_ENABLED: "on" is not a boolean (use true or false)`,
	"auth_without_secret":    "GRAFT_AUTH_ENABLED: requires HASURA_GRAPHQL_ADMIN_SECRET: without an admin secret every request is admin and the tokens of the sign-in service would mean nothing",
	"auth_refused_provider":  "AUTH_PROVIDER_GITHUB_ENABLED: graft's sign-in service does not provide this yet; unset it",
	"auth_verify_no_smtp":    "AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED: true needs AUTH_SMTP_HOST, or users could never verify their email",
	"auth_jwt_secrets":       "GRAFT_AUTH_ENABLED: HASURA_GRAPHQL_JWT_SECRETS is not supported with the sign-in service; use HASURA_GRAPHQL_JWT_SECRET or none (graft then generates a key)",
	"auth_smtp_method":       `AUTH_SMTP_AUTH_METHOD: "XOAUTH2" is not PLAIN, LOGIN or CRAM-MD5`,
	"auth_trusted_proxies":   `GRAFT_TRUSTED_PROXIES: "10.0.0.0/33" is not a CIDR such as 10.0.0.0/8 or an IP address`,

	// Hasura's startup checks, with its exact texts.
	"jwt_without_admin_secret":                "Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set",
	"hook_without_admin_secret":               "Fatal Error : --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set",
	"hook_and_jwt":                            "Fatal Error: Both webhook and JWT mode cannot be enabled at the same time",
	"hook_and_jwt_without_secret":             "Fatal Error: Both webhook and JWT mode cannot be enabled at the same time",
	"unauthorized_role_without_secret":        "Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set",
	"unauthorized_role_with_hook":             "Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set",
	"unauthorized_role_with_jwt_secrets_only": "Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set",
}

// readEnvFile reads KEY=VALUE lines; blank lines and # comments are skipped.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: line %q is not KEY=VALUE", path, line)
		}
		env[k] = v
	}
	return env
}

func TestLoad_BadEnv(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.bad.env"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bad.env")
		names = append(names, name)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want, ok := badEnv[name]
			if !ok {
				t.Fatalf("no expected error for %s in badEnv", f)
			}
			_, err := Load(envFunc(readEnvFile(t, f)), nil)
			if err == nil {
				t.Fatalf("Load accepted %s, want %q", f, want)
			}
			if diff := cmp.Diff(want, err.Error()); diff != "" {
				t.Errorf("Load(%s) error (-want +got):\n%s", f, diff)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	var missing []string
	for name := range badEnv {
		if _, err := os.Stat(filepath.Join("testdata", name+".bad.env")); err != nil {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("badEnv names files that do not exist: %v", missing)
	}
}

func TestConfig_Validate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *Config)
		want   error // nil for valid; compared by text
	}{
		{"Default", func(c *Config) {}, nil},
		{"SecretOnly", func(c *Config) { c.AdminSecret = "s" }, nil},
		{"SecretAndRole", func(c *Config) { c.AdminSecret = "s"; c.UnauthorizedRole = "anon" }, nil},
		{"SecretAndHook", func(c *Config) { c.AdminSecret = "s"; c.AuthHook = "http://h" }, nil},
		{"SecretsListAndJWT", func(c *Config) { c.AdminSecrets = []Secret{"a"}; c.JWTSecrets = "[{}]" }, nil},
		{"JWTOnly", func(c *Config) { c.JWTSecret = "{}" }, ErrJWTWithoutSecret},
		{"HookOnly", func(c *Config) { c.AuthHook = "http://h" }, ErrHookWithoutSecret},
		{"HookAndJWT", func(c *Config) { c.AdminSecret = "s"; c.AuthHook = "http://h"; c.JWTSecret = "{}" }, ErrHookAndJWT},
		{"RoleBeforeHookAndJWT", func(c *Config) { c.AuthHook = "http://h"; c.JWTSecret = "{}"; c.UnauthorizedRole = "anon" }, ErrUnauthorizedRole},
		{"Port", func(c *Config) { c.ServerPort = -1 }, errors.New("HASURA_GRAPHQL_SERVER_PORT: -1 is not a valid port")},
		{"API", func(c *Config) { c.EnabledAPIs = []API{"rest"} }, errors.New(`HASURA_GRAPHQL_ENABLED_APIS: unknown API "rest"`)},
		{"Duration", func(c *Config) { c.WebsocketKeepAlive = -time.Second }, errors.New("HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE: duration is negative")},
		{"Count", func(c *Config) { c.PGConnections = -2 }, errors.New("HASURA_GRAPHQL_PG_CONNECTIONS: -2 is negative")},
		{"DemoDataDir", func(c *Config) { c.DataDir = "" }, errors.New("GRAFT_DATA_DIR: empty, but demo mode (no HASURA_GRAPHQL_DATABASE_URL) needs a data directory")},
		{"DataDirUnusedWithDatabase", func(c *Config) { c.DataDir = ""; c.DatabaseURL = "postgres://db/app" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := DefaultConfig()
			tt.change(&c)
			got := fmt.Sprint(c.Validate())
			if diff := cmp.Diff(fmt.Sprint(tt.want), got); diff != "" {
				t.Errorf("Validate (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad_Help(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"serve", "--help"}, {"serve", "-h"}, {"--help"}} {
		if _, err := Load(envFunc(nil), args); !errors.Is(err, ErrHelp) {
			t.Errorf("Load(%q) = %v, want ErrHelp", args, err)
		}
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	u := Usage()
	for _, s := range settings {
		if !strings.Contains(u, s.env) {
			t.Errorf("usage does not mention %s", s.env)
		}
		for _, f := range s.flags {
			name := "--" + f
			if len(f) == 1 {
				name = "-" + f
			}
			if !strings.Contains(u, name) {
				t.Errorf("usage does not mention %s", name)
			}
		}
	}
	// A flag and its variable are shown together.
	if !strings.Contains(u, "  --server-port <PORT>\n      Port on which graft listens (default: 8080)\n      env: HASURA_GRAPHQL_SERVER_PORT\n") {
		t.Errorf("usage does not show --server-port with its variable:\n%s", u)
	}
}

// TestSettings_Unique guards the table against copy-paste slips.
func TestSettings_Unique(t *testing.T) {
	t.Parallel()
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, s := range settings {
		if envs[s.env] {
			t.Errorf("variable %s listed twice", s.env)
		}
		envs[s.env] = true
		for _, f := range s.flags {
			if flags[f] {
				t.Errorf("flag %s listed twice", f)
			}
			flags[f] = true
		}
		if !s.isSwitch && len(s.flags) > 0 && s.metavar == "" {
			t.Errorf("flag %s takes a value but has no metavar", s.flags[0])
		}
	}
}

func TestSecret_Redacted(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.AdminSecret = "hunter2"
	c.JWTSecret = `{"key":"hunter3"}`
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("config", "admin_secret", c.AdminSecret, "jwt", c.JWTSecret)
	out := buf.String() + fmt.Sprintf("%v %+v", c.AdminSecret, c)
	if strings.Contains(out, "hunter") {
		t.Errorf("secret leaked: %s", out)
	}
	if !strings.Contains(buf.String(), "admin_secret=[redacted]") {
		t.Errorf("log does not show the secret as redacted: %s", buf.String())
	}
}
