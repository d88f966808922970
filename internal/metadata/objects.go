package metadata

import (
	"encoding/json"
	"strings"

	"github.com/graftql/graft/internal/catalog"
)

// ObjectKind is the kind of a metadata object, as Hasura's MetadataObjId
// distinguishes them (hasura/graphql-engine:
// server/src-lib/Hasura/RQL/Types/Metadata/Object.hs).
type ObjectKind int

const (
	ObjSource ObjectKind = iota
	ObjTable
	ObjFunction
	ObjFunctionPermission
	ObjRelationship
	ObjPermission
	ObjComputedField
	ObjRemoteRelationship
	ObjEventTrigger
	ObjRemoteSchema
	ObjRemoteSchemaPermission
	ObjCustomTypes
	ObjAction
	ObjActionPermission
	ObjCronTrigger
	ObjInheritedRole
	ObjEndpoint
	ObjQueryCollectionQuery
)

// ObjectID identifies one metadata object. Which fields are set depends on
// Kind: Source for everything in a source; Table for tables and the objects
// on them; Function for functions; Name for relationships, computed fields,
// event triggers, remote relationships, remote schemas, actions, cron
// triggers, inherited roles, endpoints and collection queries; Role for
// permissions; PermType ("select", "insert", "update", "delete") for table
// permissions; RelType ("object", "array") for relationships; Collection
// for a query of a query collection.
type ObjectID struct {
	Kind       ObjectKind
	Source     string
	Table      catalog.QualifiedName
	Function   catalog.QualifiedName
	Name       string
	Role       string
	PermType   string
	RelType    string
	Collection string
}

// SourceID identifies a source.
func SourceID(source string) ObjectID { return ObjectID{Kind: ObjSource, Source: source} }

// TableID identifies a tracked table.
func TableID(source string, t catalog.QualifiedName) ObjectID {
	return ObjectID{Kind: ObjTable, Source: source, Table: t}
}

// FunctionID identifies a tracked function.
func FunctionID(source string, f catalog.QualifiedName) ObjectID {
	return ObjectID{Kind: ObjFunction, Source: source, Function: f}
}

// FunctionPermissionID identifies a role's permission on a function.
func FunctionPermissionID(source string, f catalog.QualifiedName, role string) ObjectID {
	return ObjectID{Kind: ObjFunctionPermission, Source: source, Function: f, Role: role}
}

// RelationshipID identifies a relationship; relType is "object" or "array".
func RelationshipID(source string, t catalog.QualifiedName, name, relType string) ObjectID {
	return ObjectID{Kind: ObjRelationship, Source: source, Table: t, Name: name, RelType: relType}
}

// PermissionID identifies a table permission; permType is "select",
// "insert", "update" or "delete".
func PermissionID(source string, t catalog.QualifiedName, role, permType string) ObjectID {
	return ObjectID{Kind: ObjPermission, Source: source, Table: t, Role: role, PermType: permType}
}

// ComputedFieldID identifies a computed field.
func ComputedFieldID(source string, t catalog.QualifiedName, name string) ObjectID {
	return ObjectID{Kind: ObjComputedField, Source: source, Table: t, Name: name}
}

// RemoteRelationshipID identifies a remote relationship of a table.
func RemoteRelationshipID(source string, t catalog.QualifiedName, name string) ObjectID {
	return ObjectID{Kind: ObjRemoteRelationship, Source: source, Table: t, Name: name}
}

// EventTriggerID identifies an event trigger.
func EventTriggerID(source string, t catalog.QualifiedName, name string) ObjectID {
	return ObjectID{Kind: ObjEventTrigger, Source: source, Table: t, Name: name}
}

// InheritedRoleID identifies an inherited role.
func InheritedRoleID(role string) ObjectID { return ObjectID{Kind: ObjInheritedRole, Name: role} }

// EndpointID identifies a REST endpoint.
func EndpointID(name string) ObjectID { return ObjectID{Kind: ObjEndpoint, Name: name} }

// CollectionQueryID identifies a query of a query collection.
func CollectionQueryID(collection, query string) ObjectID {
	return ObjectID{Kind: ObjQueryCollectionQuery, Collection: collection, Name: query}
}

// TypeName is the object's "type" in inconsistency reports (Hasura's
// moiTypeName).
func (id ObjectID) TypeName() string {
	switch id.Kind {
	case ObjSource:
		return "source"
	case ObjTable:
		return "table"
	case ObjFunction:
		return "function"
	case ObjFunctionPermission:
		return "function_permission"
	case ObjRelationship:
		return id.RelType + "_relation"
	case ObjPermission:
		return id.PermType + "_permission"
	case ObjComputedField:
		return "computed_field"
	case ObjRemoteRelationship:
		return "remote_relationship"
	case ObjEventTrigger:
		return "event_trigger"
	case ObjRemoteSchema:
		return "remote_schema"
	case ObjRemoteSchemaPermission:
		return "remote_schema_permission"
	case ObjCustomTypes:
		return "custom_types"
	case ObjAction:
		return "action"
	case ObjActionPermission:
		return "action_permission"
	case ObjCronTrigger:
		return "cron_trigger"
	case ObjInheritedRole:
		return "inherited_role"
	case ObjEndpoint:
		return "rest_endpoint"
	case ObjQueryCollectionQuery:
		return "query_collections"
	}
	return "unknown"
}

// String is the object's "name" in inconsistency reports (Hasura's moiName),
// for example "function search_articles in source default" or
// "select_permission user in table author in source default".
func (id ObjectID) String() string {
	t := id.TypeName()
	switch id.Kind {
	case ObjSource:
		return t + " " + id.Source
	case ObjTable:
		return t + " " + QualifiedText(id.Table) + " in source " + id.Source
	case ObjFunction:
		return t + " " + QualifiedText(id.Function) + " in source " + id.Source
	case ObjFunctionPermission:
		return t + " " + id.Role + " permission for function " + QualifiedText(id.Function) + " in source " + id.Source
	case ObjRelationship, ObjComputedField, ObjRemoteRelationship, ObjEventTrigger:
		return t + " " + id.Name + " in " + TableID(id.Source, id.Table).String()
	case ObjPermission:
		return t + " " + id.Role + " in " + TableID(id.Source, id.Table).String()
	case ObjInheritedRole:
		return t + " inherited role " + id.Name
	case ObjQueryCollectionQuery:
		return t + " " + id.Name + " in " + id.Collection
	case ObjCustomTypes:
		return t + " custom_types"
	case ObjActionPermission:
		return t + " " + id.Role + " permission in " + id.Name
	case ObjRemoteSchemaPermission:
		return t + " " + id.Role + " permission in remote schema " + id.Name
	}
	return t + " " + id.Name
}

// QualifiedText renders a table or function name as Hasura does in
// messages: bare in schema public, "schema.name" otherwise.
func QualifiedText(q catalog.QualifiedName) string {
	if q.Schema == "public" {
		return q.Name
	}
	return q.Schema + "." + q.Name
}

// Quoted renders q as QualifiedText between double quotes, Hasura's <<>.
func Quoted(q catalog.QualifiedName) string { return `"` + QualifiedText(q) + `"` }

// Inconsistency is an object of the metadata that does not match the
// database, reported by get_inconsistent_metadata and left out of the schema.
// Its JSON form is Hasura's InconsistentMetadata: most have reason, type,
// name and definition; conflicting objects have objects; inherited role
// conflicts have name, type and entity.
type Inconsistency struct {
	Definition  json.RawMessage `json:"definition,omitempty"`
	Definitions json.RawMessage `json:"definitions,omitempty"`
	Entity      json.RawMessage `json:"entity,omitempty"`
	Message     json.RawMessage `json:"message,omitempty"`
	Name        string          `json:"name,omitempty"`
	Objects     json.RawMessage `json:"objects,omitempty"`
	Reason      string          `json:"reason"`
	Type        string          `json:"type,omitempty"`

	// IDs are the metadata objects the inconsistency is about: the ones
	// drop_inconsistent_metadata removes and the ones an operation is
	// checked against. Empty for purely informational inconsistencies
	// (inherited role permission conflicts).
	IDs []ObjectID `json:"-"`
}

// NewInconsistency reports object id as inconsistent for reason (without
// Hasura's "Inconsistent object: " prefix, which it adds). definition is
// the object's metadata, marshalled to JSON.
func NewInconsistency(id ObjectID, reason string, definition any) Inconsistency {
	def, err := json.Marshal(definition)
	if err != nil {
		def = []byte("null")
	}
	return Inconsistency{
		Definition: def,
		Name:       id.String(),
		Reason:     "Inconsistent object: " + reason,
		Type:       id.TypeName(),
		IDs:        []ObjectID{id},
	}
}

// NewConflict reports objects that cannot coexist (for example two root
// fields with the same name); reason gets Hasura's "Conflicting objects: "
// prefix.
func NewConflict(reason string, ids []ObjectID, definitions []any) Inconsistency {
	type obj struct {
		Definition any    `json:"definition"`
		Name       string `json:"name"`
		Type       string `json:"type"`
	}
	objs := make([]obj, len(ids))
	for i, id := range ids {
		var d any
		if i < len(definitions) {
			d = definitions[i]
		}
		objs[i] = obj{Definition: d, Name: id.String(), Type: id.TypeName()}
	}
	b, _ := json.Marshal(objs)
	return Inconsistency{Reason: "Conflicting objects: " + reason, Objects: b, IDs: append([]ObjectID(nil), ids...)}
}

// NewInheritedRoleConflict reports that role could not inherit a permission
// of permType on table (Hasura's ConflictingInheritedPermission). It names
// no metadata object, so it never blocks an operation and
// drop_inconsistent_metadata leaves it alone.
func NewInheritedRoleConflict(role, source string, table catalog.QualifiedName, permType string) Inconsistency {
	tableText := QualifiedText(table)
	entity, _ := json.Marshal(map[string]string{"permission_type": permType, "source": source, "table": tableText})
	return Inconsistency{
		Reason: "Could not inherit permission for the role '" + role + "' for the entity: '" + permType +
			" permission, table: " + tableText + ", source: '" + source + "''",
		Name:   role,
		Type:   "inherited role permission inconsistency",
		Entity: entity,
	}
}

// ObjectKey is a comparable form of an ObjectID, used to diff
// inconsistencies.
func (id ObjectID) key() string { return id.TypeName() + "\x00" + id.String() }

// NewInconsistencies returns the inconsistencies of after that concern an
// object no inconsistency of before concerns (Hasura's diff of
// groupInconsistentMetadataById).
func NewInconsistencies(before, after []Inconsistency) []Inconsistency {
	old := make(map[string]bool)
	for _, inc := range before {
		for _, id := range inc.IDs {
			old[id.key()] = true
		}
	}
	var out []Inconsistency
	for _, inc := range after {
		for _, id := range inc.IDs {
			if !old[id.key()] {
				out = append(out, inc)
				break
			}
		}
	}
	return out
}

// About returns the inconsistencies that concern id.
func About(incs []Inconsistency, id ObjectID) []Inconsistency {
	var out []Inconsistency
	k := id.key()
	for _, inc := range incs {
		for _, i := range inc.IDs {
			if i.key() == k {
				out = append(out, inc)
				break
			}
		}
	}
	return out
}

// Reasons joins the reasons of incs with ", " (Hasura's commaSeparated).
func Reasons(incs []Inconsistency) string {
	rs := make([]string, len(incs))
	for i, inc := range incs {
		rs[i] = inc.Reason
	}
	return strings.Join(rs, ", ")
}
