package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Input is what a Model is built from.
type Input struct {
	Metadata *metadata.Metadata
	// Source is the Postgres source to serve ("default").
	Source  string
	Catalog *catalog.Catalog
	// EnumValues holds the rows of the tables tracked with is_enum: true,
	// read by the caller (the catalog has no table data).
	EnumValues map[catalog.QualifiedName][]EnumValue
	Options    Options
}

// Note [building the model]
//
// Build follows the phases of Hasura's schema cache build
// (hasura/graphql-engine: server/src-lib/Hasura/RQL/DDL/Schema/Cache.hs
// buildSource, Table/API.hs buildTableCache, RQL/DDL/Schema/Cache/Fields.hs,
// Cache/Permission.hs, Cache/Dependencies.hs):
//
//  1. tables: each must exist; enum tables are validated; then columns get
//     their GraphQL names and scalars (enum references included);
//  2. relationships and computed fields of every consistent table, then
//     field-name conflicts, then their dependencies (target tables tracked,
//     mapped columns present);
//  3. permissions of every role defined in metadata;
//  4. inherited roles, in dependency order, table by table;
//  5. functions and who may call them.
//
// An object that fails is left out and reported with Hasura's reason; the
// objects that depend on it fail in turn. Every reason is Hasura's text.

// Build resolves in.Source of in.Metadata against in.Catalog. Objects that do
// not match the database are left out and listed in Model.Inconsistencies;
// Build never fails on inconsistent metadata.
func Build(in Input) *Model {
	if in.Source == "" {
		in.Source = "default"
	}
	b := &builder{
		in:     in,
		m:      &Model{Catalog: in.Catalog, Options: in.Options, Source: in.Source, TableByName: map[catalog.QualifiedName]*Table{}, InheritedRoles: map[string][]string{}},
		tables: map[catalog.QualifiedName]*tableState{},
	}
	if in.Metadata != nil {
		b.src, _ = in.Metadata.Source(in.Source)
	}
	if b.src != nil {
		b.m.SourceCustomization = b.src.Customization
	}
	if b.src != nil && in.Catalog != nil {
		b.buildTables()
		b.buildFields()
		b.buildPermissions()
		b.buildInheritedRoles()
		b.buildFunctions()
	}
	b.finish()
	b.m.Allowlist = buildAllowlist(in.Metadata)
	return b.m
}

// builder holds the state of one Build.
type builder struct {
	in  Input
	m   *Model
	src *metadata.Source

	tables map[catalog.QualifiedName]*tableState // consistent tables
	order  []*tableState                         // consistent tables, metadata order

	roleOrder []inheritedRole // consistent inherited roles, parents first
}

// tableState is a consistent table while it is being built.
type tableState struct {
	t    *Table
	meta *metadata.Table
	info *catalog.Table
	id   metadata.ObjectID
	// configs are the column configurations by column name.
	configs map[string]metadata.ColumnConfig
	// lost are the relationships left out for a missing dependency, by
	// name, with their target (Note [permissions on lost relationships]).
	lost map[string]catalog.QualifiedName
}

func (b *builder) report(inc metadata.Inconsistency) {
	b.m.Inconsistencies = append(b.m.Inconsistencies, inc)
}

// fail reports object id inconsistent for reason.
func (b *builder) fail(id metadata.ObjectID, reason string, definition any) {
	b.report(metadata.NewInconsistency(id, reason, definition))
}

// quoteQN renders a table or function name as Hasura's <<> does.
func quoteQN(q catalog.QualifiedName) string { return metadata.Quoted(q) }

// qn is the JSON form of a qualified name.
func qn(q catalog.QualifiedName) map[string]string {
	return map[string]string{"schema": q.Schema, "name": q.Name}
}

// jsonObject returns v marshalled and decoded as a JSON object, so that
// definitions can be extended with keys (Hasura's WithTable).
func jsonObject(v any) map[string]any {
	out := map[string]any{}
	b, err := json.Marshal(v)
	if err == nil {
		_ = json.Unmarshal(b, &out)
	}
	return out
}

// buildTables runs phase 1 (Note [building the model]).
func (b *builder) buildTables() {
	count := map[catalog.QualifiedName]int{}
	for _, mt := range b.src.Tables {
		count[mt.Table.QualifiedName]++
	}
	reported := map[catalog.QualifiedName]bool{}
	var raw []*tableState
	for _, mt := range b.src.Tables {
		q := mt.Table.QualifiedName
		id := metadata.TableID(b.in.Source, q)
		if count[q] > 1 {
			if !reported[q] {
				reported[q] = true
				b.fail(id, "duplication definition for table", qn(q))
			}
			continue
		}
		info, ok := b.in.Catalog.Table(q)
		if !ok {
			b.fail(id, "no such table/view exists in source: "+quoteQN(q), qn(q))
			continue
		}
		ts := &tableState{meta: mt, info: info, id: id, lost: map[string]catalog.QualifiedName{}}
		if err := b.rawTable(ts); err != nil {
			b.fail(id, err.Error(), qn(q))
			continue
		}
		raw = append(raw, ts)
	}
	// Enum tables first, so that the tables referencing them see them.
	enums := map[catalog.QualifiedName]*tableState{}
	for _, pass := range []bool{true, false} {
		for _, ts := range raw {
			if ts.t.IsEnum != pass {
				continue
			}
			if err := b.processTable(ts, enums); err != nil {
				b.fail(ts.id, err.Error(), qn(ts.info.Name))
				ts.t = nil
				continue
			}
			if ts.t.IsEnum {
				enums[ts.info.Name] = ts
			}
		}
	}
	for _, ts := range raw { // metadata order
		if ts.t != nil {
			b.tables[ts.info.Name] = ts
			b.order = append(b.order, ts)
		}
	}
}

// rawTable builds what Hasura's buildRawTableInfo does: the column
// configuration, the keys and, for enum tables, the validated values.
func (b *builder) rawTable(ts *tableState) error {
	info, mt := ts.info, ts.meta
	t := &Table{Name: info.Name, Info: info, Meta: mt, IsEnum: mt.IsEnum}
	ts.t = t
	ts.configs = map[string]metadata.ColumnConfig{}
	if c := mt.Configuration; c != nil {
		// custom_column_names is the older form; column_config wins.
		for col, name := range c.CustomColumnNames {
			ts.configs[col] = metadata.ColumnConfig{CustomName: name}
		}
		for col, cc := range c.ColumnConfig {
			old := ts.configs[col]
			if cc.CustomName == "" {
				cc.CustomName = old.CustomName
			}
			ts.configs[col] = cc
		}
	}
	if mt.IsEnum {
		vals, err := b.enumValues(info)
		if err != nil {
			return err
		}
		t.EnumValues = vals
	}
	return nil
}

// enumValues validates an enum table (fetchAndValidateEnumValues) and
// returns its values.
func (b *builder) enumValues(info *catalog.Table) ([]EnumValue, error) {
	var errs []string
	var pk *catalog.Column
	switch {
	case info.PrimaryKey == nil || len(info.PrimaryKey.Columns) == 0:
		errs = append(errs, "the table must have a primary key")
	case len(info.PrimaryKey.Columns) > 1:
		cols := append([]string(nil), info.PrimaryKey.Columns...)
		sort.Strings(cols)
		errs = append(errs, "the table’s primary key must not span multiple columns ("+strings.Join(cols, ", ")+")")
	default:
		c, _ := info.Column(info.PrimaryKey.Columns[0])
		if c != nil && !isTextColumn(c) {
			errs = append(errs, typeMismatch("primary key", c))
		} else {
			pk = c
		}
	}
	var others []*catalog.Column
	for _, c := range info.Columns {
		if pk != nil && c.Name == pk.Name {
			continue
		}
		others = append(others, c)
	}
	switch {
	case len(others) == 1:
		if !isTextColumn(others[0]) {
			errs = append(errs, typeMismatch("comment column", others[0]))
		}
	case len(others) > 1:
		names := make([]string, len(others))
		for i, c := range others {
			names[i] = c.Name
		}
		sort.Strings(names)
		errs = append(errs, fmt.Sprintf("the table must have exactly one primary key and optionally one comment column, not %d columns (%s)",
			len(others), strings.Join(names, ", ")))
	}
	var vals []EnumValue
	if pk != nil && len(errs) == 0 {
		vals = b.in.EnumValues[info.Name]
		var bad []string
		for _, v := range vals {
			if !isGraphQLName(v.Value) || v.Value == "true" || v.Value == "false" || v.Value == "null" {
				bad = append(bad, v.Value)
			}
		}
		switch {
		case len(vals) == 0:
			errs = append(errs, "the table must have at least one row")
		case len(bad) > 0:
			errs = append(errs, badEnumValues(bad))
		}
	}
	if len(errs) == 0 {
		return vals, nil
	}
	return nil, fmt.Errorf("the table %s cannot be used as an enum %s", quoteQN(info.Name), reasonMessage(errs))
}

func isTextColumn(c *catalog.Column) bool {
	t := baseType(c.Type)
	return t.Kind != catalog.TypeArray && t.Name == "text"
}

func typeMismatch(what string, c *catalog.Column) string {
	return fmt.Sprintf(`the table’s %s (%q) must have type "text", not type %q`, what, c.Name, classifyColumn(c.Type).text())
}

// classifyColumn is the scalar of a column type as Hasura reads it from
// pg_type (domains resolved, arrays as "elem[]").
func classifyColumn(t *catalog.Type) pgScalar {
	t = baseType(t)
	if t.Kind == catalog.TypeArray && t.Elem != nil {
		e := classifyColumn(t.Elem)
		return pgScalar{Name: e.text() + "[]"}
	}
	if t.Kind == catalog.TypeComposite {
		return pgScalar{Name: t.Name, Composite: true}
	}
	if t.Kind == catalog.TypeEnum {
		return pgScalar{Name: t.Name}
	}
	return classify(t.Name)
}

func badEnumValues(bad []string) string {
	sort.Strings(bad)
	const plural = " are not valid GraphQL enum value names"
	switch len(bad) {
	case 1:
		return fmt.Sprintf("the value %q is not a valid GraphQL enum value name", bad[0])
	case 2:
		return fmt.Sprintf("the values %q and %q%s", bad[0], bad[1], plural)
	}
	last := bad[len(bad)-1]
	return fmt.Sprintf("the values %s, and %q%s", strings.Join(bad[:len(bad)-1], ", "), last, plural)
}

// reasonMessage joins validation errors as Hasura's makeReasonMessage does.
func reasonMessage(errs []string) string {
	if len(errs) == 1 {
		return "because " + errs[0]
	}
	var sb strings.Builder
	sb.WriteString("for the following reasons:\n")
	for _, e := range errs {
		sb.WriteString("  • " + e + "\n")
	}
	return sb.String()
}

// processTable builds the columns, names and keys of a table
// (processTableInfo); enums are the consistent enum tables.
func (b *builder) processTable(ts *tableState, enums map[catalog.QualifiedName]*tableState) error {
	t, info, mt := ts.t, ts.info, ts.meta
	cfg := mt.Configuration

	// Configuration for a column that does not exist.
	var cfgCols []string
	for col := range ts.configs {
		cfgCols = append(cfgCols, col)
	}
	sort.Strings(cfgCols)
	for _, col := range cfgCols {
		if _, ok := info.Column(col); !ok {
			return fmt.Errorf("configuration was given for the column %q, but no such column exists", col)
		}
	}

	refs, err := enumReferences(info, enums)
	if err != nil {
		return err
	}

	for _, c := range info.Columns {
		col := &Column{Name: c.Name, Type: c.Type, Nullable: c.Nullable, HasDefault: c.HasDefault, Info: c, Description: c.Description}
		cc := ts.configs[c.Name]
		if cc.CustomName != "" {
			if !isGraphQLName(cc.CustomName) {
				return fmt.Errorf("cannot include %q in the GraphQL schema because %q is not a valid GraphQL identifier", cc.CustomName, cc.CustomName)
			}
			col.Field = cc.CustomName
		} else {
			if !isGraphQLName(c.Name) {
				return fmt.Errorf("cannot include %q in the GraphQL schema because %q is not a valid GraphQL identifier", c.Name, c.Name)
			}
			col.Field = b.columnField(c.Name)
		}
		if cc.Comment != nil {
			col.Description = *cc.Comment
		}
		if et, ok := refs[c.Name]; ok {
			col.EnumTable = et.t
			col.Scalar = b.m.Naming().EnumType(et.t)
		} else {
			s, list := columnScalar(c.Type)
			name, err := s.graphqlName()
			if err != nil {
				return err
			}
			col.Scalar, col.List = b.scalarName(name), list
		}
		t.Columns = append(t.Columns, col)
	}

	// Columns mapped to the same field name.
	byField := map[string][]*Column{}
	for _, c := range t.Columns {
		byField[c.Field] = append(byField[c.Field], c)
	}
	for _, c := range t.Columns {
		if same := byField[c.Field]; len(same) > 1 {
			names := make([]string, len(same))
			for i, s := range same {
				names[i] = fmt.Sprintf("%q", s.Name)
			}
			return fmt.Errorf("the definitions of columns %s are in conflict: they are mapped to the same field name, %q", apierr.EnglishList("and", names), c.Field)
		}
	}

	// Names of the table.
	if cfg != nil && cfg.CustomName != "" {
		if !isGraphQLName(cfg.CustomName) {
			return fmt.Errorf("cannot include %q in the GraphQL schema because %q is not a valid GraphQL identifier", cfg.CustomName, cfg.CustomName)
		}
	} else if !isGraphQLName(qualifiedSnake(info.Name)) {
		return fmt.Errorf("cannot include %s in the GraphQL schema because %q is not a valid GraphQL identifier", quoteQN(info.Name), qualifiedSnake(info.Name))
	}
	b.setTableNames(t)

	switch {
	case cfg != nil && cfg.Comment != nil:
		t.Description = *cfg.Comment
	case info.Description != "":
		t.Description = info.Description
	default:
		t.Description = "columns and relationships of " + quoteQN(info.Name)
	}

	t.Index()
	if info.PrimaryKey != nil {
		for _, name := range info.PrimaryKey.Columns {
			if c, ok := t.ColumnBySQL(name); ok {
				t.PrimaryKey = append(t.PrimaryKey, c)
			}
		}
		t.UniqueConstraints = append(t.UniqueConstraints, info.PrimaryKey)
	}
	t.UniqueConstraints = append(t.UniqueConstraints, info.UniqueConstraints...)
	return nil
}

// enumReferences returns the columns of info that reference an enum table
// (resolveEnumReferences): by a single-column foreign key to the enum
// table's primary key.
func enumReferences(info *catalog.Table, enums map[catalog.QualifiedName]*tableState) (map[string]*tableState, error) {
	refs := map[string][]*tableState{}
	var order []string
	for _, fk := range info.ForeignKeys {
		if len(fk.Columns) != 1 {
			continue
		}
		et, ok := enums[fk.RefTable]
		if !ok || et.info.PrimaryKey == nil || len(et.info.PrimaryKey.Columns) != 1 || et.info.PrimaryKey.Columns[0] != fk.RefColumns[0] {
			continue
		}
		col := fk.Columns[0]
		if _, seen := refs[col]; !seen {
			order = append(order, col)
		}
		refs[col] = append(refs[col], et)
	}
	out := map[string]*tableState{}
	for _, col := range order {
		ets := refs[col]
		if len(ets) > 1 {
			names := make([]string, len(ets))
			for i, et := range ets {
				names[i] = quoteQN(et.info.Name)
			}
			return nil, fmt.Errorf("column %q in table %s references multiple enum tables (%s)", col, quoteQN(info.Name), strings.Join(names, ", "))
		}
		out[col] = ets[0]
	}
	return out, nil
}

// finish fills the model from the builder state.
func (b *builder) finish() {
	for _, ts := range b.order {
		ts.t.Index()
		b.m.Tables = append(b.m.Tables, ts.t)
		b.m.TableByName[ts.t.Name] = ts.t
	}
	roles := map[string]bool{}
	if b.src != nil {
		for _, mt := range b.src.Tables {
			for _, p := range mt.SelectPermissions {
				roles[p.Role] = true
			}
			for _, p := range mt.InsertPermissions {
				roles[p.Role] = true
			}
			for _, p := range mt.UpdatePermissions {
				roles[p.Role] = true
			}
			for _, p := range mt.DeletePermissions {
				roles[p.Role] = true
			}
		}
		for _, f := range b.src.Functions {
			for _, p := range f.Permissions {
				roles[p.Role] = true
			}
		}
	}
	for role := range b.m.InheritedRoles {
		roles[role] = true
	}
	delete(roles, "admin")
	b.m.Roles = make([]string, 0, len(roles))
	for r := range roles {
		b.m.Roles = append(b.m.Roles, r)
	}
	sort.Strings(b.m.Roles)
}
