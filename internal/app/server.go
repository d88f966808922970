package app

import (
	"context"
	"net/http"
	"os"

	"github.com/graftql/graft/internal/console"
	"github.com/graftql/graft/internal/server"
)

// newServer wires the engine, authentication and metadata service into
// the HTTP server.
func (a *App) newServer(version string) *server.Server {
	cfg := &a.cfg
	apis := make(map[string]bool, len(cfg.EnabledAPIs))
	for _, api := range cfg.EnabledAPIs {
		apis[string(api)] = true
	}
	return server.New(server.Options{
		Auth:                a.auth,
		Engine:              a.queryEngine(),
		Meta:                a.meta,
		Console:             a.consoleHandler(),
		Logger:              a.log,
		EnabledAPIs:         apis,
		CORSDomains:         cfg.CORSDomains,
		DisableCORS:         cfg.DisableCORS,
		DevMode:             cfg.DevMode,
		AdminInternalErrors: cfg.AdminInternalErrors,
		Version:             version,
		Config:              func() any { return a.serverConfig(version) },
		Healthy:             func(ctx context.Context) error { return a.metaPool.Ping(ctx) },
		WebSocket:           a.newWebSocket(),
		SignIn:              a.signInHandler(),
	})
}

// logKeyConsoleAssets names where the console's assets come from.
const logKeyConsoleAssets = "console_assets"

// consoleHandler serves the console when HASURA_GRAPHQL_ENABLE_CONSOLE is
// on: the embedded assets, or those in HASURA_GRAPHQL_CONSOLE_ASSETS_DIR.
func (a *App) consoleHandler() http.Handler {
	if !a.cfg.EnableConsole {
		return nil
	}
	fsys, from := console.FS, "embedded"
	if dir := a.cfg.ConsoleAssetsDir; dir != "" {
		fsys, from = os.DirFS(dir), dir
	}
	if !console.Built(fsys) {
		a.log.Warn("console assets not built; /console explains how to build them", logKeyConsoleAssets, from)
	}
	return console.Handler(fsys)
}

// serverConfig is the body of /v1alpha1/config
// (hasura/graphql-engine: server/src-lib/Hasura/Server/API/Config.hs).
func (a *App) serverConfig(version string) any {
	cfg := &a.cfg
	features := cfg.ExperimentalFeatures
	if features == nil {
		features = []string{}
	}
	return map[string]any{
		"version":                              version,
		"is_function_permissions_inferred":     cfg.InferFunctionPermissions,
		"is_remote_schema_permissions_enabled": cfg.EnableRemoteSchemaPermissions,
		"is_admin_secret_set":                  len(cfg.AdminSecretList()) > 0,
		"is_auth_hook_set":                     cfg.AuthHook != "",
		"is_jwt_set":                           cfg.JWTConfigured(),
		"jwt":                                  a.auth.JWTInfo(),
		"is_allow_list_enabled":                cfg.EnableAllowlist,
		"live_queries": map[string]any{
			"batch_size":    cfg.LiveQueriesBatchSize,
			"refetch_delay": cfg.LiveQueriesRefetchInterval.Seconds(),
		},
		"streaming_queries": map[string]any{
			"batch_size":    cfg.StreamingQueriesBatchSize,
			"refetch_delay": cfg.StreamingQueriesRefetchInterval.Seconds(),
		},
		"console_assets_dir":            nilIfEmpty(cfg.ConsoleAssetsDir),
		"experimental_features":         features,
		"is_prometheus_metrics_enabled": cfg.APIEnabled("metrics"),
		"default_naming_convention":     cfg.DefaultNamingConvention,
		"feature_flags":                 []any{},
		"is_apollo_federation_enabled":  cfg.ExperimentalFeatureEnabled("apollo_federation"),
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// signInHandler is the sign-in service's handler, nil when it is off.
func (a *App) signInHandler() http.Handler {
	if a.signin == nil {
		return nil
	}
	return a.signin.Handler()
}
