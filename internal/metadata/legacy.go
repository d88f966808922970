package metadata

import "strings"

// LegacyOperation returns the /v1/metadata operation that implements the
// /v1/query command typ (request "version" 1 or 2), which always works on
// source "default" (hasura/graphql-engine: server/src-lib/Hasura/Server/API/Query.hs,
// RQLQueryV1 and RQLQueryV2). ok is false when typ is not a metadata
// operation there (run_sql, DML, bulk and the management commands are run
// by package metaapi).
func LegacyOperation(typ string, version int) (op string, ok bool) {
	if version == 2 {
		switch typ {
		case "track_table":
			return "pg_track_table", true
		case "track_function":
			return "pg_track_function", true
		case "set_table_custom_fields":
			return "set_table_custom_fields", true
		}
		return "", false
	}
	switch typ {
	case "add_existing_table_or_view", "track_table":
		return "pg_track_table", true
	case "untrack_table", "set_table_is_enum", "set_table_customization",
		"track_function", "untrack_function",
		"create_object_relationship", "create_array_relationship", "drop_relationship",
		"set_relationship_comment", "rename_relationship",
		"add_computed_field", "drop_computed_field",
		"set_permission_comment":
		return "pg_" + typ, true
	case "set_table_custom_fields":
		return typ, true
	case "create_query_collection", "rename_query_collection", "drop_query_collection",
		"add_query_to_collection", "drop_query_from_collection",
		"add_collection_to_allowlist", "drop_collection_from_allowlist",
		"create_rest_endpoint", "drop_rest_endpoint":
		return typ, true
	}
	for _, p := range []string{"create_", "drop_"} {
		if strings.HasPrefix(typ, p) && strings.HasSuffix(typ, "_permission") {
			switch strings.TrimSuffix(strings.TrimPrefix(typ, p), "_permission") {
			case "select", "insert", "update", "delete":
				return "pg_" + typ, true
			}
		}
	}
	return "", false
}
