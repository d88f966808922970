package metaapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
)

// Management commands (hasura/graphql-engine: server/src-lib/Hasura/RQL/DDL/Metadata.hs).

// bulk runs the commands of a bulk in order. bulk and bulk_atomic stop at
// the first error and the whole request fails (nothing is stored);
// bulk_keep_going runs every command and reports each failure in place.
func (t *txn) bulk(a api, r request) (json.RawMessage, error) {
	args, err := r.args()
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(args, &items); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "parsing [] failed, expected Array, but encountered %s", metadata.JSONKind(args)).At(r.Path)
	}
	keepGoing := r.Type == "bulk_keep_going"
	results := make([]json.RawMessage, 0, len(items))
	for i, item := range items {
		sub, err := decodeRequest(item, r.Path+"["+itoa(i)+"]")
		if err == nil {
			var out json.RawMessage
			out, err = t.dispatch(a, sub)
			if err == nil {
				results = append(results, out)
				continue
			}
		}
		if !keepGoing {
			return nil, err
		}
		results = append(results, errorJSON(apierr.From(err)))
	}
	if r.Type == "bulk_atomic" {
		return metadata.SuccessResponse, nil
	}
	return mustJSON(results), nil
}

func errorJSON(e *apierr.Error) json.RawMessage {
	return apierr.APIError(e, false)
}

func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage(`null`)
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// replaceMetadata is replace_metadata. Version 1 takes the metadata as its
// arguments and rejects inconsistent metadata; version 2 takes
// {allow_inconsistent_metadata, metadata} and answers with the
// inconsistencies. Metadata without sources (formats 1 and 2) replaces the
// tables and functions of source "default".
func (t *txn) replaceMetadata(r request) (json.RawMessage, error) {
	args, err := r.args()
	if err != nil {
		return nil, err
	}
	doc, docPath := args, r.Path
	allow := false
	if r.Version == 2 {
		var v2 struct {
			AllowInconsistentMetadata bool            `json:"allow_inconsistent_metadata"`
			AllowWarnings             *bool           `json:"allow_warnings"`
			Metadata                  json.RawMessage `json:"metadata"`
		}
		if metadata.JSONKind(args) != "Object" {
			return nil, apierr.New(apierr.ParseFailed, "parsing ReplaceMetadataV2 failed, expected Object, but encountered %s", metadata.JSONKind(args)).At(r.Path)
		}
		if err := json.Unmarshal(args, &v2); err != nil {
			return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(r.Path)
		}
		if v2.Metadata == nil {
			return nil, apierr.New(apierr.ParseFailed, "key \"metadata\" not found").At(r.Path)
		}
		doc, docPath, allow = v2.Metadata, r.Path+".metadata", v2.AllowInconsistentMetadata
	}
	md, err := t.decodeMetadata(doc, docPath)
	if err != nil {
		return nil, err
	}
	oldServed, _ := t.md.Source(servedSource(t.md))
	t.install(md)
	if newServed, ok := md.Source(servedSource(md)); ok && (oldServed == nil || !bytes.Equal(oldServed.Configuration, newServed.Configuration)) {
		t.refreshCatalog()
	}
	incs := t.model.Inconsistencies
	if !allow && len(incs) > 0 {
		return nil, &apierr.Error{Code: apierr.Unexpected, Message: "cannot continue due to inconsistent metadata", Path: r.Path, Status: 400, Internal: incs}
	}
	if r.Version == 2 {
		return inconsistencyReport(incs, false), nil
	}
	return metadata.SuccessResponse, nil
}

// refreshCatalog re-introspects the served source of the working metadata.
func (t *txn) refreshCatalog() {
	s := t.s
	saved := s.cat
	s.refreshCatalogLocked(t.ctx, t.md)
	t.cat, s.cat = s.cat, saved
	s.enums = nil
	t.catChanged = true
	t.model = s.buildLocked(t.ctx, t.md, t.cat)
}

// decodeMetadata decodes a metadata document of any format.
func (t *txn) decodeMetadata(doc json.RawMessage, path string) (*metadata.Metadata, error) {
	if metadata.JSONKind(doc) != "Object" {
		return nil, apierr.New(apierr.ParseFailed, "parsing Metadata failed, expected Object, but encountered %s", metadata.JSONKind(doc)).At(path)
	}
	var probe struct {
		Version json.RawMessage `json:"version"`
		Sources json.RawMessage `json:"sources"`
	}
	_ = json.Unmarshal(doc, &probe)
	var version int
	_ = json.Unmarshal(probe.Version, &version)
	if version >= 3 || (probe.Sources != nil && version == 0) {
		if probe.Sources == nil {
			return nil, apierr.New(apierr.ParseFailed, "key \"sources\" not found").At(path)
		}
		var md metadata.Metadata
		if err := json.Unmarshal(doc, &md); err != nil {
			return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path)
		}
		md.Normalize()
		return &md, nil
	}
	// Formats 1 and 2: the tables and functions of source "default".
	var old struct {
		Tables           []*metadata.Table           `json:"tables"`
		Functions        []json.RawMessage           `json:"functions"`
		RemoteSchemas    json.RawMessage             `json:"remote_schemas"`
		QueryCollections []*metadata.QueryCollection `json:"query_collections"`
		Allowlist        []*metadata.AllowlistEntry  `json:"allowlist"`
		Actions          json.RawMessage             `json:"actions"`
		CustomTypes      json.RawMessage             `json:"custom_types"`
		CronTriggers     json.RawMessage             `json:"cron_triggers"`
	}
	if err := json.Unmarshal(doc, &old); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path)
	}
	def, ok := t.md.Source(metadata.DefaultSource)
	if !ok {
		return nil, apierr.New(apierr.NotSupported, "cannot import metadata without sources since no default source is defined").At(path)
	}
	src := &metadata.Source{Name: def.Name, Kind: def.Kind, Configuration: def.Configuration, Customization: def.Customization,
		HealthCheck: def.HealthCheck, Tables: old.Tables}
	for i, f := range old.Functions {
		var fn metadata.Function
		if metadata.JSONKind(f) == "Object" && bytes.Contains(f, []byte(`"function"`)) {
			if err := json.Unmarshal(f, &fn); err != nil {
				return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path + ".functions[" + itoa(i) + "]")
			}
		} else if err := json.Unmarshal(f, &fn.Function); err != nil {
			return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(path + ".functions[" + itoa(i) + "]")
		}
		src.Functions = append(src.Functions, &fn)
	}
	md := &metadata.Metadata{Version: 3, Sources: []*metadata.Source{src}, RemoteSchemas: old.RemoteSchemas,
		QueryCollections: old.QueryCollections, Allowlist: old.Allowlist, Actions: old.Actions, CustomTypes: old.CustomTypes,
		CronTriggers: old.CronTriggers, RestEndpoints: t.md.RestEndpoints}
	md.Normalize()
	return md, nil
}

// clearMetadata is clear_metadata: everything goes except source
// "default", which stays without tables or functions.
func (t *txn) clearMetadata() (json.RawMessage, error) {
	md := metadata.Empty()
	if def, ok := t.md.Source(metadata.DefaultSource); ok {
		md.Sources = append(md.Sources, &metadata.Source{Name: def.Name, Kind: def.Kind, Tables: []*metadata.Table{},
			Configuration: def.Configuration})
	}
	t.install(md)
	return metadata.SuccessResponse, nil
}

// reloadMetadata is reload_metadata: introspect the database again and
// rebuild.
func (t *txn) reloadMetadata(r request) (json.RawMessage, error) {
	var args struct {
		ReloadSources json.RawMessage `json:"reload_sources"`
	}
	_ = json.Unmarshal(r.argsOrEmpty(), &args)
	var names []string
	if json.Unmarshal(args.ReloadSources, &names) == nil {
		for _, n := range names {
			if _, ok := t.md.Source(n); !ok {
				return nil, apierr.New(apierr.NotExists, "Source with name %q not found in metadata", n).At(r.Path)
			}
		}
	}
	t.refreshCatalog()
	t.changed = true
	incs := t.model.Inconsistencies
	out := map[string]any{"message": "success", "is_consistent": len(incs) == 0}
	if len(incs) > 0 {
		out["inconsistent_objects"] = incs
	}
	return mustJSON(out), nil
}

// dropInconsistentMetadata removes every inconsistent object.
func (t *txn) dropInconsistentMetadata(r request) (json.RawMessage, error) {
	md := t.md.Clone()
	incs := t.model.Inconsistencies
	for i := len(incs) - 1; i >= 0; i-- {
		for _, id := range incs[i].IDs {
			metadata.PurgeObject(md, id)
		}
	}
	t.install(md)
	var left []metadata.Inconsistency
	for _, inc := range t.model.Inconsistencies {
		if len(inc.IDs) > 0 {
			left = append(left, inc)
		}
	}
	if len(left) > 0 {
		return nil, &apierr.Error{Code: apierr.Unexpected, Message: "cannot continue due to new inconsistent metadata",
			Path: r.Path, Status: 400, Internal: t.model.Inconsistencies}
	}
	return metadata.SuccessResponse, nil
}

// setCatalogState stores the console's or the CLI's state in hdb_version.
func (t *txn) setCatalogState(r request) (json.RawMessage, error) {
	var a struct {
		Type  string          `json:"type"`
		State json.RawMessage `json:"state"`
	}
	args, err := r.args()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(args, &a); err != nil || (a.Type != "console" && a.Type != "cli") {
		return nil, apierr.New(apierr.ParseFailed, "expected one of: console, cli").At(r.Path + ".type")
	}
	col := "console_state"
	if a.Type == "cli" {
		col = "cli_state"
	}
	if _, err := t.s.o.MetadataPool.Exec(t.ctx, "UPDATE hdb_catalog.hdb_version SET "+col+" = $1::jsonb", string(a.State)); err != nil {
		return nil, err
	}
	return metadata.SuccessResponse, nil
}

// inconsistencyReport is {is_consistent, inconsistent_objects}.
func inconsistencyReport(incs []metadata.Inconsistency, _ bool) json.RawMessage {
	if incs == nil {
		incs = []metadata.Inconsistency{}
	}
	return mustJSON(map[string]any{"is_consistent": len(incs) == 0, "inconsistent_objects": incs})
}

// read serves a command that changes nothing, without the writer lock.
func (s *Service) read(ctx context.Context, a api, r request) ([]byte, error) {
	if r.Type == "select" || r.Type == "count" {
		return s.dml(ctx, r)
	}
	s.mu.Lock()
	md, rv, cat := s.md, s.rv, s.cat
	model := s.snap.Load().Model
	s.mu.Unlock()
	if md == nil {
		md = metadata.Empty()
	}
	return s.readLocked(ctx, a, r, md, model, cat, rv)
}

// readLocked answers a read-only command from the given state.
func (s *Service) readLocked(ctx context.Context, a api, r request, md *metadata.Metadata, model *schema.Model, cat *catalog.Catalog, rv int64) (json.RawMessage, error) {
	switch r.Type {
	case "export_metadata":
		if r.Version == 2 && a == apiMetadata {
			return mustJSON(struct {
				ResourceVersion int64              `json:"resource_version"`
				Metadata        *metadata.Metadata `json:"metadata"`
			}{rv, md}), nil
		}
		return mustJSON(md), nil
	case "get_inconsistent_metadata":
		return inconsistencyReport(model.Inconsistencies, false), nil
	case "pg_suggest_relationships":
		return suggestRelationships(md, cat, r)
	case "pg_get_source_tables":
		return sourceTables(md, cat, r)
	case "list_source_kinds":
		return json.RawMessage(`{"sources":[{"available":true,"builtin":true,"display_name":"pg","kind":"pg","release_name":"GA"}]}`), nil
	case "get_source_kind_capabilities":
		return json.RawMessage(`{}`), nil
	case "get_catalog_state":
		var id, cli, console string
		err := s.o.MetadataPool.QueryRow(ctx, "SELECT hasura_uuid::text, cli_state::text, console_state::text FROM hdb_catalog.hdb_version").
			Scan(&id, &cli, &console)
		if err != nil {
			return nil, fmt.Errorf("read catalog state: %w", err)
		}
		return mustJSON(map[string]any{"id": id, "cli_state": json.RawMessage(cli), "console_state": json.RawMessage(console)}), nil
	case "get_table_info":
		return nil, apierr.New(apierr.NotSupported, "get_table_info is only supported for data connector sources").At(r.Path)
	}
	return nil, unknownCommand(a, r)
}
