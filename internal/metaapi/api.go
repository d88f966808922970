package metaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/metadata"
)

// request is a decoded body of the admin APIs: {type, args, version,
// resource_version}.
type request struct {
	Type            string
	Args            json.RawMessage
	HasArgs         bool
	Version         int
	ResourceVersion *int64
	// Path is the JSON path of Args ("$.args", "$.args[2].args").
	Path string
}

// decodeRequest decodes one request object found at path ("$" for a body,
// "$.args[2]" inside a bulk).
func decodeRequest(raw json.RawMessage, path string) (request, error) {
	var r request
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || !json.Valid(raw) {
		var v any
		err := json.Unmarshal(raw, &v)
		msg := "Error in $: unexpected end of input"
		if err != nil {
			msg = "Error in $: " + err.Error()
		}
		return r, apierr.New(apierr.InvalidJSON, "%s", msg).At(path)
	}
	var o map[string]json.RawMessage
	if err := json.Unmarshal(raw, &o); err != nil {
		return r, apierr.New(apierr.ParseFailed, "parsing RQLQuery failed, expected Object, but encountered %s", metadata.JSONKind(raw)).At(path)
	}
	t, ok := o["type"]
	if !ok {
		return r, apierr.New(apierr.ParseFailed, "key \"type\" not found").At(path)
	}
	if err := json.Unmarshal(t, &r.Type); err != nil {
		return r, apierr.New(apierr.ParseFailed, "parsing Text failed, expected String, but encountered %s", metadata.JSONKind(t)).At(path + ".type")
	}
	r.Args, r.HasArgs = o["args"]
	r.Version = 1
	if v, ok := o["version"]; ok && !metadata.IsNull(v) {
		var n any
		_ = json.Unmarshal(v, &n)
		switch n {
		case float64(1), "1":
			r.Version = 1
		case float64(2), "2":
			r.Version = 2
		default:
			return r, apierr.New(apierr.ParseFailed, "expected 1 or 2, encountered %s", string(v)).At(path + ".version")
		}
	}
	if v, ok := o["resource_version"]; ok && !metadata.IsNull(v) {
		var n int64
		if err := json.Unmarshal(v, &n); err != nil {
			return r, apierr.New(apierr.ParseFailed, "parsing Int failed, expected Number, but encountered %s", metadata.JSONKind(v)).At(path + ".resource_version")
		}
		r.ResourceVersion = &n
	}
	r.Path = path + ".args"
	if path == "$" {
		r.Path = "$.args"
	}
	return r, nil
}

// args returns the request's arguments, failing like Hasura when a command
// that takes arguments has none.
func (r request) args() (json.RawMessage, error) {
	if !r.HasArgs {
		return nil, apierr.New(apierr.ParseFailed, "key \"args\" not found").At(strings.TrimSuffix(r.Path, ".args"))
	}
	return r.Args, nil
}

// argsOrEmpty returns the arguments, {} when absent.
func (r request) argsOrEmpty() json.RawMessage {
	if !r.HasArgs || metadata.IsNull(r.Args) {
		return json.RawMessage(`{}`)
	}
	return r.Args
}

// api is which endpoint a request came through; the same command names
// mean slightly different things on each.
type api int

const (
	apiMetadata api = iota // /v1/metadata
	apiQueryV1             // /v1/query
	apiQueryV2             // /v2/query
)

// Metadata serves /v1/metadata. The caller has checked that the request
// is from an admin. Errors are *apierr.Error.
func (s *Service) Metadata(ctx context.Context, body []byte) ([]byte, error) {
	r, err := decodeRequest(body, "$")
	if err != nil {
		return nil, err
	}
	return s.serve(ctx, apiMetadata, r)
}

// QueryV1 serves the legacy /v1/query (source "default" only).
func (s *Service) QueryV1(ctx context.Context, body []byte) ([]byte, error) {
	r, err := decodeRequest(body, "$")
	if err != nil {
		return nil, err
	}
	return s.serve(ctx, apiQueryV1, r)
}

// QueryV2 serves /v2/query: run_sql, the DML commands and bulk.
func (s *Service) QueryV2(ctx context.Context, body []byte) ([]byte, error) {
	r, err := decodeRequest(body, "$")
	if err != nil {
		return nil, err
	}
	return s.serve(ctx, apiQueryV2, r)
}

// readOnly reports whether a command never changes the metadata or the
// database, so that it need not take the writer lock.
func readOnly(a api, r request) bool {
	switch r.Type {
	case "export_metadata", "get_inconsistent_metadata", "pg_suggest_relationships", "get_table_info",
		"pg_get_source_tables", "list_source_kinds", "get_source_kind_capabilities", "get_catalog_state":
		return true
	case "select", "count":
		return a != apiMetadata
	}
	return false
}

// serve runs one top-level request.
func (s *Service) serve(ctx context.Context, a api, r request) ([]byte, error) {
	if readOnly(a, r) {
		return s.read(ctx, a, r)
	}
	switch r.Type {
	case "insert", "update", "delete":
		if a != apiMetadata {
			return s.dml(ctx, r)
		}
	}
	return s.run(ctx, r.ResourceVersion, func(t *txn) (json.RawMessage, error) {
		return t.dispatch(a, r)
	})
}

// dispatch runs one command inside a txn (a top-level write or a part of
// a bulk).
func (t *txn) dispatch(a api, r request) (json.RawMessage, error) {
	switch r.Type {
	case "bulk", "bulk_atomic", "concurrent_bulk", "bulk_keep_going":
		if a == apiMetadata || r.Type == "bulk" || (a == apiQueryV2 && r.Type == "concurrent_bulk") {
			return t.bulk(a, r)
		}
	case "run_sql":
		if a != apiMetadata {
			return t.runSQL(r)
		}
	case "insert", "update", "delete", "select", "count":
		if a != apiMetadata {
			return t.dmlInTxn(r)
		}
	case "export_metadata", "get_inconsistent_metadata", "pg_suggest_relationships", "get_table_info",
		"pg_get_source_tables", "list_source_kinds", "get_source_kind_capabilities", "get_catalog_state":
		return t.s.readLocked(t.ctx, a, r, t.md, t.model, t.cat, t.expected)
	case "replace_metadata":
		if a != apiQueryV2 {
			return t.replaceMetadata(r)
		}
	case "clear_metadata":
		if a != apiQueryV2 {
			return t.clearMetadata()
		}
	case "reload_metadata":
		if a != apiQueryV2 {
			return t.reloadMetadata(r)
		}
	case "drop_inconsistent_metadata":
		if a != apiQueryV2 {
			return t.dropInconsistentMetadata(r)
		}
	case "set_catalog_state":
		if a == apiMetadata {
			return t.setCatalogState(r)
		}
	}
	op, ok := r.Type, false
	switch a {
	case apiMetadata:
		ok = metadata.IsOperation(op)
	case apiQueryV1:
		op, ok = metadata.LegacyOperation(r.Type, r.Version)
	}
	if ok {
		args, err := r.args()
		if err != nil {
			return nil, err
		}
		return t.apply(metadata.Command{Type: op, Args: args, Path: r.Path})
	}
	return nil, unknownCommand(a, r)
}

// unknownCommand is Hasura's answer to a command type it does not know
// (Hasura.Server.API.Metadata, RQLMetadataV1's parser), or one graft does
// not implement.
func unknownCommand(a api, r request) error {
	path := strings.TrimSuffix(r.Path, ".args")
	if path == "" {
		path = "$"
	}
	if notImplemented[r.Type] || notImplemented[strings.TrimPrefix(r.Type, "pg_")] {
		return apierr.New(apierr.NotSupported, "graft does not support the %q command yet", r.Type).At(path)
	}
	if a != apiMetadata {
		return apierr.New(apierr.ParseFailed, "unknown query type %q", r.Type).At(path)
	}
	prefix, cmd, found := strings.Cut(r.Type, "_")
	switch prefix {
	case "pg", "citus", "cockroach", "mssql", "bigquery", "mysql":
		if found {
			backend := map[string]string{"pg": "postgres"}[prefix]
			if backend == "" {
				backend = prefix
			}
			return apierr.New(apierr.ParseFailed, "unknown metadata command %q for backend %s", cmd, backend).At(path)
		}
	}
	return apierr.New(apierr.ParseFailed, "unknown metadata command %q; %q was not recognized as a valid backend name", r.Type, prefix).At(path)
}

// notImplemented lists Hasura commands graft recognizes but does not run yet.
var notImplemented = map[string]bool{
	"add_remote_schema": true, "update_remote_schema": true, "remove_remote_schema": true, "reload_remote_schema": true,
	"introspect_remote_schema": true, "add_remote_schema_permissions": true, "drop_remote_schema_permissions": true,
	"create_remote_relationship": true, "update_remote_relationship": true, "delete_remote_relationship": true,
	"create_remote_schema_remote_relationship": true, "update_remote_schema_remote_relationship": true,
	"delete_remote_schema_remote_relationship": true,
	"create_event_trigger":                     true, "delete_event_trigger": true, "redeliver_event": true, "invoke_event_trigger": true,
	"get_event_logs": true, "get_event_invocation_logs": true, "get_event_by_id": true, "cleanup_event_trigger_logs": true,
	"create_cron_trigger": true, "delete_cron_trigger": true, "get_cron_triggers": true, "create_scheduled_event": true,
	"delete_scheduled_event": true, "get_scheduled_events": true, "get_scheduled_event_invocations": true, "get_event_invocations": true,
	"create_action": true, "drop_action": true, "update_action": true, "create_action_permission": true, "drop_action_permission": true,
	"set_custom_types": true, "set_api_limits": true, "remove_api_limits": true, "set_metrics_config": true, "remove_metrics_config": true,
	"add_host_to_tls_allowlist": true, "drop_host_from_tls_allowlist": true, "dump_internal_state": true,
	"test_webhook_transform": true, "set_query_tags": true, "track_native_query": true, "untrack_native_query": true,
	"track_logical_model": true, "untrack_logical_model": true,
}

// itoa formats i.
func itoa(i int) string { return strconv.Itoa(i) }
