package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"
)

// setting is one configuration variable: its environment name, its flag
// (if any), its help text and how a raw string sets it.
type setting struct {
	env     string   // HASURA_GRAPHQL_SERVER_PORT
	flags   []string // server-port; the first is the name shown in help; none = env only
	metavar string   // <PORT>; "" for a switch
	help    string   // one line, with the default
	// isSwitch marks a flag that takes no value (--enable-console), as in
	// Hasura; --enable-console=false is accepted too.
	isSwitch bool
	set      func(c *Config, v string) error
}

// settings lists every variable, in the order of Hasura's serve --help.
// A flag given on the command line wins over the environment.
var settings = []setting{
	{env: "HASURA_GRAPHQL_DATABASE_URL", flags: []string{"database-url"}, metavar: "<DATABASE-URL>",
		help: "PostgreSQL database URL, served as source \"default\" (unset: demo mode, a private PostgreSQL with sample data)",
		set:  str(func(c *Config) *string { return &c.DatabaseURL })},
	{env: "HASURA_GRAPHQL_METADATA_DATABASE_URL", flags: []string{"metadata-database-url"}, metavar: "<METADATA-DATABASE-URL>",
		help: "PostgreSQL database URL where metadata is stored (default: the database URL)",
		set:  str(func(c *Config) *string { return &c.MetadataDatabaseURL })},
	{env: "HASURA_GRAPHQL_SERVER_PORT", flags: []string{"server-port"}, metavar: "<PORT>",
		help: "Port on which graft listens (default: 8080)",
		set:  port(func(c *Config) *int { return &c.ServerPort })},
	{env: "HASURA_GRAPHQL_SERVER_HOST", flags: []string{"server-host"}, metavar: "<HOST>",
		help: "Host on which graft listens (default: *, every interface)",
		set:  str(func(c *Config) *string { return &c.ServerHost })},
	{env: "HASURA_GRAPHQL_PG_STRIPES", flags: []string{"stripes", "s"}, metavar: "<NO OF STRIPES>",
		help: "Accepted for compatibility; graft keeps one pool per source (default: 1)",
		set:  count(func(c *Config) *int { return &c.PGStripes })},
	{env: "HASURA_GRAPHQL_PG_CONNECTIONS", flags: []string{"connections", "c"}, metavar: "<NO OF CONNS>",
		help: "Maximum number of PostgreSQL connections of the default source (default: 50)",
		set:  count(func(c *Config) *int { return &c.PGConnections })},
	{env: "HASURA_GRAPHQL_PG_TIMEOUT", flags: []string{"timeout"}, metavar: "<SECONDS>",
		help: "Each connection's idle time before it is closed (default: 180 sec)",
		set:  duration(time.Second, func(c *Config) *time.Duration { return &c.PGIdleTimeout })},
	{env: "HASURA_GRAPHQL_PG_CONN_LIFETIME", flags: []string{"conn-lifetime"}, metavar: "<SECONDS>",
		help: "Time after which a connection is replaced; 0 means never (default: 600 sec)",
		set:  duration(time.Second, func(c *Config) *time.Duration { return &c.PGConnLifetime })},
	{env: "HASURA_GRAPHQL_USE_PREPARED_STATEMENTS", flags: []string{"use-prepared-statements"}, metavar: "<true|false>",
		help: "Use prepared statements for queries (default: true)",
		set:  boolean(func(c *Config) *bool { return &c.UsePreparedStatements })},
	{env: "HASURA_GRAPHQL_PG_POOL_TIMEOUT", flags: []string{"pool-timeout"}, metavar: "<SECONDS>",
		help: "How long to wait for a free PostgreSQL connection (default: forever)",
		set:  duration(time.Second, func(c *Config) *time.Duration { return &c.PGPoolTimeout })},
	{env: "HASURA_GRAPHQL_NO_OF_RETRIES", metavar: "<NO OF RETRIES>",
		help: "How often a failed PostgreSQL connection is retried (default: 1)",
		set:  count(func(c *Config) *int { return &c.PGRetries })},
	{env: "HASURA_GRAPHQL_TX_ISOLATION", flags: []string{"tx-iso", "i"}, metavar: "<TXISO>",
		help: "Transaction isolation: read-committed, repeatable-read or serializable (default: read-committed)",
		set:  oneOf([]string{"read-committed", "repeatable-read", "serializable"}, func(c *Config) *string { return &c.TxIsolation })},
	{env: "HASURA_GRAPHQL_ADMIN_SECRET", flags: []string{"admin-secret"}, metavar: "<ADMIN SECRET KEY>",
		help: "Admin secret key, required to access this instance",
		set:  secret(func(c *Config) *Secret { return &c.AdminSecret })},
	{env: "HASURA_GRAPHQL_ACCESS_KEY", flags: []string{"access-key"}, metavar: "<ADMIN SECRET KEY>",
		help: "Deprecated name of the admin secret",
		set:  setAccessKey},
	{env: "HASURA_GRAPHQL_ADMIN_SECRETS", metavar: "<JSON LIST>",
		help: `Several admin secrets as a JSON list, e.g. ["s1","s2"]; replaces the admin secret`,
		set:  setAdminSecrets},
	{env: "HASURA_GRAPHQL_AUTH_HOOK", flags: []string{"auth-hook"}, metavar: "<WEB HOOK URL>",
		help: "URL of the authorization webhook required to authorize requests",
		set:  str(func(c *Config) *string { return &c.AuthHook })},
	{env: "HASURA_GRAPHQL_AUTH_HOOK_MODE", flags: []string{"auth-hook-mode"}, metavar: "<GET|POST>",
		help: "HTTP method to use for the authorization webhook (default: GET)",
		set:  setAuthHookMode},
	{env: "HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY", metavar: "<true|false>",
		help: "Send the GraphQL request to a POST webhook (default: true)",
		set:  boolean(func(c *Config) *bool { return &c.AuthHookSendRequestBody })},
	{env: "HASURA_GRAPHQL_JWT_SECRET", flags: []string{"jwt-secret"}, metavar: "<JSON CONFIG>",
		help: `JWT configuration as JSON, e.g. {"type": "HS256", "key": "<secret>"}`,
		set:  setJWTSecret},
	{env: "HASURA_GRAPHQL_JWT_SECRETS", metavar: "<JSON LIST>",
		help: "Several JWT configurations as a JSON list; replaces the JWT secret",
		set:  setJWTSecrets},
	{env: "HASURA_GRAPHQL_UNAUTHORIZED_ROLE", flags: []string{"unauthorized-role"}, metavar: "<ROLE>",
		help: "Role of requests without an admin secret (admin secret mode) or without a token (JWT mode)",
		set:  str(func(c *Config) *string { return &c.UnauthorizedRole })},
	{env: "HASURA_GRAPHQL_CORS_DOMAIN", flags: []string{"cors-domain"}, metavar: "<DOMAINS>",
		help: "Comma-separated origins allowed by CORS, with scheme and port; wildcards allowed (default: *)",
		set:  setCORSDomains},
	{env: "HASURA_GRAPHQL_DISABLE_CORS", flags: []string{"disable-cors"}, isSwitch: true,
		help: "Disable CORS: send no CORS headers on any request",
		set:  boolean(func(c *Config) *bool { return &c.DisableCORS })},
	{env: "HASURA_GRAPHQL_ENABLE_CONSOLE", flags: []string{"enable-console"}, isSwitch: true,
		help: "Enable the console at /console (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.EnableConsole })},
	{env: "HASURA_GRAPHQL_CONSOLE_ASSETS_DIR", flags: []string{"console-assets-dir"}, metavar: "<DIR>",
		help: "Directory to serve the console's assets from (default: embedded)",
		set:  str(func(c *Config) *string { return &c.ConsoleAssetsDir })},
	{env: "HASURA_GRAPHQL_ENABLE_TELEMETRY", flags: []string{"enable-telemetry"}, metavar: "<true|false>",
		help: "Accepted for compatibility; graft sends no telemetry",
		set:  boolean(func(c *Config) *bool { return &c.EnableTelemetry })},
	{env: "HASURA_GRAPHQL_WS_READ_COOKIE", flags: []string{"ws-read-cookie"}, isSwitch: true,
		help: "Read cookies on the websocket handshake even when CORS is disabled",
		set:  boolean(func(c *Config) *bool { return &c.WSReadCookie })},
	{env: "HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES", flags: []string{"stringify-numeric-types"}, isSwitch: true,
		help: "Return numeric types as strings (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.StringifyNumericTypes })},
	{env: "HASURA_GRAPHQL_V1_BOOLEAN_NULL_COLLAPSE", flags: []string{"v1-boolean-null-collapse"}, metavar: "<true|false>",
		help: "Treat an explicit null in a boolean expression as true, as v1 did (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.V1BooleanNullCollapse })},
	{env: "HASURA_GRAPHQL_ENABLED_APIS", flags: []string{"enabled-apis"}, metavar: "<APIS>",
		help: "Comma-separated enabled APIs: metadata, graphql, pgdump, config, developer, metrics (default: metadata,graphql,pgdump,config)",
		set:  setEnabledAPIs},
	{env: "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", flags: []string{"live-queries-multiplexed-refetch-interval"}, metavar: "<INTERVAL(ms)>",
		help: "Live query results are sent at most once per this interval, in milliseconds (default: 1000)",
		set:  duration(time.Millisecond, func(c *Config) *time.Duration { return &c.LiveQueriesRefetchInterval })},
	{env: "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", flags: []string{"live-queries-multiplexed-batch-size"}, metavar: "<BATCH_SIZE>",
		help: "Live queries polled in one SQL statement (default: 100)",
		set:  count(func(c *Config) *int { return &c.LiveQueriesBatchSize })},
	{env: "HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", flags: []string{"streaming-queries-multiplexed-refetch-interval"}, metavar: "<INTERVAL(ms)>",
		help: "Streaming subscription poll interval, in milliseconds (default: 1000)",
		set:  duration(time.Millisecond, func(c *Config) *time.Duration { return &c.StreamingQueriesRefetchInterval })},
	{env: "HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE", flags: []string{"streaming-queries-multiplexed-batch-size"}, metavar: "<BATCH_SIZE>",
		help: "Streaming subscriptions polled in one SQL statement (default: 100)",
		set:  count(func(c *Config) *int { return &c.StreamingQueriesBatchSize })},
	{env: "HASURA_GRAPHQL_ENABLE_ALLOWLIST", flags: []string{"enable-allowlist"}, isSwitch: true,
		help: "Accept only allow-listed queries (admin exempt)",
		set:  boolean(func(c *Config) *bool { return &c.EnableAllowlist })},
	{env: "HASURA_GRAPHQL_ENABLED_LOG_TYPES", flags: []string{"enabled-log-types"}, metavar: "<LOG TYPES>",
		help: "Comma-separated enabled log types (default: startup,http-log,webhook-log,websocket-log,jwk-refresh-log)",
		set:  setEnabledLogTypes},
	{env: "HASURA_GRAPHQL_LOG_LEVEL", flags: []string{"log-level"}, metavar: "<LEVEL>",
		help: "Server log level: debug, info, warn or error (default: info)",
		set:  setLogLevel},
	{env: "HASURA_GRAPHQL_QUERY_PLAN_CACHE_SIZE", flags: []string{"query-plan-cache-size"}, metavar: "<SIZE>",
		help: "Deprecated and ignored, as in Hasura",
		set:  func(*Config, string) error { return nil }},
	{env: "HASURA_GRAPHQL_DEV_MODE", flags: []string{"dev-mode"}, isSwitch: true,
		help: "Include 'internal' in the errors of every request (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.DevMode })},
	{env: "HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS", flags: []string{"admin-internal-errors"}, metavar: "<true|false>",
		help: "Include 'internal' in the errors of admin requests (default: true)",
		set:  boolean(func(c *Config) *bool { return &c.AdminInternalErrors })},
	{env: "HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE", flags: []string{"events-http-pool-size"}, metavar: "<SIZE>",
		help: "Maximum concurrent event deliveries (default: 100)",
		set:  positive(func(c *Config) *int { return &c.EventsHTTPPoolSize })},
	{env: "HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL", flags: []string{"events-fetch-interval"}, metavar: "<INTERVAL(ms)>",
		help: "Sleep between event fetches that found nothing, in milliseconds (default: 1000)",
		set:  duration(time.Millisecond, func(c *Config) *time.Duration { return &c.EventsFetchInterval })},
	{env: "HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL", flags: []string{"async-actions-fetch-interval"}, metavar: "<INTERVAL(ms)>",
		help: "Async action fetch interval in milliseconds; 0 disables (default: 1000)",
		set:  duration(time.Millisecond, func(c *Config) *time.Duration { return &c.AsyncActionsFetchInterval })},
	{env: "HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS", flags: []string{"enable-remote-schema-permissions"}, isSwitch: true,
		help: "Enable remote schema permissions (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.EnableRemoteSchemaPermissions })},
	{env: "HASURA_GRAPHQL_CONNECTION_COMPRESSION", flags: []string{"websocket-compression"}, isSwitch: true,
		help: "Enable websocket permessage-deflate compression (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.WebsocketCompression })},
	{env: "HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE", flags: []string{"websocket-keepalive"}, metavar: "<SECONDS>",
		help: "Websocket keep-alive interval, in seconds (default: 5)",
		set:  duration(time.Second, func(c *Config) *time.Duration { return &c.WebsocketKeepAlive })},
	{env: "HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS", flags: []string{"infer-function-permissions"}, metavar: "<true|false>",
		help: "Infer function permissions from the return table's select permission (default: true)",
		set:  boolean(func(c *Config) *bool { return &c.InferFunctionPermissions })},
	{env: "HASURA_GRAPHQL_ENABLE_MAINTENANCE_MODE", flags: []string{"enable-maintenance-mode"}, isSwitch: true,
		help: "Refuse metadata changes",
		set:  boolean(func(c *Config) *bool { return &c.EnableMaintenanceMode })},
	{env: "HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL", flags: []string{"schema-sync-poll-interval"}, metavar: "<INTERVAL(ms)>",
		help: "Interval to poll the metadata storage for updates, in milliseconds; 0 disables (default: 1000)",
		set:  duration(time.Millisecond, func(c *Config) *time.Duration { return &c.SchemaSyncPollInterval })},
	{env: "HASURA_GRAPHQL_EXPERIMENTAL_FEATURES", flags: []string{"experimental-features"}, metavar: "<FEATURES>",
		help: "Comma-separated experimental features, e.g. naming_convention,streaming_subscriptions",
		set:  setExperimentalFeatures},
	{env: "HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", flags: []string{"events-fetch-batch-size"}, metavar: "<SIZE>",
		help: "Events fetched in one batch; 0 disables fetching (default: 100)",
		set:  count(func(c *Config) *int { return &c.EventsFetchBatchSize })},
	{env: "HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT", flags: []string{"graceful-shutdown-timeout"}, metavar: "<SECONDS>",
		help: "Time given to in-flight work on shutdown, in seconds (default: 60)",
		set:  duration(time.Second, func(c *Config) *time.Duration { return &c.GracefulShutdownTimeout })},
	{env: "HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT", flags: []string{"websocket-connection-init-timeout"}, metavar: "<SECONDS>",
		help: "Time a websocket client has to send connection_init, in seconds (default: 3)",
		set:  duration(time.Second, func(c *Config) *time.Duration { return &c.WebsocketConnectionInitTimeout })},
	{env: "HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE", metavar: "<true|false>",
		help: "Close websockets when the metadata changes (default: true)",
		set:  boolean(func(c *Config) *bool { return &c.CloseWebsocketsOnMetadataChange })},
	{env: "HASURA_GRAPHQL_ENABLE_METADATA_QUERY_LOGGING", flags: []string{"enable-metadata-query-logging"}, isSwitch: true,
		help: "Log the body of metadata requests (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.EnableMetadataQueryLogging })},
	{env: "HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION", flags: []string{"default-naming-convention"}, metavar: "<CONVENTION>",
		help: "Naming convention of generated names: hasura-default or graphql-default (default: hasura-default)",
		set:  oneOf([]string{"hasura-default", "graphql-default"}, func(c *Config) *string { return &c.DefaultNamingConvention })},
	{env: "HASURA_GRAPHQL_METADATA_DATABASE_EXTENSIONS_SCHEMA", flags: []string{"metadata-database-extensions-schema"}, metavar: "<SCHEMA>",
		help: "Schema where extensions such as pgcrypto are installed (default: public)",
		set:  str(func(c *Config) *string { return &c.MetadataDatabaseExtensionsSchema })},
	{env: "HASURA_GRAPHQL_MAX_TOTAL_HEADER_LENGTH", metavar: "<BYTES>",
		help: "Maximum total size of request headers, in bytes (default: 1048576)",
		set:  positive(func(c *Config) *int { return &c.MaxTotalHeaderLength })},
	{env: "HASURA_GRAPHQL_MIGRATIONS_DIR", metavar: "<DIR>",
		help: "Hasura CLI migrations directory (or project) whose pending migrations are applied at startup",
		set:  str(func(c *Config) *string { return &c.MigrationsDir })},
	{env: "HASURA_GRAPHQL_METADATA_DIR", metavar: "<DIR>",
		help: "Hasura CLI metadata directory (or project) applied at startup, after the migrations",
		set:  str(func(c *Config) *string { return &c.MetadataDir })},
	{env: "GRAFT_DATA_DIR", flags: []string{"data-dir"}, metavar: "<DIR>",
		help: "Directory of the demo's private PostgreSQL, used when no database URL is set (default: .graft)",
		set:  str(func(c *Config) *string { return &c.DataDir })},
	{env: "GRAFT_AUTH_ENABLED", metavar: "<true|false>",
		help: "Enable graft's sign-up and sign-in endpoints under /auth/v1 (default: false)",
		set:  boolean(func(c *Config) *bool { return &c.AuthEnabled })},
}

// The parsers below return errors that start with the rejected value;
// Load puts the setting's name in front.

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = v
		return nil
	}
}

func secret(field func(*Config) *Secret) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = Secret(v)
		return nil
	}
}

// setAccessKey sets the admin secret from the deprecated variable, unless
// the admin secret is set too (Hasura prefers --admin-secret).
func setAccessKey(c *Config, v string) error {
	if c.AdminSecret == "" {
		c.AdminSecret = Secret(v)
	}
	return nil
}

// parseBool accepts Hasura's boolean spellings, in any case.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "t", "yes", "y":
		return true, nil
	case "false", "f", "no", "n":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true or false)", v)
}

func boolean(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := parseBool(v)
		if err != nil {
			return err
		}
		*field(c) = b
		return nil
	}
}

func port(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q is not a valid port", v)
		}
		*field(c) = n
		return nil
	}
}

// count accepts a non-negative integer.
func count(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return fmt.Errorf("%q is not a non-negative integer", v)
		}
		*field(c) = n
		return nil
	}
}

func positive(field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a positive integer", v)
		}
		*field(c) = n
		return nil
	}
}

// duration accepts a non-negative number of units (Hasura's form, "1000"
// milliseconds or "2.5" seconds) or a duration with its unit ("1s", "500ms").
func duration(unit time.Duration, field func(*Config) *time.Duration) func(*Config, string) error {
	unitName := "seconds"
	if unit == time.Millisecond {
		unitName = "milliseconds"
	}
	return func(c *Config, v string) error {
		s := strings.TrimSpace(v)
		var d time.Duration
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f*float64(unit)) > math.MaxInt64 {
				return fmt.Errorf("%q is not a valid duration", v)
			}
			d = time.Duration(f * float64(unit))
		} else if d, err = time.ParseDuration(s); err != nil {
			return fmt.Errorf("%q is not a valid duration (a number of %s, or a duration such as 500ms or 2s)", v, unitName)
		}
		if d < 0 {
			return fmt.Errorf("%q is not a valid duration: it is negative", v)
		}
		*field(c) = d
		return nil
	}
}

func oneOf(allowed []string, field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		s := strings.ToLower(strings.TrimSpace(v))
		for _, a := range allowed {
			if s == a {
				*field(c) = a
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(allowed, ", "))
	}
}

func setAuthHookMode(c *Config, v string) error {
	switch m := strings.ToUpper(strings.TrimSpace(v)); m {
	case "GET", "POST":
		c.AuthHookMode = m
		return nil
	}
	return fmt.Errorf("%q is not GET or POST", v)
}

func setLogLevel(c *Config, v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return fmt.Errorf("%q is not a log level (debug, info, warn or error)", v)
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// enumList parses a comma-separated list of known names (compared in lower
// case), without duplicates.
func enumList(v, what string, known []string) ([]string, error) {
	var out []string
	for _, s := range splitList(v) {
		s = strings.ToLower(s)
		if !contains(known, s) {
			return nil, fmt.Errorf("unknown %s %q (known: %s)", what, s, strings.Join(known, ", "))
		}
		if !contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func setEnabledAPIs(c *Config, v string) error {
	known := make([]string, len(knownAPIs))
	for i, a := range knownAPIs {
		known[i] = string(a)
	}
	names, err := enumList(v, "API", known)
	if err != nil {
		return err
	}
	c.EnabledAPIs = make([]API, len(names))
	for i, n := range names {
		c.EnabledAPIs[i] = API(n)
	}
	return nil
}

// logTypes are the log types a user may enable
// (hasura/graphql-engine: Hasura/Logging.hs, userAllowedLogTypes).
var logTypes = []string{
	"startup", "http-log", "webhook-log", "websocket-log", "query-log", "execution-log",
	"livequery-poller-log", "action-handler-log", "data-connector-log", "jwk-refresh-log", "validate-input-log",
}

func setEnabledLogTypes(c *Config, v string) error {
	names, err := enumList(v, "log type", logTypes)
	if err != nil {
		return err
	}
	c.EnabledLogTypes = names
	return nil
}

// experimentalFeatures are the names Hasura accepts in
// HASURA_GRAPHQL_EXPERIMENTAL_FEATURES.
var experimentalFeatures = []string{
	"inherited_roles", "optimize_permission_filters", "naming_convention", "streaming_subscriptions",
	"apollo_federation", "hide_update_many_fields", "hide_aggregation_predicates", "hide_stream_fields",
	"disable_postgres_arrays", "remove_empty_subscription_responses", "bigquery_string_numeric_input",
}

func setExperimentalFeatures(c *Config, v string) error {
	names, err := enumList(v, "experimental feature", experimentalFeatures)
	if err != nil {
		return err
	}
	c.ExperimentalFeatures = names
	return nil
}

// setCORSDomains accepts "*" or a list of origins with a scheme
// ("https://example.com", "http://localhost:3000", "https://*.foo.com").
func setCORSDomains(c *Config, v string) error {
	list := splitList(v)
	if len(list) == 0 {
		return fmt.Errorf("%q is not a list of domains", v)
	}
	for _, d := range list {
		if d == "*" {
			if len(list) > 1 {
				return fmt.Errorf("%q mixes * with other domains", v)
			}
			continue
		}
		rest, ok := strings.CutPrefix(d, "http://")
		if !ok {
			rest, ok = strings.CutPrefix(d, "https://")
		}
		if !ok || rest == "" || strings.ContainsAny(rest, "/ ") {
			return fmt.Errorf("%q is not a domain with scheme, such as https://example.com or http://localhost:3000", d)
		}
	}
	c.CORSDomains = list
	return nil
}

func setAdminSecrets(c *Config, v string) error {
	var list []string
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return fmt.Errorf("not a JSON list of strings: %v", err)
	}
	if len(list) == 0 {
		return fmt.Errorf("the list is empty")
	}
	c.AdminSecrets = make([]Secret, len(list))
	for i, s := range list {
		if s == "" {
			return fmt.Errorf("secret %d is empty", i)
		}
		c.AdminSecrets[i] = Secret(s)
	}
	return nil
}

// setJWTSecret checks only that the value is a JSON object; package auth
// interprets it.
func setJWTSecret(c *Config, v string) error {
	var o map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &o); err != nil {
		return fmt.Errorf("not a JSON object: %v", err)
	}
	c.JWTSecret = Secret(v)
	return nil
}

// setJWTSecrets checks only that the value is a JSON list of objects. An
// empty list configures no JWT, as in Hasura.
func setJWTSecrets(c *Config, v string) error {
	var list []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &list); err != nil {
		return fmt.Errorf("not a JSON list of objects: %v", err)
	}
	if len(list) == 0 {
		c.JWTSecrets = ""
		return nil
	}
	c.JWTSecrets = Secret(v)
	return nil
}
