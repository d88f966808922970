package signin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// MetadataFunc runs a /v1/metadata request as admin and returns the
// response body (metaapi.Service.Metadata).
type MetadataFunc func(ctx context.Context, body []byte) ([]byte, error)

// authTable is one table of schema auth as Nhost tracks it
// (nhost/hasura-auth: go/migrations/hasura.go; signin.md §11.3).
type authTable struct {
	name     string
	custom   string // custom_name and the select root field
	one      string // select_by_pk and the singular of the other roots
	enum     bool
	columns  []string
	objRels  []authRel
	arrRels  []authRel
	override map[string]string // irregular column names
}

// authRel is a relationship by foreign key: for an object relationship
// the column of this table, for an array one the table and column that
// point here.
type authRel struct {
	name, table, column string
}

var authTables = []authTable{
	{name: "users", custom: "users", one: "user",
		columns: []string{"id", "created_at", "updated_at", "last_seen", "disabled", "display_name", "avatar_url", "locale",
			"email", "phone_number", "password_hash", "email_verified", "phone_number_verified", "new_email",
			"otp_method_last_used", "otp_hash", "otp_hash_expires_at", "default_role", "is_anonymous", "totp_secret",
			"active_mfa_type", "ticket", "ticket_expires_at", "metadata", "webauthn_current_challenge"},
		override: map[string]string{"webauthn_current_challenge": "currentChallenge"},
		objRels:  []authRel{{"defaultRoleByRole", "", "default_role"}},
		arrRels: []authRel{{"roles", "user_roles", "user_id"}, {"refreshTokens", "refresh_tokens", "user_id"},
			{"userProviders", "user_providers", "user_id"}, {"securityKeys", "user_security_keys", "user_id"}}},
	{name: "user_roles", custom: "authUserRoles", one: "authUserRole",
		columns: []string{"id", "created_at", "user_id", "role"},
		objRels: []authRel{{"user", "", "user_id"}, {"roleByRole", "", "role"}}},
	{name: "roles", custom: "authRoles", one: "authRole", columns: []string{"role"},
		arrRels: []authRel{{"userRoles", "user_roles", "role"}, {"usersByDefaultRole", "users", "default_role"}}},
	{name: "refresh_tokens", custom: "authRefreshTokens", one: "authRefreshToken",
		columns: []string{"id", "created_at", "expires_at", "user_id", "metadata", "type", "refresh_token_hash"},
		objRels: []authRel{{"user", "", "user_id"}}},
	{name: "refresh_token_types", custom: "authRefreshTokenTypes", one: "authRefreshTokenType", enum: true,
		columns: []string{"value", "comment"},
		arrRels: []authRel{{"refreshTokens", "refresh_tokens", "type"}}},
	{name: "providers", custom: "authProviders", one: "authProvider", columns: []string{"id"},
		arrRels: []authRel{{"userProviders", "user_providers", "provider_id"}}},
	{name: "user_providers", custom: "authUserProviders", one: "authUserProvider",
		columns: []string{"id", "created_at", "updated_at", "user_id", "access_token", "refresh_token", "provider_id", "provider_user_id"},
		objRels: []authRel{{"user", "", "user_id"}, {"provider", "", "provider_id"}}},
	{name: "provider_requests", custom: "authProviderRequests", one: "authProviderRequest", columns: []string{"id", "options"}},
	{name: "user_security_keys", custom: "authUserSecurityKeys", one: "authUserSecurityKey",
		columns: []string{"id", "user_id", "credential_id", "credential_public_key", "counter", "transports", "nickname"},
		objRels: []authRel{{"user", "", "user_id"}}},
}

// userSelectColumns are the auth.users columns a signed-in user may read
// in their own row: never hashes, secrets or tickets.
var userSelectColumns = []string{"id", "created_at", "updated_at", "last_seen", "disabled", "display_name", "avatar_url",
	"locale", "email", "phone_number", "email_verified", "phone_number_verified", "default_role", "is_anonymous",
	"active_mfa_type", "metadata"}

// Note [auth tables in GraphQL]
//
// At start graft tracks the tables of schema auth that the metadata does
// not track yet, under Nhost's custom names, with Nhost's relationships;
// tracking imported from an Nhost project is left as it is. Nhost gives
// only admin access; graft also lets the default role and "me" read their
// own users row (id = X-Hasura-User-Id), without password_hash,
// totp_secret, ticket and the other secrets, so that an app can query the
// signed-in user with no further setup. graft's own tables (graft_keys,
// graft_migrations, graft_refresh_token_history) are never tracked.

// camel turns snake_case into camelCase.
func camel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// upperFirst capitalizes s.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// Track adds the auth tables to the metadata of source "default" (Note
// [auth tables in GraphQL]).
func (s *Service) Track(ctx context.Context, meta MetadataFunc) error {
	out, err := meta(ctx, []byte(`{"type":"export_metadata","args":{}}`))
	if err != nil {
		return fmt.Errorf("track auth tables: export metadata: %w", err)
	}
	var md struct {
		Sources []struct {
			Name   string `json:"name"`
			Tables []struct {
				Table struct {
					Schema string `json:"schema"`
					Name   string `json:"name"`
				} `json:"table"`
			} `json:"tables"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(out, &md); err != nil {
		return fmt.Errorf("track auth tables: decode metadata: %w", err)
	}
	tracked := map[string]bool{}
	hasDefault := false
	for _, src := range md.Sources {
		if src.Name != "default" {
			continue
		}
		hasDefault = true
		for _, t := range src.Tables {
			if t.Table.Schema == "auth" {
				tracked[t.Table.Name] = true
			}
		}
	}
	if !hasDefault {
		return fmt.Errorf("track auth tables: the metadata has no source \"default\"")
	}
	var cmds []map[string]any
	var added []authTable
	for _, t := range authTables {
		if tracked[t.name] {
			continue
		}
		cols := map[string]string{}
		for _, c := range t.columns {
			cols[c] = camel(c)
		}
		for k, v := range t.override {
			cols[k] = v
		}
		plural, single := upperFirst(t.custom), upperFirst(t.one)
		conf := map[string]any{
			"custom_name": t.custom,
			"custom_root_fields": map[string]string{
				"select": t.custom, "select_by_pk": t.one, "select_aggregate": t.custom + "Aggregate",
				"insert": "insert" + plural, "insert_one": "insert" + single,
				"update": "update" + plural, "update_by_pk": "update" + single,
				"delete": "delete" + plural, "delete_by_pk": "delete" + single,
			},
			"custom_column_names": cols,
		}
		args := map[string]any{"source": "default", "table": map[string]string{"schema": "auth", "name": t.name}, "configuration": conf}
		if t.enum {
			args["is_enum"] = true
		}
		cmds = append(cmds, map[string]any{"type": "pg_track_table", "args": args})
		added = append(added, t)
	}
	if len(cmds) == 0 {
		return nil
	}
	for _, t := range added {
		table := map[string]string{"schema": "auth", "name": t.name}
		for _, r := range t.objRels {
			cmds = append(cmds, map[string]any{"type": "pg_create_object_relationship", "args": map[string]any{
				"source": "default", "table": table, "name": r.name, "using": map[string]any{"foreign_key_constraint_on": r.column}}})
		}
		for _, r := range t.arrRels {
			cmds = append(cmds, map[string]any{"type": "pg_create_array_relationship", "args": map[string]any{
				"source": "default", "table": table, "name": r.name, "using": map[string]any{"foreign_key_constraint_on": map[string]any{
					"table": map[string]string{"schema": "auth", "name": r.table}, "column": r.column}}}})
		}
		if t.name == "users" {
			for _, role := range s.userReadRoles() {
				cmds = append(cmds, map[string]any{"type": "pg_create_select_permission", "args": map[string]any{
					"source": "default", "table": table, "role": role,
					"permission": map[string]any{"columns": userSelectColumns, "filter": map[string]any{"id": map[string]any{"_eq": "X-Hasura-User-Id"}}}}})
			}
		}
	}
	body, err := json.Marshal(map[string]any{"type": "bulk", "args": cmds})
	if err != nil {
		return err
	}
	if _, err := meta(ctx, body); err != nil {
		return fmt.Errorf("track auth tables: %w", err)
	}
	s.log.Info("tracked the auth tables", "tables", len(added))
	return nil
}

// userReadRoles are the roles that may read their own users row.
func (s *Service) userReadRoles() []string {
	roles := []string{s.cfg.DefaultRole}
	if s.cfg.DefaultRole != "me" {
		roles = append(roles, "me")
	}
	return roles
}
