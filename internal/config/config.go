// Package config holds graft's configuration: one [Config], read by [Load]
// from Hasura's environment variables (HASURA_GRAPHQL_*), graft's own
// (GRAFT_*) and the command line of "graft serve", whose flags carry
// Hasura's names and win over the environment.
//
// Only main reads the real environment; it passes os.Getenv and os.Args[1:]
// to Load. Defaults are Hasura's (hasura/graphql-engine:
// server/src-lib/Hasura/Server/Init/Arg/Command/Serve.hs); where Hasura
// counts milliseconds or seconds, the same plain numbers are accepted, and
// so are durations such as "1500ms" or "2s".
package config

import (
	"log/slog"
	"slices"
	"time"
)

// Config is the whole configuration of a graft server. The zero value is
// not useful; start from [DefaultConfig].
type Config struct {
	// DatabaseURL is the PostgreSQL database served as source "default"
	// (HASURA_GRAPHQL_DATABASE_URL). Empty, with MetadataDatabaseURL also
	// empty, means demo mode (see [Config.DemoMode]).
	DatabaseURL string
	// MetadataDatabaseURL is where metadata is stored
	// (HASURA_GRAPHQL_METADATA_DATABASE_URL); empty means DatabaseURL.
	MetadataDatabaseURL string

	// ServerHost is the listen host (HASURA_GRAPHQL_SERVER_HOST); "*", the
	// default, means every interface.
	ServerHost string
	// ServerPort is the listen port (HASURA_GRAPHQL_SERVER_PORT), default
	// 8080; 0 lets the kernel pick one.
	ServerPort int

	// AdminSecret is the admin secret (HASURA_GRAPHQL_ADMIN_SECRET, or the
	// deprecated HASURA_GRAPHQL_ACCESS_KEY); empty means none.
	AdminSecret Secret
	// AdminSecrets are several accepted admin secrets
	// (HASURA_GRAPHQL_ADMIN_SECRETS, a JSON list of strings). When set, they
	// replace AdminSecret. Use [Config.AdminSecretList].
	AdminSecrets []Secret
	// JWTSecret is the JSON object configuring JWT authentication
	// (HASURA_GRAPHQL_JWT_SECRET), kept as given; empty means none.
	JWTSecret Secret
	// JWTSecrets is a JSON array of such objects (HASURA_GRAPHQL_JWT_SECRETS),
	// kept as given. When set, it replaces JWTSecret.
	JWTSecrets Secret
	// AuthHook is the URL of the authentication webhook
	// (HASURA_GRAPHQL_AUTH_HOOK); empty means none.
	AuthHook string
	// AuthHookMode is "GET" (default) or "POST" (HASURA_GRAPHQL_AUTH_HOOK_MODE).
	AuthHookMode string
	// AuthHookSendRequestBody sends the GraphQL request to a POST webhook
	// (HASURA_GRAPHQL_AUTH_HOOK_SEND_REQUEST_BODY), default true.
	AuthHookSendRequestBody bool
	// UnauthorizedRole is the role of requests without credentials
	// (HASURA_GRAPHQL_UNAUTHORIZED_ROLE); empty means such requests fail.
	UnauthorizedRole string

	// EnableConsole serves the console at /console
	// (HASURA_GRAPHQL_ENABLE_CONSOLE), default false.
	EnableConsole bool
	// ConsoleAssetsDir serves console assets from this directory
	// (HASURA_GRAPHQL_CONSOLE_ASSETS_DIR); empty means the embedded ones.
	ConsoleAssetsDir string
	// EnabledAPIs are the APIs served (HASURA_GRAPHQL_ENABLED_APIS), default
	// metadata, graphql, pgdump, config. /healthz and /v1/version are always
	// on. Use [Config.APIEnabled].
	EnabledAPIs []API
	// CORSDomains are the origins allowed by CORS
	// (HASURA_GRAPHQL_CORS_DOMAIN, comma-separated), such as
	// "https://*.example.com" or "http://localhost:3000"; the default ["*"]
	// allows every origin.
	CORSDomains []string
	// DisableCORS sends no CORS headers at all (HASURA_GRAPHQL_DISABLE_CORS).
	DisableCORS bool
	// WSReadCookie reads cookies on the websocket handshake even with CORS
	// disabled (HASURA_GRAPHQL_WS_READ_COOKIE).
	WSReadCookie bool

	// DevMode puts "internal" in every error, for every role
	// (HASURA_GRAPHQL_DEV_MODE), default false.
	DevMode bool
	// AdminInternalErrors puts "internal" in errors of admin requests
	// (HASURA_GRAPHQL_ADMIN_INTERNAL_ERRORS), default true.
	AdminInternalErrors bool
	// StringifyNumericTypes returns numeric, bigint and float types as
	// strings (HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES), default false.
	StringifyNumericTypes bool
	// V1BooleanNullCollapse treats a null operand in a boolean expression as
	// true (HASURA_GRAPHQL_V1_BOOLEAN_NULL_COLLAPSE), default false.
	V1BooleanNullCollapse bool
	// InferFunctionPermissions lets a role call a function when it may
	// select from the return table (HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS),
	// default true.
	InferFunctionPermissions bool
	// EnableAllowlist accepts only allow-listed queries from non-admin roles
	// (HASURA_GRAPHQL_ENABLE_ALLOWLIST).
	EnableAllowlist bool
	// EnableRemoteSchemaPermissions (HASURA_GRAPHQL_ENABLE_REMOTE_SCHEMA_PERMISSIONS).
	EnableRemoteSchemaPermissions bool
	// DefaultNamingConvention is "hasura-default" (default) or
	// "graphql-default" (HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION).
	DefaultNamingConvention string
	// ExperimentalFeatures are Hasura's experimental feature names
	// (HASURA_GRAPHQL_EXPERIMENTAL_FEATURES), default none.
	ExperimentalFeatures []string

	// PGConnections is the pool size of the env-created source
	// (HASURA_GRAPHQL_PG_CONNECTIONS), default 50.
	PGConnections int
	// PGStripes is accepted for compatibility (HASURA_GRAPHQL_PG_STRIPES),
	// default 1; graft keeps one pool per source.
	PGStripes int
	// PGIdleTimeout closes connections idle this long
	// (HASURA_GRAPHQL_PG_TIMEOUT, seconds), default 180s.
	PGIdleTimeout time.Duration
	// PGConnLifetime replaces connections this old
	// (HASURA_GRAPHQL_PG_CONN_LIFETIME, seconds), default 600s; 0 means never.
	PGConnLifetime time.Duration
	// PGPoolTimeout bounds the wait for a free connection
	// (HASURA_GRAPHQL_PG_POOL_TIMEOUT, seconds); 0, the default, means
	// forever.
	PGPoolTimeout time.Duration
	// PGRetries is how often a failed connection is retried
	// (HASURA_GRAPHQL_NO_OF_RETRIES), default 1.
	PGRetries int
	// UsePreparedStatements (HASURA_GRAPHQL_USE_PREPARED_STATEMENTS), default true.
	UsePreparedStatements bool
	// TxIsolation is "read-committed" (default), "repeatable-read" or
	// "serializable" (HASURA_GRAPHQL_TX_ISOLATION).
	TxIsolation string

	// LiveQueriesRefetchInterval is the live query poll interval
	// (HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL, ms), default 1s.
	LiveQueriesRefetchInterval time.Duration
	// LiveQueriesBatchSize is the number of cohorts per poll query
	// (HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE), default 100.
	LiveQueriesBatchSize int
	// StreamingQueriesRefetchInterval is the streaming subscription poll
	// interval (HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL,
	// ms), default 1s.
	StreamingQueriesRefetchInterval time.Duration
	// StreamingQueriesBatchSize (HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE),
	// default 100.
	StreamingQueriesBatchSize int
	// WebsocketKeepAlive is the keep-alive interval of the
	// subscriptions-transport-ws protocol (HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE,
	// seconds), default 5s.
	WebsocketKeepAlive time.Duration
	// WebsocketConnectionInitTimeout is how long a graphql-ws client may take
	// to send connection_init
	// (HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT, seconds), default 3s.
	WebsocketConnectionInitTimeout time.Duration
	// WebsocketCompression enables permessage-deflate
	// (HASURA_GRAPHQL_CONNECTION_COMPRESSION), default false.
	WebsocketCompression bool
	// CloseWebsocketsOnMetadataChange
	// (HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE), default true.
	CloseWebsocketsOnMetadataChange bool

	// LogLevel is the server log level (HASURA_GRAPHQL_LOG_LEVEL: debug,
	// info, warn, error), default info.
	LogLevel slog.Level
	// EnabledLogTypes are the log types written
	// (HASURA_GRAPHQL_ENABLED_LOG_TYPES), default startup, http-log,
	// webhook-log, websocket-log, jwk-refresh-log.
	EnabledLogTypes []string
	// EnableMetadataQueryLogging logs metadata request bodies
	// (HASURA_GRAPHQL_ENABLE_METADATA_QUERY_LOGGING), default false.
	EnableMetadataQueryLogging bool

	// SchemaSyncPollInterval is how often the stored metadata version is
	// polled (HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL, ms), default 1s; 0
	// disables polling.
	SchemaSyncPollInterval time.Duration
	// EnableMaintenanceMode refuses metadata writes
	// (HASURA_GRAPHQL_ENABLE_MAINTENANCE_MODE).
	EnableMaintenanceMode bool
	// MaxTotalHeaderLength caps the request headers, in bytes
	// (HASURA_GRAPHQL_MAX_TOTAL_HEADER_LENGTH), default 1 MiB.
	MaxTotalHeaderLength int
	// GracefulShutdownTimeout is the time given to in-flight work on
	// shutdown (HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT, seconds), default 60s.
	GracefulShutdownTimeout time.Duration
	// MetadataDatabaseExtensionsSchema is where pgcrypto is installed
	// (HASURA_GRAPHQL_METADATA_DATABASE_EXTENSIONS_SCHEMA), default "public".
	MetadataDatabaseExtensionsSchema string
	// EnableTelemetry is accepted for compatibility
	// (HASURA_GRAPHQL_ENABLE_TELEMETRY); graft never phones home.
	EnableTelemetry bool

	// EventsHTTPPoolSize (HASURA_GRAPHQL_EVENTS_HTTP_POOL_SIZE), default 100.
	EventsHTTPPoolSize int
	// EventsFetchInterval (HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL, ms), default 1s.
	EventsFetchInterval time.Duration
	// EventsFetchBatchSize (HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE), default
	// 100; 0 disables fetching events.
	EventsFetchBatchSize int
	// AsyncActionsFetchInterval (HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL,
	// ms), default 1s; 0 disables fetching async actions.
	AsyncActionsFetchInterval time.Duration

	// MigrationsDir is the migrations directory of a Hasura CLI project
	// (HASURA_GRAPHQL_MIGRATIONS_DIR, as in Hasura's cli-migrations image):
	// its pending migrations are applied at startup, before serving. The
	// project directory that holds it works too. Empty means none.
	MigrationsDir string
	// MetadataDir is the metadata directory of a Hasura CLI project
	// (HASURA_GRAPHQL_METADATA_DIR): it replaces the metadata at startup,
	// after the migrations. Empty means none.
	MetadataDir string

	// DataDir is where the demo's private PostgreSQL cluster lives
	// (GRAFT_DATA_DIR), default ".graft" in the working directory. Used only
	// in demo mode.
	DataDir string
	// AuthEnabled turns on graft's own sign-up and sign-in endpoints under
	// /auth/v1 (GRAFT_AUTH_ENABLED), default false, but true in demo mode
	// when the variable is unset (see [Load]).
	AuthEnabled bool
	// SignIn configures the sign-in service (AUTH_* and GRAFT_AUTH_*).
	SignIn SignIn
}

// API is one of the APIs HASURA_GRAPHQL_ENABLED_APIS can switch on.
type API string

// The APIs of HASURA_GRAPHQL_ENABLED_APIS.
const (
	APIMetadata  API = "metadata"  // /v1/metadata, /v1/query, /v2/query
	APIGraphQL   API = "graphql"   // /v1/graphql, /v1beta1/relay
	APIPGDump    API = "pgdump"    // /v1alpha1/pg_dump
	APIConfig    API = "config"    // /v1alpha1/config
	APIDeveloper API = "developer" // /dev/*
	APIMetrics   API = "metrics"   // /v1/metrics
)

var knownAPIs = []API{APIMetadata, APIGraphQL, APIPGDump, APIConfig, APIDeveloper, APIMetrics}

// Secret is a configuration value that must not be logged. It logs and
// prints as "[redacted]"; convert it with string(s) to use it.
type Secret string

// LogValue is part of the slog.LogValuer interface.
func (Secret) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String is part of the fmt.Stringer interface.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// DefaultConfig returns Hasura's defaults, plus graft's own.
func DefaultConfig() Config {
	return Config{
		ServerHost:                       "*",
		ServerPort:                       8080,
		AuthHookMode:                     "GET",
		AuthHookSendRequestBody:          true,
		EnabledAPIs:                      []API{APIMetadata, APIGraphQL, APIPGDump, APIConfig},
		CORSDomains:                      []string{"*"},
		AdminInternalErrors:              true,
		InferFunctionPermissions:         true,
		DefaultNamingConvention:          "hasura-default",
		PGConnections:                    50,
		PGStripes:                        1,
		PGIdleTimeout:                    180 * time.Second,
		PGConnLifetime:                   600 * time.Second,
		PGRetries:                        1,
		UsePreparedStatements:            true,
		TxIsolation:                      "read-committed",
		LiveQueriesRefetchInterval:       time.Second,
		LiveQueriesBatchSize:             100,
		StreamingQueriesRefetchInterval:  time.Second,
		StreamingQueriesBatchSize:        100,
		WebsocketKeepAlive:               5 * time.Second,
		WebsocketConnectionInitTimeout:   3 * time.Second,
		CloseWebsocketsOnMetadataChange:  true,
		LogLevel:                         slog.LevelInfo,
		EnabledLogTypes:                  []string{"startup", "http-log", "webhook-log", "websocket-log", "jwk-refresh-log"},
		SchemaSyncPollInterval:           time.Second,
		MaxTotalHeaderLength:             1 << 20,
		GracefulShutdownTimeout:          60 * time.Second,
		MetadataDatabaseExtensionsSchema: "public",
		EnableTelemetry:                  true,
		EventsHTTPPoolSize:               100,
		EventsFetchInterval:              time.Second,
		EventsFetchBatchSize:             100,
		AsyncActionsFetchInterval:        time.Second,
		DataDir:                          ".graft",
		SignIn:                           DefaultSignIn(),
	}
}

// DemoMode reports whether no database is configured, so that graft runs a
// private PostgreSQL with the demo data set.
func (c *Config) DemoMode() bool {
	return c.DatabaseURL == "" && c.MetadataDatabaseURL == ""
}

// AdminSecretList returns the accepted admin secrets: AdminSecrets when
// set, else AdminSecret, else none.
func (c *Config) AdminSecretList() []Secret {
	if len(c.AdminSecrets) > 0 {
		return c.AdminSecrets
	}
	if c.AdminSecret != "" {
		return []Secret{c.AdminSecret}
	}
	return nil
}

// JWTConfigured reports whether JWT authentication is configured.
func (c *Config) JWTConfigured() bool { return c.JWTSecret != "" || c.JWTSecrets != "" }

// APIEnabled reports whether api is among EnabledAPIs.
func (c *Config) APIEnabled(api API) bool { return slices.Contains(c.EnabledAPIs, api) }

// LogTypeEnabled reports whether log type t (such as "query-log") is among
// EnabledLogTypes.
func (c *Config) LogTypeEnabled(t string) bool { return slices.Contains(c.EnabledLogTypes, t) }

// ExperimentalFeatureEnabled reports whether feature f (such as
// "naming_convention") is among ExperimentalFeatures.
func (c *Config) ExperimentalFeatureEnabled(f string) bool {
	return slices.Contains(c.ExperimentalFeatures, f)
}
