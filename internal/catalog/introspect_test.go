package catalog_test

import (
	"context"
	_ "embed"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/pgtest"
)

//go:embed testdata/fixture.sql
var fixtureSQL string

// mustIntrospect introspects a fresh database built from ddl.
func mustIntrospect(t testing.TB, ddl string) (*catalog.Catalog, *pgtest.DB) {
	t.Helper()
	db := pgtest.New(t, ddl)
	c, err := catalog.Introspect(context.Background(), db.Pool)
	if err != nil {
		t.Fatalf("Introspect: %v", err)
	}
	return c, db
}

// typeName shows a *Type as the name it is written with, so that table and
// function diffs stay readable; types themselves are checked in
// TestIntrospect_Types.
var typeName = cmp.Transformer("typeName", func(t *catalog.Type) string {
	if t == nil {
		return "<nil>"
	}
	return t.SQL()
})

var ignoreOIDs = cmpopts.IgnoreFields(catalog.Table{}, "OID")

var ignoreConstraintOIDs = cmp.Options{
	cmpopts.IgnoreFields(catalog.Constraint{}, "OID"),
	cmpopts.IgnoreFields(catalog.ForeignKey{}, "OID"),
	cmpopts.IgnoreFields(catalog.Function{}, "OID"),
}

func qn(schema, name string) catalog.QualifiedName {
	return catalog.QualifiedName{Schema: schema, Name: name}
}

// col is a nullable column without a default.
func col(pos int, name, typ string) *catalog.Column {
	return &catalog.Column{Name: name, Position: pos, Type: &catalog.Type{Schema: "pg_catalog", Name: typ}, Nullable: true}
}

// userCol is col for a type outside pg_catalog; typ is the SQL spelling.
func userCol(pos int, name, schema, typ string) *catalog.Column {
	return &catalog.Column{Name: name, Position: pos, Type: &catalog.Type{Schema: schema, Name: typ}, Nullable: true}
}

func arrayCol(pos int, name string, elem *catalog.Type) *catalog.Column {
	return &catalog.Column{Name: name, Position: pos, Type: &catalog.Type{Kind: catalog.TypeArray, Elem: elem}, Nullable: true}
}

func with(c *catalog.Column, f func(c *catalog.Column)) *catalog.Column {
	f(c)
	return c
}

func notNull(c *catalog.Column) { c.Nullable = false }

func rowType(schema, name string) *catalog.Type { return &catalog.Type{Schema: schema, Name: name} }

func pgType(name string) *catalog.Type { return &catalog.Type{Schema: "pg_catalog", Name: name} }

func TestIntrospect_Tables(t *testing.T) {
	c, _ := mustIntrospect(t, fixtureSQL)

	writable := func(tb *catalog.Table) *catalog.Table {
		tb.Insertable, tb.Updatable, tb.Deletable = true, true, true
		return tb
	}
	eventColumns := func() []*catalog.Column {
		return []*catalog.Column{
			with(col(1, "id", "int8"), notNull),
			with(col(2, "at", "date"), notNull),
			col(3, "payload", "jsonb"),
		}
	}
	want := map[catalog.QualifiedName]*catalog.Table{
		qn("app", "authors"): writable(&catalog.Table{
			Name:        qn("app", "authors"),
			Kind:        catalog.KindTable,
			Description: "Writers",
			Columns: []*catalog.Column{
				with(col(1, "id", "int4"), func(c *catalog.Column) { c.Nullable, c.HasDefault = false, true }),
				with(col(2, "name", "text"), func(c *catalog.Column) { c.Nullable, c.Description = false, "Full name" }),
				userCol(3, "email", "app", "email"),
				with(userCol(4, "mood", "app", "mood"), func(c *catalog.Column) { c.HasDefault = true }),
				arrayCol(5, "tags", pgType("text")),
				arrayCol(6, "matrix", pgType("int4")),
				userCol(7, "home", "app", "address"),
				col(8, "flag", "char"),
				col(9, "code", "bpchar"),
				col(10, "bits", "bit"),
				userCol(11, "location", "public", "geometry"),
				arrayCol(12, "moods", rowType("app", "mood")),
				arrayCol(13, "pairs", rowType("Other Schema", "Point Pair")),
				userCol(14, "also_emails", "app", "emails"),
				with(col(16, "created_at", "timestamptz"), func(c *catalog.Column) { c.Nullable, c.HasDefault = false, true }),
			},
			PrimaryKey:        &catalog.Constraint{Name: "authors_pkey", Columns: []string{"id"}},
			UniqueConstraints: []*catalog.Constraint{{Name: "authors_email_key", Columns: []string{"email"}}},
			RowType:           rowType("app", "authors"),
		}),
		qn("app", "articles"): writable(&catalog.Table{
			Name: qn("app", "articles"),
			Kind: catalog.KindTable,
			Columns: []*catalog.Column{
				with(col(1, "id", "int4"), func(c *catalog.Column) {
					c.Nullable, c.HasDefault, c.IsIdentity, c.IdentityAlways = false, true, true, true
				}),
				with(col(2, "author_id", "int4"), notNull),
				with(col(3, "title", "text"), notNull),
				with(col(4, "title_len", "int4"), func(c *catalog.Column) { c.HasDefault, c.IsGenerated = true, true }),
				with(col(5, "seq", "int8"), func(c *catalog.Column) { c.Nullable, c.HasDefault, c.IsIdentity = false, true, true }),
				col(6, "body", "text"),
			},
			PrimaryKey: &catalog.Constraint{Name: "articles_pkey", Columns: []string{"id"}},
			UniqueConstraints: []*catalog.Constraint{
				{Name: "articles_seq_key", Columns: []string{"seq"}},
				{Name: "articles_title_author_key", Columns: []string{"title", "author_id"}},
			},
			ForeignKeys: []*catalog.ForeignKey{{
				Name:       "articles_author_id_fkey",
				Columns:    []string{"author_id"},
				RefTable:   qn("app", "authors"),
				RefColumns: []string{"id"},
			}},
			RowType: rowType("app", "articles"),
		}),
		qn("Other Schema", "Order Lines"): writable(&catalog.Table{
			Name:        qn("Other Schema", "Order Lines"),
			Kind:        catalog.KindTable,
			Description: "Lines of orders",
			Columns: []*catalog.Column{
				with(col(1, "Order ID", "int4"), notNull),
				with(col(2, "line", "int4"), notNull),
				col(3, "article_id", "int4"),
				col(4, "qty", "numeric"),
			},
			PrimaryKey: &catalog.Constraint{Name: "Order Lines_pkey", Columns: []string{"Order ID", "line"}},
			ForeignKeys: []*catalog.ForeignKey{{
				Name:       "Order Lines_article_id_fkey",
				Columns:    []string{"article_id"},
				RefTable:   qn("app", "articles"),
				RefColumns: []string{"id"},
			}},
			RowType: rowType("Other Schema", "Order Lines"),
		}),
		qn("Other Schema", "shipments"): writable(&catalog.Table{
			Name: qn("Other Schema", "shipments"),
			Kind: catalog.KindTable,
			Columns: []*catalog.Column{
				with(col(1, "id", "int4"), notNull),
				col(2, "order_id", "int4"),
				col(3, "order_line", "int4"),
			},
			PrimaryKey:        &catalog.Constraint{Name: "shipments_pkey", Columns: []string{"id"}},
			UniqueConstraints: []*catalog.Constraint{{Name: "shipments_line_key", Columns: []string{"order_line", "order_id"}}},
			ForeignKeys: []*catalog.ForeignKey{{
				Name:       "shipments_line_fkey",
				Columns:    []string{"order_line", "order_id"},
				RefTable:   qn("Other Schema", "Order Lines"),
				RefColumns: []string{"line", "Order ID"},
			}},
			RowType: rowType("Other Schema", "shipments"),
		}),
		qn("app", "author_names"): writable(&catalog.Table{
			Name:    qn("app", "author_names"),
			Kind:    catalog.KindView,
			Columns: []*catalog.Column{col(1, "id", "int4"), col(2, "name", "text")},
			RowType: rowType("app", "author_names"),
		}),
		qn("app", "article_counts"): {
			Name:    qn("app", "article_counts"),
			Kind:    catalog.KindView,
			Columns: []*catalog.Column{col(1, "author_id", "int4"), col(2, "n", "int8")},
			RowType: rowType("app", "article_counts"),
		},
		qn("app", "author_feed"): {
			Name:       qn("app", "author_feed"),
			Kind:       catalog.KindView,
			Columns:    []*catalog.Column{col(1, "id", "int4"), col(2, "name", "text"), col(3, "articles", "int8")},
			Insertable: true,
			RowType:    rowType("app", "author_feed"),
		},
		qn("app", "author_stats"): {
			Name:    qn("app", "author_stats"),
			Kind:    catalog.KindMaterializedView,
			Columns: []*catalog.Column{col(1, "author_id", "int4"), col(2, "n", "int8")},
			RowType: rowType("app", "author_stats"),
		},
		qn("app", "events"): writable(&catalog.Table{
			Name:       qn("app", "events"),
			Kind:       catalog.KindPartitionedTable,
			Columns:    eventColumns(),
			PrimaryKey: &catalog.Constraint{Name: "events_pkey", Columns: []string{"id", "at"}},
			RowType:    rowType("app", "events"),
		}),
		qn("app", "events_2024"): writable(&catalog.Table{
			Name:       qn("app", "events_2024"),
			Kind:       catalog.KindTable,
			Columns:    eventColumns(),
			PrimaryKey: &catalog.Constraint{Name: "events_2024_pkey", Columns: []string{"id", "at"}},
			RowType:    rowType("app", "events_2024"),
		}),
		qn("app", "events_2025"): writable(&catalog.Table{
			Name:       qn("app", "events_2025"),
			Kind:       catalog.KindTable,
			Columns:    eventColumns(),
			PrimaryKey: &catalog.Constraint{Name: "events_2025_pkey", Columns: []string{"id", "at"}},
			RowType:    rowType("app", "events_2025"),
		}),
		qn("app", "event_refs"): writable(&catalog.Table{
			Name:    qn("app", "event_refs"),
			Kind:    catalog.KindTable,
			Columns: []*catalog.Column{col(1, "event_id", "int8"), col(2, "event_at", "date")},
			ForeignKeys: []*catalog.ForeignKey{{
				Name:       "event_refs_event_fkey",
				Columns:    []string{"event_id", "event_at"},
				RefTable:   qn("app", "events"),
				RefColumns: []string{"id", "at"},
			}},
			RowType: rowType("app", "event_refs"),
		}),
	}

	got := make(map[catalog.QualifiedName]*catalog.Table)
	for name, tb := range c.Tables {
		if name.Schema == "app" || name.Schema == "Other Schema" {
			got[name] = tb
		}
	}
	if diff := cmp.Diff(want, got, typeName, ignoreOIDs, ignoreConstraintOIDs); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}

	t.Run("PostGIS", func(t *testing.T) {
		for _, name := range []catalog.QualifiedName{qn("public", "spatial_ref_sys"), qn("public", "geometry_columns")} {
			if _, ok := c.Table(name); !ok {
				t.Errorf("Table(%s): not found", name)
			}
		}
	})
	t.Run("NoSystemSchemas", func(t *testing.T) {
		for name := range c.Tables {
			switch name.Schema {
			case "pg_catalog", "information_schema", "pg_toast":
				t.Errorf("system relation %s in Tables", name)
			}
		}
		for name := range c.Functions {
			switch name.Schema {
			case "pg_catalog", "information_schema":
				t.Errorf("system function %s in Functions", name)
			}
		}
	})
	t.Run("OIDs", func(t *testing.T) {
		tb := c.Tables[qn("app", "authors")]
		if tb.OID == 0 || tb.PrimaryKey.OID == 0 {
			t.Errorf("OIDs not set: table %d, primary key %d", tb.OID, tb.PrimaryKey.OID)
		}
		if tb.RowType.RelationOID != tb.OID {
			t.Errorf("RowType.RelationOID = %d, want %d", tb.RowType.RelationOID, tb.OID)
		}
	})
}

func TestIntrospect_Functions(t *testing.T) {
	c, _ := mustIntrospect(t, fixtureSQL)

	arg := func(name string, typ *catalog.Type) catalog.FunctionArg {
		return catalog.FunctionArg{Name: name, Type: typ}
	}
	withDefault := func(a catalog.FunctionArg) catalog.FunctionArg {
		a.HasDefault = true
		return a
	}
	tableName := func(schema, name string) *catalog.QualifiedName {
		q := qn(schema, name)
		return &q
	}
	fn := func(f catalog.Function) []*catalog.Function {
		f.Kind = 'f'
		return []*catalog.Function{&f}
	}
	int4 := pgType("int4")
	want := map[catalog.QualifiedName][]*catalog.Function{
		qn("app", "author_feed_insert"): fn(catalog.Function{
			Name:       qn("app", "author_feed_insert"),
			ReturnType: pgType("trigger"),
			Volatility: 'v',
		}),
		qn("app", "search_articles"): fn(catalog.Function{
			Name:        qn("app", "search_articles"),
			Description: "Articles whose title matches",
			Args:        []catalog.FunctionArg{arg("search", pgType("text"))},
			ReturnType:  rowType("app", "articles"),
			ReturnsSet:  true,
			ReturnTable: tableName("app", "articles"),
			Volatility:  's',
		}),
		qn("app", "add"): fn(catalog.Function{
			Name:       qn("app", "add"),
			Args:       []catalog.FunctionArg{arg("a", int4), withDefault(arg("b", int4)), withDefault(arg("c", int4))},
			ReturnType: int4,
			Volatility: 'i',
		}),
		qn("app", "later"): fn(catalog.Function{
			Name:       qn("app", "later"),
			Args:       []catalog.FunctionArg{arg("", pgType("interval")), withDefault(arg("at", pgType("timestamptz")))},
			ReturnType: pgType("timestamptz"),
			Volatility: 'v',
		}),
		qn("app", "split"): fn(catalog.Function{
			Name:       qn("app", "split"),
			Args:       []catalog.FunctionArg{arg("s", pgType("text"))},
			ReturnType: pgType("record"),
			Volatility: 'i',
		}),
		qn("app", "bump"): fn(catalog.Function{
			Name:       qn("app", "bump"),
			Args:       []catalog.FunctionArg{arg("x", int4), withDefault(arg("step", int4))},
			ReturnType: int4,
			Volatility: 'i',
		}),
		qn("app", "total"): fn(catalog.Function{
			Name:        qn("app", "total"),
			Args:        []catalog.FunctionArg{arg("nums", &catalog.Type{Kind: catalog.TypeArray, Elem: int4})},
			ReturnType:  pgType("int8"),
			Volatility:  'i',
			HasVariadic: true,
		}),
		qn("app", "overloaded"): {
			{Name: qn("app", "overloaded"), Args: []catalog.FunctionArg{arg("", int4)}, ReturnType: int4, Volatility: 'v', Kind: 'f'},
			{Name: qn("app", "overloaded"), Args: []catalog.FunctionArg{arg("", pgType("text"))}, ReturnType: pgType("text"), Volatility: 'v', Kind: 'f'},
		},
		qn("app", "feed"): fn(catalog.Function{
			Name:        qn("app", "feed"),
			ReturnType:  rowType("app", "author_feed"),
			ReturnsSet:  true,
			ReturnTable: tableName("app", "author_feed"),
			Volatility:  's',
		}),
		qn("app", "home"): fn(catalog.Function{
			Name:       qn("app", "home"),
			Args:       []catalog.FunctionArg{arg("a", rowType("app", "authors"))},
			ReturnType: rowType("app", "address"),
			Volatility: 's',
		}),
		qn("Other Schema", "Line Items"): fn(catalog.Function{
			Name:       qn("Other Schema", "Line Items"),
			Args:       []catalog.FunctionArg{arg("Order", int4)},
			ReturnType: pgType("record"),
			ReturnsSet: true,
			Volatility: 's',
		}),
	}

	got := make(map[catalog.QualifiedName][]*catalog.Function)
	for name, fs := range c.Functions {
		if name.Schema == "app" || name.Schema == "Other Schema" {
			got[name] = fs
		}
	}
	sortOverloads := cmpopts.SortSlices(func(a, b *catalog.Function) bool {
		return a.ReturnType.Name < b.ReturnType.Name
	})
	if diff := cmp.Diff(want, got, typeName, ignoreConstraintOIDs, sortOverloads); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
}

func TestCatalog_Function(t *testing.T) {
	c, _ := mustIntrospect(t, fixtureSQL)
	tests := []struct {
		name   string
		fn     catalog.QualifiedName
		wantOK bool
	}{
		{"OK", qn("app", "add"), true},
		{"OKQuoted", qn("Other Schema", "Line Items"), true},
		{"Overloaded", qn("app", "overloaded"), false},
		{"NotExist", qn("app", "nope"), false},
		{"Procedure", qn("app", "not_a_function"), false},
		{"Aggregate", qn("app", "not_a_function_either"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := c.Function(tt.fn)
			if ok != tt.wantOK {
				t.Fatalf("Function(%s) ok = %v, want %v", tt.fn, ok, tt.wantOK)
			}
			if ok && f.Name != tt.fn {
				t.Errorf("Function(%s).Name = %s", tt.fn, f.Name)
			}
		})
	}
}

func TestCatalog_Table(t *testing.T) {
	c, _ := mustIntrospect(t, fixtureSQL)
	tests := []struct {
		name   string
		table  catalog.QualifiedName
		column string // a column that must exist, "" for none
		wantOK bool
	}{
		{"OK", qn("app", "authors"), "created_at", true},
		{"Quoted", qn("Other Schema", "Order Lines"), "Order ID", true},
		{"View", qn("app", "author_names"), "name", true},
		{"NotExist", qn("app", "nope"), "", false},
		{"WrongSchema", qn("public", "authors"), "", false},
		{"System", qn("pg_catalog", "pg_class"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb, ok := c.Table(tt.table)
			if ok != tt.wantOK {
				t.Fatalf("Table(%s) ok = %v, want %v", tt.table, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if _, ok := tb.Column(tt.column); !ok {
				t.Errorf("Table(%s).Column(%q): not found", tt.table, tt.column)
			}
			if _, ok := tb.Column("dropped"); ok {
				t.Errorf("Table(%s).Column(%q): found a dropped column", tt.table, "dropped")
			}
		})
	}
}

func TestCatalog_HasExtension(t *testing.T) {
	c, _ := mustIntrospect(t, fixtureSQL)
	want := map[string]string{"plpgsql": "pg_catalog", "postgis": "public"}
	if diff := cmp.Diff(want, c.Extensions); diff != "" {
		t.Errorf("Extensions (-want +got):\n%s", diff)
	}
	if !c.HasExtension("postgis") || c.HasExtension("hstore") {
		t.Errorf("HasExtension(postgis) = %v, HasExtension(hstore) = %v; want true, false",
			c.HasExtension("postgis"), c.HasExtension("hstore"))
	}
}
