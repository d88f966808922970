// Package catalog describes what a PostgreSQL database holds — tables, views,
// columns, constraints, functions and types — as an immutable [Catalog].
//
// [Introspect] reads it from a live database in one round trip. Everything a
// Catalog returns must be treated as immutable after construction: snapshots of
// the GraphQL schema keep pointers into it and are shared by concurrent
// requests.
package catalog

import (
	"fmt"
	"strings"
)

// QualifiedName names a schema-qualified object such as a table or function.
type QualifiedName struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
}

func (q QualifiedName) String() string { return q.Schema + "." + q.Name }

// TableKind is the relkind of a table-like relation.
type TableKind int

const (
	KindTable TableKind = iota
	KindView
	KindMaterializedView
	KindForeignTable
	KindPartitionedTable
)

func (k TableKind) String() string {
	switch k {
	case KindTable:
		return "table"
	case KindView:
		return "view"
	case KindMaterializedView:
		return "materialized view"
	case KindForeignTable:
		return "foreign table"
	case KindPartitionedTable:
		return "partitioned table"
	}
	return fmt.Sprintf("TableKind(%d)", int(k))
}

// Catalog is a snapshot of one database. It is immutable after construction.
type Catalog struct {
	// Tables holds every table-like relation (tables, views, materialized
	// views, foreign tables, partitioned tables and their partitions) outside
	// the system schemas: pg_catalog, information_schema, pg_toast, pg_temp_N
	// (and every other pg_* schema) and hdb_catalog.
	Tables map[QualifiedName]*Table
	// Functions holds every function (pg_proc.prokind 'f': no procedures,
	// aggregates or window functions) outside the system schemas, those of
	// extensions included. Overloads share a name, so each name maps to all
	// of them.
	Functions map[QualifiedName][]*Function
	// Types holds every type referenced by a column, a function argument or
	// result, plus every base, enum, domain and composite type of a user
	// schema, keyed by OID, and the types those are made of (array
	// elements, domain bases, composite fields), so every *Type link
	// resolves. There is one *Type per OID.
	Types map[uint32]*Type
	// Extensions maps an installed extension's name to the schema it lives in
	// (for example "postgis" -> "public").
	Extensions map[string]string
}

// Table returns the table or view named q.
func (c *Catalog) Table(q QualifiedName) (*Table, bool) {
	t, ok := c.Tables[q]
	return t, ok
}

// Function returns the single function named q; ok is false if there is none
// or if the name is overloaded (Hasura refuses to track overloaded functions).
func (c *Catalog) Function(q QualifiedName) (f *Function, ok bool) {
	fs := c.Functions[q]
	if len(fs) != 1 {
		return nil, false
	}
	return fs[0], true
}

// HasExtension reports whether the named extension is installed.
func (c *Catalog) HasExtension(name string) bool {
	_, ok := c.Extensions[name]
	return ok
}

// Table is a table-like relation.
type Table struct {
	Name        QualifiedName
	OID         uint32
	Kind        TableKind
	Description string // COMMENT ON TABLE, "" if none
	Columns     []*Column
	// PrimaryKey is nil when the table has none.
	PrimaryKey *Constraint
	// UniqueConstraints lists the unique constraints (and unique indexes
	// backing constraints), the primary key excluded.
	UniqueConstraints []*Constraint
	ForeignKeys       []*ForeignKey
	// Insertable, Updatable and Deletable say whether rows can be written:
	// always true for tables; for views, what PostgreSQL reports (auto-updatable
	// views, or INSTEAD OF triggers for the operation).
	Insertable, Updatable, Deletable bool
	// RowType is the composite type of the table's rows.
	RowType *Type
}

// Column returns the column named name.
func (t *Table) Column(name string) (*Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return nil, false
}

// Column is a column of a table or view.
type Column struct {
	Name           string
	Position       int // attnum
	Type           *Type
	Nullable       bool
	HasDefault     bool // a DEFAULT, a serial, or an identity column
	IsIdentity     bool
	IdentityAlways bool // GENERATED ALWAYS AS IDENTITY
	IsGenerated    bool // GENERATED ALWAYS AS (expr) STORED
	Description    string
}

// Constraint is a primary key or unique constraint.
type Constraint struct {
	Name    string
	OID     uint32
	Columns []string // in key order
}

// ForeignKey is a foreign key constraint of the table that holds it.
type ForeignKey struct {
	Name       string
	OID        uint32
	Columns    []string // referencing columns, in key order
	RefTable   QualifiedName
	RefColumns []string // referenced columns, in the same order
}

// TypeKind classifies a PostgreSQL type (pg_type.typtype, arrays apart).
type TypeKind int

const (
	TypeBase TypeKind = iota
	TypeEnum
	TypeComposite
	TypeDomain
	TypeArray
	TypeRange
	TypePseudo
	TypeMultirange
)

func (k TypeKind) String() string {
	switch k {
	case TypeBase:
		return "base"
	case TypeEnum:
		return "enum"
	case TypeComposite:
		return "composite"
	case TypeDomain:
		return "domain"
	case TypeArray:
		return "array"
	case TypeRange:
		return "range"
	case TypePseudo:
		return "pseudo"
	case TypeMultirange:
		return "multirange"
	}
	return fmt.Sprintf("TypeKind(%d)", int(k))
}

// Type is a PostgreSQL type. There is one *Type per OID in a Catalog, so
// types may be compared by pointer.
type Type struct {
	OID    uint32
	Schema string // pg_namespace.nspname of the type, e.g. "pg_catalog"
	Name   string // pg_type.typname, e.g. "int4", "_int4", "geometry"
	Kind   TypeKind
	// Category is pg_type.typcategory: 'N' numeric, 'S' string, 'B' boolean,
	// 'D' date/time, 'U' user-defined, 'A' array, 'C' composite, 'E' enum, ...
	Category byte
	// Elem is the element type of an array.
	Elem *Type
	// Base is the underlying type of a domain.
	Base *Type
	// EnumValues lists the labels of an enum type, in sort order.
	EnumValues []string
	// Fields lists the attributes of a composite type.
	Fields []*Column
	// RelationOID is pg_type.typrelid of a composite type: the table, view,
	// etc. whose row type this is, or the pg_class entry of a standalone
	// composite type (CREATE TYPE ... AS); 0 for other types.
	RelationOID uint32
	Description string
}

// IsArray reports whether t is an array type.
func (t *Type) IsArray() bool { return t.Kind == TypeArray }

// SQL returns the type as it is written in a cast: bare for pg_catalog types
// ("int4", "text", "int4[]", but "char" and "bit", which mean char(1) and
// bit(1) when bare), schema-qualified and quoted for others
// ("public"."geometry", "public"."mood"[]). It names the type with no type
// modifier: a varchar(10) column's type is "varchar".
func (t *Type) SQL() string {
	if t.Kind == TypeArray && t.Elem != nil {
		return t.Elem.SQL() + "[]"
	}
	if t.Schema == "pg_catalog" {
		return quoteIdentIfNeeded(t.Name)
	}
	return quoteIdent(t.Schema) + "." + quoteIdent(t.Name)
}

// quoteIdentIfNeeded leaves simple lower-case names bare so casts read as
// PostgreSQL prints them ("int4", "timestamptz"). Names that are not plain
// identifiers are quoted, and so are those that the grammar reads as
// something else when bare: "char" (bare char is bpchar(1)), "bit" (bit(1))
// and "any" (a reserved word).
func quoteIdentIfNeeded(s string) string {
	if s == "" || reservedTypeNames[s] {
		return quoteIdent(s)
	}
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || (i > 0 && (r >= '0' && r <= '9' || r == '$'))) {
			return quoteIdent(s)
		}
	}
	return s
}

// reservedTypeNames are the PostgreSQL keywords that are not unreserved
// (pg_get_keywords() catcode R, C or T), so may not stand bare for a type
// name, or stand for a different type. Those that mean exactly the pg_catalog
// type of the same name when bare (interval, numeric, time, timestamp,
// varchar) are left out so that casts read naturally.
var reservedTypeNames = func() map[string]bool {
	m := make(map[string]bool)
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric
		authorization between bigint binary bit boolean both case cast char character check
		coalesce collate collation column concurrently constraint create cross current_catalog
		current_date current_role current_schema current_time current_timestamp current_user
		dec decimal default deferrable desc distinct do else end except exists extract false
		fetch float for foreign freeze from full grant greatest group grouping having ilike in
		initially inner inout int integer intersect into is isnull join lateral leading least
		left like limit localtime localtimestamp national natural nchar none normalize not
		notnull null nullif offset on only or order out outer overlaps overlay placing position
		precision primary real references returning right row select session_user setof similar
		smallint some substring symmetric table tablesample then to trailing treat trim true
		union unique user using values variadic verbose when where window with xmlattributes
		xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot
		xmlserialize xmltable`) {
		m[w] = true
	}
	return m
}()

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// Function is a SQL function.
type Function struct {
	Name        QualifiedName
	OID         uint32
	Description string
	Args        []FunctionArg
	// ReturnType is the declared result type; for SETOF t it is t.
	ReturnType *Type
	ReturnsSet bool
	// ReturnTable is the table whose row type the function returns, if any.
	ReturnTable *QualifiedName
	// Volatility is pg_proc.provolatile: 'i' immutable, 's' stable, 'v' volatile.
	Volatility byte
	// HasVariadic reports a VARIADIC argument (Hasura does not track these).
	HasVariadic bool
	// Kind is pg_proc.prokind: 'f' function, 'p' procedure, 'a' aggregate, 'w' window.
	Kind byte
}

// FunctionArg is an input argument of a function.
type FunctionArg struct {
	Name       string // "" for an unnamed argument
	Type       *Type
	HasDefault bool
}
