package config

import (
	"errors"
	"fmt"
	"slices"
)

// Hasura's startup errors for authentication settings that do not go
// together, with its exact texts, double space included
// (hasura/graphql-engine: server/src-lib/Hasura/Server/Auth.hs, setupAuthMode).
var (
	ErrJWTWithoutSecret  = errors.New("Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET)" + requiresAdminSecret)
	ErrHookWithoutSecret = errors.New("Fatal Error : --auth-hook (HASURA_GRAPHQL_AUTH_HOOK)" + requiresAdminSecret)
	ErrHookAndJWT        = errors.New("Fatal Error: Both webhook and JWT mode cannot be enabled at the same time")
	ErrUnauthorizedRole  = errors.New("Fatal Error: --unauthorized-role (HASURA_GRAPHQL_UNAUTHORIZED_ROLE)" + requiresAdminSecret +
		" and is not allowed when --auth-hook (HASURA_GRAPHQL_AUTH_HOOK) is set")
)

const requiresAdminSecret = " requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or " +
	" --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set"

// Validate reports the first problem with c: Hasura's authentication
// combinations first, in Hasura's order and with its exact texts, then
// values out of range (which [Load] already rejects, but a Config built in
// code may hold).
func (c *Config) Validate() error {
	secret := len(c.AdminSecretList()) > 0
	hook := c.AuthHook != ""
	jwt := c.JWTConfigured()
	switch {
	case secret && !hook:
		// Admin secret alone, or with JWT: the unauthorized role is allowed.
	case c.UnauthorizedRole != "":
		// Every other mode ignores the role; Hasura refuses rather than let
		// users misread their configuration.
		return ErrUnauthorizedRole
	case !secret && hook && !jwt:
		return ErrHookWithoutSecret
	case !secret && !hook && jwt:
		return ErrJWTWithoutSecret
	case hook && jwt:
		return ErrHookAndJWT
	}

	if c.ServerPort < 0 || c.ServerPort > 65535 {
		return fmt.Errorf("HASURA_GRAPHQL_SERVER_PORT: %d is not a valid port", c.ServerPort)
	}
	for _, a := range c.EnabledAPIs {
		if !slices.Contains(knownAPIs, a) {
			return fmt.Errorf("HASURA_GRAPHQL_ENABLED_APIS: unknown API %q", a)
		}
	}
	if c.AuthHookMode != "GET" && c.AuthHookMode != "POST" {
		return fmt.Errorf("HASURA_GRAPHQL_AUTH_HOOK_MODE: %q is not GET or POST", c.AuthHookMode)
	}
	for _, n := range []struct {
		env string
		v   int
	}{
		{"HASURA_GRAPHQL_PG_CONNECTIONS", c.PGConnections},
		{"HASURA_GRAPHQL_PG_STRIPES", c.PGStripes},
		{"HASURA_GRAPHQL_NO_OF_RETRIES", c.PGRetries},
		{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE", c.LiveQueriesBatchSize},
		{"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_BATCH_SIZE", c.StreamingQueriesBatchSize},
		{"HASURA_GRAPHQL_EVENTS_FETCH_BATCH_SIZE", c.EventsFetchBatchSize},
		{"HASURA_GRAPHQL_MAX_TOTAL_HEADER_LENGTH", c.MaxTotalHeaderLength},
	} {
		if n.v < 0 {
			return fmt.Errorf("%s: %d is negative", n.env, n.v)
		}
	}
	for _, d := range []struct {
		env string
		v   int64
	}{
		{"HASURA_GRAPHQL_PG_TIMEOUT", int64(c.PGIdleTimeout)},
		{"HASURA_GRAPHQL_PG_CONN_LIFETIME", int64(c.PGConnLifetime)},
		{"HASURA_GRAPHQL_PG_POOL_TIMEOUT", int64(c.PGPoolTimeout)},
		{"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", int64(c.LiveQueriesRefetchInterval)},
		{"HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL", int64(c.StreamingQueriesRefetchInterval)},
		{"HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE", int64(c.WebsocketKeepAlive)},
		{"HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT", int64(c.WebsocketConnectionInitTimeout)},
		{"HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL", int64(c.SchemaSyncPollInterval)},
		{"HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT", int64(c.GracefulShutdownTimeout)},
		{"HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL", int64(c.EventsFetchInterval)},
		{"HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL", int64(c.AsyncActionsFetchInterval)},
	} {
		if d.v < 0 {
			return fmt.Errorf("%s: duration is negative", d.env)
		}
	}
	if c.DemoMode() && c.DataDir == "" {
		return errors.New("GRAFT_DATA_DIR: empty, but demo mode (no HASURA_GRAPHQL_DATABASE_URL) needs a data directory")
	}
	if c.AuthEnabled {
		return c.validateSignIn()
	}
	return nil
}
