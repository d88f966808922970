package catalog_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/catalog"
)

// typeView is what TestIntrospect_Types compares of a *Type: its links to
// other types by name, so that the diff stays readable.
type typeView struct {
	Kind        catalog.TypeKind
	Category    string
	Elem        string
	Base        string
	EnumValues  []string
	Fields      []string // "name type"
	Relation    bool
	Description string
}

func viewType(t *catalog.Type) typeView {
	v := typeView{
		Kind:        t.Kind,
		Category:    string(t.Category),
		EnumValues:  t.EnumValues,
		Relation:    t.RelationOID != 0,
		Description: t.Description,
	}
	if t.Elem != nil {
		v.Elem = t.Elem.SQL()
	}
	if t.Base != nil {
		v.Base = t.Base.SQL()
	}
	for _, f := range t.Fields {
		v.Fields = append(v.Fields, f.Name+" "+f.Type.SQL())
	}
	return v
}

func TestIntrospect_Types(t *testing.T) {
	c, _ := mustIntrospect(t, fixtureSQL)

	byName := make(map[catalog.QualifiedName]*catalog.Type)
	for _, typ := range c.Types {
		byName[qn(typ.Schema, typ.Name)] = typ
	}

	want := map[catalog.QualifiedName]typeView{
		qn("app", "mood"):  {Kind: catalog.TypeEnum, Category: "E", EnumValues: []string{"sad", "meh", "ok", "happy"}, Description: "How one feels"},
		qn("app", "_mood"): {Kind: catalog.TypeArray, Category: "A", Elem: `"app"."mood"`},
		qn("app", "email"): {Kind: catalog.TypeDomain, Category: "S", Base: "text"},
		// Only referenced as the base of app.emails.
		qn("app", "_email"): {Kind: catalog.TypeArray, Category: "A", Elem: `"app"."email"`},
		qn("app", "emails"): {Kind: catalog.TypeDomain, Category: "A", Base: `"app"."email"[]`},
		qn("app", "address"): {
			Kind: catalog.TypeComposite, Category: "C", Relation: true,
			Fields: []string{"street text", "zip int4", "tags text[]"},
		},
		qn("Other Schema", "Point Pair"): {
			Kind: catalog.TypeComposite, Category: "C", Relation: true,
			Fields: []string{"a point", "b point"},
		},
		qn("Other Schema", "_Point Pair"): {Kind: catalog.TypeArray, Category: "A", Elem: `"Other Schema"."Point Pair"`},
		qn("app", "author_names"): {
			Kind: catalog.TypeComposite, Category: "C", Relation: true,
			Fields: []string{"id int4", "name text"},
		},
		qn("public", "geometry"): {
			Kind: catalog.TypeBase, Category: "U",
			Description: "postgis type: The type representing spatial features with planar coordinate systems.",
		},
		qn("pg_catalog", "text"):        {Kind: catalog.TypeBase, Category: "S", Description: "variable-length string, no limit specified"},
		qn("pg_catalog", "_text"):       {Kind: catalog.TypeArray, Category: "A", Elem: "text"},
		qn("pg_catalog", "char"):        {Kind: catalog.TypeBase, Category: "Z", Description: "single character"},
		qn("pg_catalog", "point"):       {Kind: catalog.TypeBase, Category: "G", Description: "geometric point '(x, y)'"},
		qn("pg_catalog", "record"):      {Kind: catalog.TypePseudo, Category: "P", Description: "pseudo-type representing any composite type"},
		qn("pg_catalog", "trigger"):     {Kind: catalog.TypePseudo, Category: "P", Description: "pseudo-type for the result of a trigger function"},
		qn("pg_catalog", "timestamptz"): {Kind: catalog.TypeBase, Category: "D", Description: "date and time with time zone"},
	}
	for name, w := range want {
		t.Run(name.String(), func(t *testing.T) {
			typ, ok := byName[name]
			if !ok {
				t.Fatalf("type %s not in the catalog", name)
			}
			if diff := cmp.Diff(w, viewType(typ)); diff != "" {
				t.Errorf("type %s (-want +got):\n%s", name, diff)
			}
		})
	}

	t.Run("RowTypeSharesColumns", func(t *testing.T) {
		tb := c.Tables[qn("app", "authors")]
		if len(tb.Columns) == 0 || &tb.RowType.Fields[0] != &tb.Columns[0] {
			t.Errorf("app.authors: RowType.Fields is not Columns")
		}
	})
	t.Run("Comment", func(t *testing.T) {
		addr := byName[qn("app", "address")]
		if got := addr.Fields[1].Description; got != "Postal code" {
			t.Errorf("app.address zip description = %q, want %q", got, "Postal code")
		}
	})
	t.Run("OnePointerPerOID", func(t *testing.T) {
		check := func(where string, typ *catalog.Type) {
			t.Helper()
			if typ == nil {
				t.Errorf("%s: nil type", where)
				return
			}
			if c.Types[typ.OID] != typ {
				t.Errorf("%s: type %s (%d) is not the catalog's", where, typ.SQL(), typ.OID)
			}
		}
		for oid, typ := range c.Types {
			if typ.OID != oid {
				t.Errorf("Types[%d].OID = %d", oid, typ.OID)
			}
			switch typ.Kind {
			case catalog.TypeArray:
				check(typ.SQL()+" elem", typ.Elem)
			case catalog.TypeDomain:
				check(typ.SQL()+" base", typ.Base)
			}
			for _, f := range typ.Fields {
				check(typ.SQL()+"."+f.Name, f.Type)
			}
		}
		for name, tb := range c.Tables {
			check(name.String()+" row type", tb.RowType)
			for _, col := range tb.Columns {
				check(name.String()+"."+col.Name, col.Type)
			}
		}
		for name, fs := range c.Functions {
			for _, f := range fs {
				check(name.String()+" result", f.ReturnType)
				for i, a := range f.Args {
					check(fmt.Sprintf("%s arg %d", name, i+1), a.Type)
				}
			}
		}
	})
}

func TestType_SQL(t *testing.T) {
	mood := &catalog.Type{Schema: "app", Name: "mood", Kind: catalog.TypeEnum}
	int4 := &catalog.Type{Schema: "pg_catalog", Name: "int4"}
	tests := []struct {
		name string
		typ  *catalog.Type
		want string
	}{
		{"Builtin", int4, "int4"},
		{"BuiltinArray", &catalog.Type{Schema: "pg_catalog", Name: "_int4", Kind: catalog.TypeArray, Elem: int4}, "int4[]"},
		{"Char", &catalog.Type{Schema: "pg_catalog", Name: "char"}, `"char"`},
		{"Bpchar", &catalog.Type{Schema: "pg_catalog", Name: "bpchar"}, "bpchar"},
		{"Bit", &catalog.Type{Schema: "pg_catalog", Name: "bit"}, `"bit"`},
		{"Any", &catalog.Type{Schema: "pg_catalog", Name: "any", Kind: catalog.TypePseudo}, `"any"`},
		{"Timestamp", &catalog.Type{Schema: "pg_catalog", Name: "timestamp"}, "timestamp"},
		{"User", mood, `"app"."mood"`},
		{"UserArray", &catalog.Type{Schema: "app", Name: "_mood", Kind: catalog.TypeArray, Elem: mood}, `"app"."mood"[]`},
		{"Quoted", &catalog.Type{Schema: `My "Schema"`, Name: "Point Pair"}, `"My ""Schema"""."Point Pair"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.typ.SQL(); got != tt.want {
				t.Errorf("SQL() = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestType_SQL_Casts checks that SQL() spells every introspected type, and
// every type in pg_catalog, so that PostgreSQL reads it back as the same type
// with no type modifier.
func TestType_SQL_Casts(t *testing.T) {
	c, db := mustIntrospect(t, fixtureSQL)
	ctx := context.Background()
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()

	checkCast := func(t *testing.T, typ *catalog.Type) {
		t.Helper()
		if typ.Kind == catalog.TypePseudo {
			// Most pseudo types accept no value, not even a NULL; the type
			// name parser is the same one casts use.
			var oid *uint32
			if err := conn.QueryRow(ctx, "SELECT to_regtype($1)::oid", typ.SQL()).Scan(&oid); err != nil {
				t.Fatalf("to_regtype(%s): %v", typ.SQL(), err)
			}
			if oid == nil || *oid != typ.OID {
				t.Errorf("to_regtype(%s) = %v, want %d", typ.SQL(), oid, typ.OID)
			}
			return
		}
		// The row description gives the type modifier (bit is bit(1) when
		// bare), pg_typeof the type itself (a row description shows a
		// domain's base type).
		q := "SELECT NULL::" + typ.SQL() + ", pg_typeof(NULL::" + typ.SQL() + ")::oid"
		sd, err := conn.Conn().Prepare(ctx, "", q)
		if err != nil {
			t.Fatalf("cast to %s: %v", typ.SQL(), err)
		}
		if f := sd.Fields[0]; f.TypeModifier != -1 && typ.Kind != catalog.TypeDomain {
			t.Errorf("NULL::%s has typmod %d, want -1", typ.SQL(), f.TypeModifier)
		}
		var oid uint32
		if err := conn.QueryRow(ctx, q).Scan(nil, &oid); err != nil {
			t.Fatalf("cast to %s: %v", typ.SQL(), err)
		}
		if oid != typ.OID {
			t.Errorf("NULL::%s has type %d, want %d (%s.%s)", typ.SQL(), oid, typ.OID, typ.Schema, typ.Name)
		}
	}

	t.Run("Introspected", func(t *testing.T) {
		for _, typ := range c.Types {
			checkCast(t, typ)
		}
	})
	t.Run("PgCatalog", func(t *testing.T) {
		rows, err := conn.Query(ctx, `
			SELECT t.oid, t.typname, t.typtype = 'p', e.typname
			FROM pg_type t LEFT JOIN pg_type e ON e.oid = t.typelem AND e.typarray = t.oid
			WHERE t.typnamespace = 'pg_catalog'::regnamespace`)
		if err != nil {
			t.Fatal(err)
		}
		var types []*catalog.Type
		for rows.Next() {
			typ := &catalog.Type{Schema: "pg_catalog"}
			var pseudo bool
			var elem *string
			if err := rows.Scan(&typ.OID, &typ.Name, &pseudo, &elem); err != nil {
				t.Fatal(err)
			}
			if pseudo {
				typ.Kind = catalog.TypePseudo
			}
			if elem != nil {
				typ.Kind = catalog.TypeArray
				typ.Elem = &catalog.Type{Schema: "pg_catalog", Name: *elem}
			}
			types = append(types, typ)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if len(types) < 100 {
			t.Fatalf("only %d types in pg_catalog", len(types))
		}
		for _, typ := range types {
			checkCast(t, typ)
		}
	})
}
