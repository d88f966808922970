// Package metadata models Hasura GraphQL Engine v2 metadata (format version
// 3) exactly as Hasura stores it in hdb_catalog.hdb_metadata and as
// export_metadata returns it, and implements the operations of the metadata
// API on that model.
//
// Parts of the format graft does not interpret (remote schemas, actions, event
// triggers, ...) are kept as raw JSON so that export returns what was put in.
package metadata

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/graftql/graft/internal/catalog"
)

// Metadata is the whole metadata document.
type Metadata struct {
	Version          int                `json:"version"`
	Sources          []*Source          `json:"sources"`
	RemoteSchemas    json.RawMessage    `json:"remote_schemas,omitempty"`
	QueryCollections []*QueryCollection `json:"query_collections,omitempty"`
	Allowlist        []*AllowlistEntry  `json:"allowlist,omitempty"`
	Actions          json.RawMessage    `json:"actions,omitempty"`
	CustomTypes      json.RawMessage    `json:"custom_types,omitempty"`
	CronTriggers     json.RawMessage    `json:"cron_triggers,omitempty"`
	RestEndpoints    []*RestEndpoint    `json:"rest_endpoints,omitempty"`
	APILimits        json.RawMessage    `json:"api_limits,omitempty"`
	InheritedRoles   []*InheritedRole   `json:"inherited_roles,omitempty"`
	Network          json.RawMessage    `json:"network,omitempty"`
	BackendConfigs   json.RawMessage    `json:"backend_configs,omitempty"`
	MetricsConfig    json.RawMessage    `json:"metrics_config,omitempty"`
	OpenTelemetry    json.RawMessage    `json:"opentelemetry,omitempty"`
	// GraphQLSchemaIntrospection holds disabled_for_roles.
	GraphQLSchemaIntrospection json.RawMessage `json:"graphql_schema_introspection,omitempty"`
}

// Empty returns the metadata Hasura starts with: version 3, no sources.
func Empty() *Metadata { return &Metadata{Version: 3, Sources: []*Source{}} }

// Source returns the source named name.
func (m *Metadata) Source(name string) (*Source, bool) {
	for _, s := range m.Sources {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// Clone returns a deep copy of m (through a JSON round trip), so that an
// operation can change the copy and leave the stored value untouched.
func (m *Metadata) Clone() *Metadata {
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("metadata: marshal: %v", err)) // cannot happen for this model
	}
	var c Metadata
	if err := json.Unmarshal(b, &c); err != nil {
		panic(fmt.Sprintf("metadata: unmarshal own output: %v", err))
	}
	return &c
}

// Source is a database with its tracked tables and functions.
type Source struct {
	Name          string               `json:"name"`
	Kind          string               `json:"kind"`
	Tables        []*Table             `json:"tables"`
	Functions     []*Function          `json:"functions,omitempty"`
	NativeQueries json.RawMessage      `json:"native_queries,omitempty"`
	LogicalModels json.RawMessage      `json:"logical_models,omitempty"`
	Configuration json.RawMessage      `json:"configuration"`
	Customization *SourceCustomization `json:"customization,omitempty"`
	HealthCheck   json.RawMessage      `json:"health_check,omitempty"`

	// Raw holds the whole source, as given, when its kind is not a
	// Postgres one (bigquery, mssql, data connectors): graft keeps such
	// sources so that export returns them, but does not interpret them.
	Raw json.RawMessage `json:"-"`
}

// IsPostgres reports whether the source is of a Postgres kind graft serves.
func (s *Source) IsPostgres() bool {
	switch s.Kind {
	case "", "postgres", "pg", "citus", "cockroach":
		return true
	}
	return false
}

type sourceFields Source

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (s *Source) UnmarshalJSON(b []byte) error {
	var k struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return err
	}
	probe := Source{Kind: k.Kind}
	if !probe.IsPostgres() {
		*s = Source{Name: k.Name, Kind: k.Kind, Raw: append(json.RawMessage(nil), b...)}
		return nil
	}
	return json.Unmarshal(b, (*sourceFields)(s))
}

// MarshalJSON is part of the json.Marshaler interface.
func (s *Source) MarshalJSON() ([]byte, error) {
	if s.Raw != nil {
		return s.Raw, nil
	}
	return json.Marshal((*sourceFields)(s))
}

// Table returns the tracked table named q.
func (s *Source) Table(q catalog.QualifiedName) (*Table, bool) {
	for _, t := range s.Tables {
		if t.Table.QualifiedName == q {
			return t, true
		}
	}
	return nil, false
}

// Function returns the tracked function named q.
func (s *Source) Function(q catalog.QualifiedName) (*Function, bool) {
	for _, f := range s.Functions {
		if f.Function.QualifiedName == q {
			return f, true
		}
	}
	return nil, false
}

// SourceConfiguration is the part of a source's configuration graft reads.
type SourceConfiguration struct {
	ConnectionInfo struct {
		DatabaseURL           json.RawMessage `json:"database_url"` // "url" | {"from_env": "VAR"} | {"connection_parameters": {...}}
		IsolationLevel        string          `json:"isolation_level,omitempty"`
		UsePreparedStatements *bool           `json:"use_prepared_statements,omitempty"`
		PoolSettings          *PoolSettings   `json:"pool_settings,omitempty"`
	} `json:"connection_info"`
	ReadReplicas     json.RawMessage `json:"read_replicas,omitempty"`
	ExtensionsSchema string          `json:"extensions_schema,omitempty"`
}

// PoolSettings is a source's pool_settings.
type PoolSettings struct {
	MaxConnections      *int `json:"max_connections,omitempty"`
	TotalMaxConnections *int `json:"total_max_connections,omitempty"`
	IdleTimeout         *int `json:"idle_timeout,omitempty"`
	Retries             *int `json:"retries,omitempty"`
	PoolTimeout         *int `json:"pool_timeout,omitempty"`
	ConnectionLifetime  *int `json:"connection_lifetime,omitempty"`
}

// SourceCustomization is a source's customization.
type SourceCustomization struct {
	RootFields       *RootFieldsCustomization `json:"root_fields,omitempty"`
	TypeNames        *TypeNamesCustomization  `json:"type_names,omitempty"`
	NamingConvention string                   `json:"naming_convention,omitempty"`
}

// RootFieldsCustomization prefixes, suffixes or namespaces a source's root fields.
type RootFieldsCustomization struct {
	Namespace string `json:"namespace,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
	Suffix    string `json:"suffix,omitempty"`
}

// TypeNamesCustomization prefixes or suffixes a source's type names.
type TypeNamesCustomization struct {
	Prefix string `json:"prefix,omitempty"`
	Suffix string `json:"suffix,omitempty"`
}

// TableName is a table reference. It decodes from a bare string ("author",
// schema public, as the v1 API allows) or {"schema", "name"}; it always
// encodes as the object.
type TableName struct{ catalog.QualifiedName }

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (t *TableName) UnmarshalJSON(b []byte) error {
	q, err := decodeQualified(b)
	if err != nil {
		return err
	}
	t.QualifiedName = q
	return nil
}

// MarshalJSON is part of the json.Marshaler interface.
func (t TableName) MarshalJSON() ([]byte, error) { return json.Marshal(t.QualifiedName) }

// FunctionName is a function reference, decoded like [TableName].
type FunctionName struct{ catalog.QualifiedName }

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (f *FunctionName) UnmarshalJSON(b []byte) error {
	q, err := decodeQualified(b)
	if err != nil {
		return err
	}
	f.QualifiedName = q
	return nil
}

// MarshalJSON is part of the json.Marshaler interface.
func (f FunctionName) MarshalJSON() ([]byte, error) { return json.Marshal(f.QualifiedName) }

func decodeQualified(b []byte) (catalog.QualifiedName, error) {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return catalog.QualifiedName{}, err
		}
		return catalog.QualifiedName{Schema: "public", Name: s}, nil
	}
	var o struct {
		Schema *string `json:"schema"`
		Name   *string `json:"name"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return catalog.QualifiedName{}, err
	}
	if o.Name == nil {
		return catalog.QualifiedName{}, fmt.Errorf("key \"name\" not found")
	}
	q := catalog.QualifiedName{Schema: "public", Name: *o.Name}
	if o.Schema != nil {
		q.Schema = *o.Schema
	}
	return q, nil
}

// Table is a tracked table or view with everything attached to it.
type Table struct {
	Table                  TableName          `json:"table"`
	IsEnum                 bool               `json:"is_enum,omitempty"`
	Configuration          *TableConfig       `json:"configuration,omitempty"`
	ObjectRelationships    []*Relationship    `json:"object_relationships,omitempty"`
	ArrayRelationships     []*Relationship    `json:"array_relationships,omitempty"`
	ComputedFields         []*ComputedField   `json:"computed_fields,omitempty"`
	RemoteRelationships    json.RawMessage    `json:"remote_relationships,omitempty"`
	InsertPermissions      []*InsertPermEntry `json:"insert_permissions,omitempty"`
	SelectPermissions      []*SelectPermEntry `json:"select_permissions,omitempty"`
	UpdatePermissions      []*UpdatePermEntry `json:"update_permissions,omitempty"`
	DeletePermissions      []*DeletePermEntry `json:"delete_permissions,omitempty"`
	EventTriggers          json.RawMessage    `json:"event_triggers,omitempty"`
	ApolloFederationConfig json.RawMessage    `json:"apollo_federation_config,omitempty"`
}

// TableConfig is a table's configuration: custom names for the table, its
// root fields and its columns.
type TableConfig struct {
	CustomName       string                  `json:"custom_name,omitempty"`
	CustomRootFields *CustomRootFields       `json:"custom_root_fields,omitempty"`
	ColumnConfig     map[string]ColumnConfig `json:"column_config,omitempty"`
	// CustomColumnNames is the older form of column_config custom names.
	CustomColumnNames map[string]string `json:"custom_column_names,omitempty"`
	Comment           *string           `json:"comment,omitempty"`
}

// ColumnConfig customizes one column.
type ColumnConfig struct {
	CustomName string  `json:"custom_name,omitempty"`
	Comment    *string `json:"comment,omitempty"`
}

// CustomRootFields renames a table's root fields. Each value is a name
// (string) or {name, comment}.
type CustomRootFields struct {
	Select          *RootFieldName `json:"select,omitempty"`
	SelectByPk      *RootFieldName `json:"select_by_pk,omitempty"`
	SelectAggregate *RootFieldName `json:"select_aggregate,omitempty"`
	SelectStream    *RootFieldName `json:"select_stream,omitempty"`
	Insert          *RootFieldName `json:"insert,omitempty"`
	InsertOne       *RootFieldName `json:"insert_one,omitempty"`
	Update          *RootFieldName `json:"update,omitempty"`
	UpdateByPk      *RootFieldName `json:"update_by_pk,omitempty"`
	UpdateMany      *RootFieldName `json:"update_many,omitempty"`
	Delete          *RootFieldName `json:"delete,omitempty"`
	DeleteByPk      *RootFieldName `json:"delete_by_pk,omitempty"`
}

// RootFieldName is a custom root field: a name and an optional comment. It
// decodes from a string or {name, comment} and encodes as a string when
// there is no comment, as Hasura does.
type RootFieldName struct {
	Name    string
	Comment *string
}

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (r *RootFieldName) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.Name)
	}
	var o struct {
		Name    *string `json:"name"`
		Comment *string `json:"comment"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	if o.Name != nil {
		r.Name = *o.Name
	}
	r.Comment = o.Comment
	return nil
}

// MarshalJSON is part of the json.Marshaler interface.
func (r RootFieldName) MarshalJSON() ([]byte, error) {
	if r.Comment == nil {
		return json.Marshal(r.Name)
	}
	return json.Marshal(struct {
		Name    *string `json:"name,omitempty"`
		Comment *string `json:"comment"`
	}{nilIfEmpty(r.Name), r.Comment})
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Relationship is an object or array relationship.
type Relationship struct {
	Name    string          `json:"name"`
	Using   RelationshipUse `json:"using"`
	Comment *string         `json:"comment,omitempty"`
}

// RelationshipUse says how a relationship joins: through a foreign key or a
// manual column mapping. Exactly one is set.
type RelationshipUse struct {
	// ForeignKeyConstraintOn is the raw value: a column name, a list of column
	// names (object relationships, on this table's foreign key), or
	// {"table": ..., "column"|"columns": ...} (array relationships, on the
	// remote table's foreign key). Use [RelationshipUse.ForeignKey].
	ForeignKeyConstraintOn json.RawMessage     `json:"foreign_key_constraint_on,omitempty"`
	ManualConfiguration    *ManualRelationship `json:"manual_configuration,omitempty"`
}

// ForeignKeyOn is a decoded foreign_key_constraint_on.
type ForeignKeyOn struct {
	// Table is set when the foreign key lives on the remote table.
	Table *catalog.QualifiedName
	// Columns are the foreign key's referencing columns.
	Columns []string
}

// ForeignKey decodes ForeignKeyConstraintOn.
func (u RelationshipUse) ForeignKey() (ForeignKeyOn, error) {
	var out ForeignKeyOn
	b := bytes.TrimSpace(u.ForeignKeyConstraintOn)
	if len(b) == 0 {
		return out, fmt.Errorf("foreign_key_constraint_on is not set")
	}
	switch b[0] {
	case '"':
		var c string
		if err := json.Unmarshal(b, &c); err != nil {
			return out, err
		}
		out.Columns = []string{c}
		return out, nil
	case '[':
		err := json.Unmarshal(b, &out.Columns)
		return out, err
	}
	var o struct {
		Table   *TableName      `json:"table"`
		Column  json.RawMessage `json:"column"`
		Columns json.RawMessage `json:"columns"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return out, err
	}
	if o.Table == nil {
		return out, fmt.Errorf("key \"table\" not found")
	}
	out.Table = &o.Table.QualifiedName
	cols := o.Column
	if len(cols) == 0 {
		cols = o.Columns
	}
	if len(cols) == 0 {
		return out, fmt.Errorf("key \"column\" not found")
	}
	// Hasura takes one column or a list under either key.
	var one string
	if err := json.Unmarshal(cols, &one); err == nil {
		out.Columns = []string{one}
		return out, nil
	}
	if err := json.Unmarshal(cols, &out.Columns); err != nil || len(out.Columns) == 0 {
		return out, fmt.Errorf("expected a column name or a non-empty list of column names")
	}
	return out, nil
}

// ManualRelationship is a relationship by explicit column mapping.
type ManualRelationship struct {
	RemoteTable TableName `json:"remote_table"`
	// ColumnMapping maps this table's columns to the remote table's. Key
	// order is kept (see [OrderedMap]).
	ColumnMapping  OrderedMap `json:"column_mapping"`
	InsertionOrder string     `json:"insertion_order,omitempty"` // "before_parent" | "after_parent"
}

// OrderedMap is a JSON object of strings that keeps its key order.
type OrderedMap []KeyValue

// KeyValue is one entry of an [OrderedMap].
type KeyValue struct{ Key, Value string }

// Get returns the value for key.
func (m OrderedMap) Get(key string) (string, bool) {
	for _, kv := range m {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (m *OrderedMap) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("expected an object")
	}
	*m = (*m)[:0]
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*m = append(*m, KeyValue{Key: kt.(string), Value: v})
	}
	_, err = dec.Token()
	return err
}

// MarshalJSON is part of the json.Marshaler interface.
func (m OrderedMap) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, kv := range m {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		v, _ := json.Marshal(kv.Value)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// ComputedField is a function exposed as a field of a table.
type ComputedField struct {
	Name       string                  `json:"name"`
	Definition ComputedFieldDefinition `json:"definition"`
	Comment    *string                 `json:"comment,omitempty"`
}

// ComputedFieldDefinition names the function and which of its arguments
// receive the row and the session.
type ComputedFieldDefinition struct {
	Function        FunctionName `json:"function"`
	TableArgument   *string      `json:"table_argument,omitempty"`
	SessionArgument *string      `json:"session_argument,omitempty"`
}

// Columns is a permission's column list: either "*" (all columns) or names.
type Columns struct {
	All   bool
	Names []string
}

// UnmarshalJSON is part of the json.Unmarshaler interface.
func (c *Columns) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("expected \"*\" or a list of columns, but found %q", s)
		}
		c.All, c.Names = true, nil
		return nil
	}
	c.All = false
	return json.Unmarshal(b, &c.Names)
}

// MarshalJSON is part of the json.Marshaler interface.
func (c Columns) MarshalJSON() ([]byte, error) {
	if c.All {
		return []byte(`"*"`), nil
	}
	if c.Names == nil {
		return []byte(`[]`), nil
	}
	return json.Marshal(c.Names)
}

// SelectPermEntry is one role's select permission on a table.
type SelectPermEntry struct {
	Role       string           `json:"role"`
	Permission SelectPermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// SelectPermission is a select permission.
type SelectPermission struct {
	Columns                Columns         `json:"columns"`
	ComputedFields         []string        `json:"computed_fields,omitempty"`
	Filter                 json.RawMessage `json:"filter"`
	Limit                  *int            `json:"limit,omitempty"`
	AllowAggregations      bool            `json:"allow_aggregations,omitempty"`
	QueryRootFields        []string        `json:"query_root_fields,omitempty"`
	SubscriptionRootFields []string        `json:"subscription_root_fields,omitempty"`
}

// InsertPermEntry is one role's insert permission on a table.
type InsertPermEntry struct {
	Role       string           `json:"role"`
	Permission InsertPermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// InsertPermission is an insert permission.
type InsertPermission struct {
	Check         json.RawMessage `json:"check"`
	Set           map[string]any  `json:"set,omitempty"`
	Columns       Columns         `json:"columns"`
	BackendOnly   bool            `json:"backend_only,omitempty"`
	ValidateInput json.RawMessage `json:"validate_input,omitempty"`
}

// UpdatePermEntry is one role's update permission on a table.
type UpdatePermEntry struct {
	Role       string           `json:"role"`
	Permission UpdatePermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// UpdatePermission is an update permission.
type UpdatePermission struct {
	Columns       Columns         `json:"columns"`
	Filter        json.RawMessage `json:"filter"`
	Check         json.RawMessage `json:"check,omitempty"`
	Set           map[string]any  `json:"set,omitempty"`
	BackendOnly   bool            `json:"backend_only,omitempty"`
	ValidateInput json.RawMessage `json:"validate_input,omitempty"`
}

// DeletePermEntry is one role's delete permission on a table.
type DeletePermEntry struct {
	Role       string           `json:"role"`
	Permission DeletePermission `json:"permission"`
	Comment    *string          `json:"comment,omitempty"`
}

// DeletePermission is a delete permission.
type DeletePermission struct {
	Filter        json.RawMessage `json:"filter"`
	BackendOnly   bool            `json:"backend_only,omitempty"`
	ValidateInput json.RawMessage `json:"validate_input,omitempty"`
}

// Function is a tracked SQL function.
type Function struct {
	Function      FunctionName    `json:"function"`
	Configuration *FunctionConfig `json:"configuration,omitempty"`
	Permissions   []*FunctionPerm `json:"permissions,omitempty"`
	Comment       *string         `json:"comment,omitempty"`
}

// FunctionConfig configures a tracked function.
type FunctionConfig struct {
	CustomName       string                    `json:"custom_name,omitempty"`
	CustomRootFields *FunctionCustomRootFields `json:"custom_root_fields,omitempty"`
	SessionArgument  string                    `json:"session_argument,omitempty"`
	// ExposedAs is "query" or "mutation"; empty means by volatility.
	ExposedAs string `json:"exposed_as,omitempty"`
}

// FunctionCustomRootFields renames a function's root fields.
type FunctionCustomRootFields struct {
	Function          string `json:"function,omitempty"`
	FunctionAggregate string `json:"function_aggregate,omitempty"`
}

// FunctionPerm lets a role call a function.
type FunctionPerm struct {
	Role string `json:"role"`
}

// InheritedRole is a role made of other roles.
type InheritedRole struct {
	RoleName string   `json:"role_name"`
	RoleSet  []string `json:"role_set"`
}

// QueryCollection is a named list of queries (for the allow list and REST
// endpoints).
type QueryCollection struct {
	Name       string                 `json:"name"`
	Definition QueryCollectionQueries `json:"definition"`
	Comment    *string                `json:"comment,omitempty"`
}

// QueryCollectionQueries is a collection's definition.
type QueryCollectionQueries struct {
	Queries []*CollectionQuery `json:"queries"`
}

// CollectionQuery is a named query of a collection.
type CollectionQuery struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

// AllowlistEntry puts a collection on the allow list.
type AllowlistEntry struct {
	Collection string          `json:"collection"`
	Scope      json.RawMessage `json:"scope,omitempty"` // {"global": true} | {"global": false, "roles": [...]}
}

// RestEndpoint exposes a query of a query collection at /api/rest/<url>.
type RestEndpoint struct {
	Name string `json:"name"`
	// URL is the path under /api/rest, with variables as ":name".
	URL        string                 `json:"url"`
	Methods    []string               `json:"methods"`
	Definition RestEndpointDefinition `json:"definition"`
	Comment    *string                `json:"comment,omitempty"`
}

// RestEndpointDefinition names the collection query an endpoint runs.
type RestEndpointDefinition struct {
	Query struct {
		CollectionName string `json:"collection_name"`
		QueryName      string `json:"query_name"`
	} `json:"query"`
}
