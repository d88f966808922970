package metadata

import (
	"encoding/json"
	"errors"
	"sort"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
)

// Command is one command of the metadata API: its type and its arguments.
type Command struct {
	Type string
	Args json.RawMessage
	// Path is the JSON path of Args in the request: "$.args", or
	// "$.args[2].args" inside a bulk. Errors are located under it.
	Path string
}

// Env is what operations may know of the databases. Operations are pure:
// they read Env but never change anything outside the metadata they return.
type Env struct {
	// Catalog returns the introspected catalog of a source, or nil when it
	// is not known (operations then skip the checks that need it).
	Catalog func(source string) *catalog.Catalog
}

func (e Env) catalog(source string) *catalog.Catalog {
	if e.Catalog == nil {
		return nil
	}
	return e.Catalog(source)
}

// CheckMode says how the metadata an operation produced must be checked
// once it is resolved against the database.
type CheckMode int

const (
	// CheckObject rejects the change if Change.Object became inconsistent
	// (400 invalid-configuration, with the object's reasons) or if anything
	// else did (400 unexpected), as Hasura's buildSchemaCacheFor.
	CheckObject CheckMode = iota
	// CheckNew rejects the change if any object became inconsistent (500
	// unexpected), as Hasura's withNewInconsistentObjsCheck.
	CheckNew
	// CheckNone accepts the change whatever it resolves to (comments,
	// collections, things the schema does not depend on).
	CheckNone
)

// Change is the effect of an operation.
type Change struct {
	// Metadata is the new metadata.
	Metadata *Metadata
	Check    CheckMode
	// Object is the object checked with CheckObject.
	Object ObjectID
	// Response is the JSON answer; nil means {"message":"success"}.
	Response json.RawMessage
}

// SuccessResponse is the answer of most metadata commands.
var SuccessResponse = json.RawMessage(`{"message":"success"}`)

type opFunc func(md *Metadata, args json.RawMessage, path string, env Env) (*Change, error)

// ops are the operations that change the metadata, by their /v1/metadata
// name. Management commands (export, replace, reload, bulk, run_sql, ...)
// are run by package metaapi, which owns the database state.
var ops = map[string]opFunc{}

func init() {
	for name, f := range map[string]opFunc{
		"pg_add_source":                            addSource,
		"pg_drop_source":                           dropSource,
		"pg_update_source":                         updateSource,
		"rename_source":                            renameSource,
		"pg_track_table":                           trackTable,
		"pg_track_tables":                          trackTables,
		"pg_untrack_table":                         untrackTable,
		"pg_untrack_tables":                        untrackTables,
		"pg_set_table_customization":               setTableCustomization,
		"pg_set_table_is_enum":                     setTableIsEnum,
		"set_table_custom_fields":                  setTableCustomFields,
		"pg_create_object_relationship":            createObjectRelationship,
		"pg_create_array_relationship":             createArrayRelationship,
		"pg_drop_relationship":                     dropRelationship,
		"pg_rename_relationship":                   renameRelationship,
		"pg_set_relationship_comment":              setRelationshipComment,
		"pg_create_select_permission":              createPermission("select"),
		"pg_create_insert_permission":              createPermission("insert"),
		"pg_create_update_permission":              createPermission("update"),
		"pg_create_delete_permission":              createPermission("delete"),
		"pg_drop_select_permission":                dropPermission("select"),
		"pg_drop_insert_permission":                dropPermission("insert"),
		"pg_drop_update_permission":                dropPermission("update"),
		"pg_drop_delete_permission":                dropPermission("delete"),
		"pg_set_permission_comment":                setPermissionComment,
		"pg_add_computed_field":                    addComputedField,
		"pg_drop_computed_field":                   dropComputedField,
		"pg_track_function":                        trackFunction,
		"pg_untrack_function":                      untrackFunction,
		"pg_set_function_customization":            setFunctionCustomization,
		"pg_create_function_permission":            createFunctionPermission,
		"pg_drop_function_permission":              dropFunctionPermission,
		"add_inherited_role":                       addInheritedRole,
		"drop_inherited_role":                      dropInheritedRole,
		"create_query_collection":                  createQueryCollection,
		"rename_query_collection":                  renameQueryCollection,
		"drop_query_collection":                    dropQueryCollection,
		"add_query_to_collection":                  addQueryToCollection,
		"drop_query_from_collection":               dropQueryFromCollection,
		"add_collection_to_allowlist":              addCollectionToAllowlist,
		"drop_collection_from_allowlist":           dropCollectionFromAllowlist,
		"update_scope_of_collection_in_allowlist":  updateScopeOfCollectionInAllowlist,
		"create_rest_endpoint":                     createRestEndpoint,
		"drop_rest_endpoint":                       dropRestEndpoint,
		"set_graphql_schema_introspection_options": setIntrospectionOptions,
	} {
		ops[name] = f
	}
}

// IsOperation reports whether typ is a metadata-changing command that
// [Apply] runs.
func IsOperation(typ string) bool {
	_, ok := ops[typ]
	return ok
}

// Apply runs cmd on a copy of md and returns the changed copy; md itself is
// never modified, and nothing is half-applied: an error means no change.
// Errors are *apierr.Error located under cmd.Path.
func Apply(md *Metadata, cmd Command, env Env) (*Change, error) {
	f, ok := ops[cmd.Type]
	if !ok {
		return nil, apierr.New(apierr.ParseFailed, "unknown metadata command %q", cmd.Type).At("$")
	}
	path := cmd.Path
	if path == "" {
		path = "$.args"
	}
	c := md.Clone()
	ch, err := f(c, cmd.Args, path, env)
	if err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) && ae.Path == "" {
			return nil, ae.At(path)
		}
		return nil, err
	}
	if ch == nil {
		ch = &Change{Check: CheckNone}
	}
	ch.Metadata = c
	return ch, nil
}

func objectChange(id ObjectID) (*Change, error) { return &Change{Check: CheckObject, Object: id}, nil }

func newCheck() (*Change, error) { return &Change{Check: CheckNew}, nil }

func noCheck() (*Change, error) { return &Change{Check: CheckNone}, nil }

// errf returns an error with code and message; Apply locates it at the
// command's path.
func errf(code apierr.Code, format string, args ...any) *apierr.Error {
	return apierr.New(code, format, args...)
}

// sourceOf returns the source named name.
func (m *Metadata) sourceOf(name string) (*Source, error) {
	if s, ok := m.Source(name); ok {
		return s, nil
	}
	return nil, errf(apierr.NotExists, "source with name %q does not exist", name)
}

// tableOf returns the tracked table q of source.
func (m *Metadata) tableOf(source string, q catalog.QualifiedName) (*Source, *Table, error) {
	s, err := m.sourceOf(source)
	if err != nil {
		return nil, nil, err
	}
	t, ok := s.Table(q)
	if !ok {
		return nil, nil, errf(apierr.NotExists, "table %s does not exist in source: %s", Quoted(q), source)
	}
	return s, t, nil
}

// sortedStrings returns ss sorted.
func sortedStrings(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Strings(out)
	return out
}

// Normalize fixes what a decoded document may lack: a version, empty (not
// null) table lists, empty filters. Load and replace_metadata call it.
func (m *Metadata) Normalize() {
	if m.Version == 0 {
		m.Version = 3
	}
	if m.Sources == nil {
		m.Sources = []*Source{}
	}
	for _, s := range m.Sources {
		if s.Raw != nil {
			continue
		}
		if s.Kind == "" {
			s.Kind = "postgres"
		}
		if s.Tables == nil {
			s.Tables = []*Table{}
		}
		if len(s.Configuration) == 0 {
			s.Configuration = json.RawMessage(`{}`)
		}
		for _, t := range s.Tables {
			t.normalizePermissions()
		}
	}
}

func emptyIfNull(b json.RawMessage) json.RawMessage {
	if IsNull(b) {
		return json.RawMessage(`{}`)
	}
	return b
}

func (t *Table) normalizePermissions() {
	for _, p := range t.SelectPermissions {
		p.Permission.Filter = emptyIfNull(p.Permission.Filter)
	}
	for _, p := range t.InsertPermissions {
		p.Permission.Check = emptyIfNull(p.Permission.Check)
	}
	for _, p := range t.UpdatePermissions {
		p.Permission.Filter = emptyIfNull(p.Permission.Filter)
	}
	for _, p := range t.DeletePermissions {
		p.Permission.Filter = emptyIfNull(p.Permission.Filter)
	}
}
