package metadata

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
)

// Table operations (hasura/graphql-engine: server/src-lib/Hasura/Table/API.hs,
// formerly RQL/DDL/Schema/Table.hs).

// trackTableArgs is TrackTableV2: {source, table, is_enum, configuration,
// apollo_federation_config}, or, as Hasura also accepts, the bare table
// name ("author" or {"schema", "name"}).
type trackTableArgs struct {
	Source                 string          `json:"source"`
	Table                  *TableName      `json:"table"`
	IsEnum                 bool            `json:"is_enum"`
	Configuration          *TableConfig    `json:"configuration"`
	ApolloFederationConfig json.RawMessage `json:"apollo_federation_config"`
}

func decodeTrackTable(raw json.RawMessage, path string) (trackTableArgs, error) {
	var a trackTableArgs
	raw = bytes.TrimSpace(raw)
	if JSONKind(raw) == "String" {
		var tn TableName
		if err := unmarshalAt(raw, path, &tn); err != nil {
			return a, err
		}
		a.Table = &tn
		return a, nil
	}
	if JSONKind(raw) != "Object" {
		return a, parseFailed(path, "parsing TrackTable failed, expected Object, but encountered %s", JSONKind(raw))
	}
	var probe map[string]json.RawMessage
	_ = json.Unmarshal(raw, &probe)
	if _, ok := probe["table"]; !ok {
		// The bare form: the object is the table name.
		var tn TableName
		if _, ok := probe["name"]; !ok {
			return a, parseFailed(path, "key %q not found", "table")
		}
		if err := unmarshalAt(raw, path, &tn); err != nil {
			return a, err
		}
		a.Table = &tn
		return a, nil
	}
	if err := decodeArgs(raw, path, &a, "table"); err != nil {
		return a, err
	}
	return a, nil
}

func trackTable(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	a, err := decodeTrackTable(raw, path)
	if err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	if err := trackOne(md, source, a); err != nil {
		return nil, err
	}
	return objectChange(TableID(source, a.Table.QualifiedName))
}

func trackOne(md *Metadata, source string, a trackTableArgs) error {
	s, err := md.sourceOf(source)
	if err != nil {
		return err
	}
	q := a.Table.QualifiedName
	if _, ok := s.Table(q); ok {
		return errf(apierr.AlreadyTracked, "view/table already tracked: %s", Quoted(q))
	}
	if _, ok := s.Function(q); ok {
		return errf(apierr.NotSupported, "function with name %s already exists", Quoted(q))
	}
	t := &Table{Table: *a.Table, IsEnum: a.IsEnum, ApolloFederationConfig: nilIfNull(a.ApolloFederationConfig)}
	if a.Configuration != nil && !a.Configuration.isEmpty() {
		c := *a.Configuration
		c.normalize()
		t.Configuration = &c
	}
	s.Tables = append(s.Tables, t)
	return nil
}

type trackTablesArgs struct {
	Tables        []json.RawMessage `json:"tables"`
	AllowWarnings *bool             `json:"allow_warnings"`
}

// trackTables is pg_track_tables. Hasura tracks what it can and reports the
// rest as warnings when allow_warnings (the default) is set; graft tracks
// all or nothing and reports the first failure.
func trackTables(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a trackTablesArgs
	if err := decodeArgs(raw, path, &a, "tables"); err != nil {
		return nil, err
	}
	for i, t := range a.Tables {
		ta, err := decodeTrackTable(t, path+".tables["+itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		if err := trackOne(md, sourceOr(ta.Source), ta); err != nil {
			return nil, err
		}
	}
	return newCheck()
}

type untrackTableArgs struct {
	Source  string     `json:"source"`
	Table   *TableName `json:"table"`
	Cascade bool       `json:"cascade"`
}

func decodeUntrack(raw json.RawMessage, path string) (untrackTableArgs, error) {
	var a untrackTableArgs
	if err := decodeArgs(raw, path, &a, "table"); err != nil {
		return a, err
	}
	return a, nil
}

func untrackTable(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	a, err := decodeUntrack(raw, path)
	if err != nil {
		return nil, err
	}
	if err := untrackOne(md, a, env); err != nil {
		return nil, err
	}
	return newCheck()
}

func untrackOne(md *Metadata, a untrackTableArgs, env Env) error {
	source := sourceOr(a.Source)
	s, err := md.sourceOf(source)
	if err != nil {
		return err
	}
	q := a.Table.QualifiedName
	if _, ok := s.Table(q); !ok {
		return errf(apierr.AlreadyUntracked, "view/table already untracked: %s", Quoted(q))
	}
	deps := newDepGraph(md, source, env.catalog(source))
	var indirect []ObjectID
	for _, d := range deps.dependents(depTable(q)) {
		if (d.Kind == ObjRelationship || d.Kind == ObjPermission || d.Kind == ObjComputedField ||
			d.Kind == ObjRemoteRelationship || d.Kind == ObjEventTrigger) && d.Table != q {
			indirect = append(indirect, d)
		}
	}
	if len(indirect) > 0 && !a.Cascade {
		return dependencyError(indirect)
	}
	for _, d := range indirect {
		PurgeObject(md, d)
	}
	removeTable(s, q)
	return nil
}

type untrackTablesArgs struct {
	Tables        []json.RawMessage `json:"tables"`
	AllowWarnings *bool             `json:"allow_warnings"`
}

func untrackTables(md *Metadata, raw json.RawMessage, path string, env Env) (*Change, error) {
	var a untrackTablesArgs
	if err := decodeArgs(raw, path, &a, "tables"); err != nil {
		return nil, err
	}
	for i, t := range a.Tables {
		ua, err := decodeUntrack(t, path+".tables["+itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		if err := untrackOne(md, ua, env); err != nil {
			return nil, err
		}
	}
	return newCheck()
}

func removeTable(s *Source, q catalog.QualifiedName) {
	for i, t := range s.Tables {
		if t.Table.QualifiedName == q {
			s.Tables = append(s.Tables[:i], s.Tables[i+1:]...)
			return
		}
	}
}

// dependencyError is Hasura's reportDependentObjectsExist.
func dependencyError(objs []ObjectID) *apierr.Error {
	return errf(apierr.DependencyError, "cannot drop due to the following dependent objects: %s", ReportObjects(objs))
}

// ReportObjects renders objects as Hasura's reportSchemaObjs: sorted,
// comma separated, e.g. `relationship article.author in source "default"`.
func ReportObjects(objs []ObjectID) string {
	rs := make([]string, len(objs))
	for i, o := range objs {
		rs[i] = o.Report()
	}
	sort.Strings(rs)
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += ", "
		}
		out += r
	}
	return out
}

// Report renders the object as Hasura's reportSchemaObj does.
func (id ObjectID) Report() string {
	in := ` in source "` + id.Source + `"`
	t := QualifiedText(id.Table)
	switch id.Kind {
	case ObjSource:
		return "source " + id.Source
	case ObjTable:
		return "table " + t + in
	case ObjFunction:
		return "function " + QualifiedText(id.Function) + in
	case ObjRelationship:
		return "relationship " + t + "." + id.Name + in
	case ObjPermission:
		return "permission " + t + "." + id.Role + "." + id.PermType + in
	case ObjComputedField:
		return "computed field " + t + "." + id.Name + in
	case ObjRemoteRelationship:
		return "remote relationship " + t + "." + id.Name + in
	case ObjEventTrigger:
		return "event-trigger " + t + "." + id.Name + in
	case ObjInheritedRole:
		return "role " + id.Name
	}
	return id.String()
}

type tableArgs struct {
	Source string     `json:"source"`
	Table  *TableName `json:"table"`
}

type setTableCustomizationArgs struct {
	Source        string       `json:"source"`
	Table         *TableName   `json:"table"`
	Configuration *TableConfig `json:"configuration"`
}

func setTableCustomization(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a setTableCustomizationArgs
	if err := decodeArgs(raw, path, &a, "table"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	_, t, err := md.tableOf(source, a.Table.QualifiedName)
	if err != nil {
		return nil, err
	}
	t.Configuration = nil
	if a.Configuration != nil && !a.Configuration.isEmpty() {
		c := *a.Configuration
		c.normalize()
		t.Configuration = &c
	}
	return objectChange(TableID(source, a.Table.QualifiedName))
}

type setTableIsEnumArgs struct {
	Source string     `json:"source"`
	Table  *TableName `json:"table"`
	IsEnum bool       `json:"is_enum"`
}

func setTableIsEnum(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a setTableIsEnumArgs
	if err := decodeArgs(raw, path, &a, "table", "is_enum"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	_, t, err := md.tableOf(source, a.Table.QualifiedName)
	if err != nil {
		return nil, err
	}
	t.IsEnum = a.IsEnum
	return objectChange(TableID(source, a.Table.QualifiedName))
}

type setTableCustomFieldsArgs struct {
	Source            string            `json:"source"`
	Table             *TableName        `json:"table"`
	CustomRootFields  *CustomRootFields `json:"custom_root_fields"`
	CustomColumnNames map[string]string `json:"custom_column_names"`
}

// setTableCustomFields is the deprecated set_table_custom_fields (v2 of
// /v1/query): it replaces the root field and column names and keeps the
// custom table name.
func setTableCustomFields(md *Metadata, raw json.RawMessage, path string, _ Env) (*Change, error) {
	var a setTableCustomFieldsArgs
	if err := decodeArgs(raw, path, &a, "table"); err != nil {
		return nil, err
	}
	source := sourceOr(a.Source)
	_, t, err := md.tableOf(source, a.Table.QualifiedName)
	if err != nil {
		return nil, err
	}
	c := TableConfig{}
	if t.Configuration != nil {
		c.CustomName = t.Configuration.CustomName
		c.Comment = t.Configuration.Comment
	}
	c.CustomRootFields = a.CustomRootFields
	c.CustomColumnNames = a.CustomColumnNames
	c.normalize()
	t.Configuration = nil
	if !c.isEmpty() {
		t.Configuration = &c
	}
	return objectChange(TableID(source, a.Table.QualifiedName))
}

func (c *TableConfig) isEmpty() bool {
	return c.CustomName == "" && (c.CustomRootFields == nil || *c.CustomRootFields == CustomRootFields{}) &&
		len(c.ColumnConfig) == 0 && len(c.CustomColumnNames) == 0 && c.Comment == nil
}

// normalize makes column_config and the legacy custom_column_names agree,
// as Hasura's TableConfig decoding does: names in custom_column_names are
// merged into column_config, and custom_column_names is derived from it.
func (c *TableConfig) normalize() {
	if len(c.CustomColumnNames) > 0 {
		if c.ColumnConfig == nil {
			c.ColumnConfig = map[string]ColumnConfig{}
		}
		for col, name := range c.CustomColumnNames {
			cc := c.ColumnConfig[col]
			if cc.CustomName == "" {
				cc.CustomName = name
			}
			c.ColumnConfig[col] = cc
		}
	}
	names := map[string]string{}
	for col, cc := range c.ColumnConfig {
		if cc.CustomName != "" {
			names[col] = cc.CustomName
		}
	}
	if len(names) > 0 {
		c.CustomColumnNames = names
	} else {
		c.CustomColumnNames = nil
	}
	if c.CustomRootFields != nil && (*c.CustomRootFields == CustomRootFields{}) {
		c.CustomRootFields = nil
	}
}

func itoa(i int) string {
	return string(appendInt(nil, i))
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}
