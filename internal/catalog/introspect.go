package catalog

import (
	"cmp"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Querier is what Introspect needs of a connection or pool.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// introspectSQL returns the whole catalog as one JSON document (rawCatalog).
//
//go:embed introspect.sql
var introspectSQL string

// Introspect reads the catalog of the database db is connected to, in one
// query and one round trip.
func Introspect(ctx context.Context, db Querier) (*Catalog, error) {
	var doc []byte
	// The simple protocol sends the query in one message and does not leave a
	// large prepared statement behind in every pooled connection.
	if err := db.QueryRow(ctx, introspectSQL, pgx.QueryExecModeSimpleProtocol).Scan(&doc); err != nil {
		return nil, fmt.Errorf("introspect database: %w", err)
	}
	var raw rawCatalog
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("introspect database: decode catalog: %w", err)
	}
	c, err := raw.build()
	if err != nil {
		return nil, fmt.Errorf("introspect database: %w", err)
	}
	return c, nil
}

// rawCatalog is the JSON document introspect.sql returns. Names follow the
// pg_catalog columns they come from.
type rawCatalog struct {
	Tables      []rawTable        `json:"tables"`
	Columns     []rawColumn       `json:"columns"`
	Constraints []rawConstraint   `json:"constraints"`
	RefColumns  []rawColumn       `json:"refColumns"`
	Functions   []rawFunction     `json:"functions"`
	Types       []rawType         `json:"types"`
	EnumValues  []rawEnumValue    `json:"enumValues"`
	Fields      []rawColumn       `json:"fields"`
	Extensions  map[string]string `json:"extensions"`
}

type rawTable struct {
	OID         uint32  `json:"oid"`
	Schema      string  `json:"schema"`
	Name        string  `json:"name"`
	Kind        string  `json:"kind"` // relkind
	RowType     uint32  `json:"rowType"`
	Events      *int    `json:"events"` // pg_relation_is_updatable, views and foreign tables only
	Description *string `json:"description"`
}

type rawColumn struct {
	Rel         uint32  `json:"rel"`
	Num         int     `json:"num"`
	Name        string  `json:"name"`
	Type        uint32  `json:"type"`
	NotNull     bool    `json:"notNull"`
	HasDefault  bool    `json:"hasDefault"`
	Identity    string  `json:"identity"`  // attidentity: "", "a" always, "d" by default
	Generated   string  `json:"generated"` // attgenerated: "", "s" stored
	Description *string `json:"description"`
}

type rawConstraint struct {
	OID       uint32  `json:"oid"`
	Name      string  `json:"name"`
	Type      string  `json:"type"` // contype: p, u, f
	Rel       uint32  `json:"rel"`
	Key       []int   `json:"key"` // conkey
	RefRel    uint32  `json:"refRel"`
	RefSchema *string `json:"refSchema"`
	RefName   *string `json:"refName"`
	RefKey    []int   `json:"refKey"` // confkey
}

type rawFunction struct {
	OID          uint32   `json:"oid"`
	Schema       string   `json:"schema"`
	Name         string   `json:"name"`
	ReturnType   uint32   `json:"returnType"`
	ReturnsSet   bool     `json:"returnsSet"`
	Volatility   string   `json:"volatility"`
	Kind         string   `json:"kind"`
	NargDefaults int      `json:"nargDefaults"`
	ArgTypes     []uint32 `json:"argTypes"`    // proargtypes: the input arguments
	AllArgTypes  []uint32 `json:"allArgTypes"` // proallargtypes: nil when all are IN
	ArgModes     []string `json:"argModes"`    // proargmodes: nil when all are IN
	ArgNames     []string `json:"argNames"`    // proargnames, indexed like AllArgTypes if set
	Variadic     uint32   `json:"variadic"`
	Description  *string  `json:"description"`
}

type rawType struct {
	OID         uint32  `json:"oid"`
	Schema      string  `json:"schema"`
	Name        string  `json:"name"`
	Type        string  `json:"type"` // typtype
	Category    string  `json:"category"`
	Elem        uint32  `json:"elem"` // 0 unless this is a true array type
	Base        uint32  `json:"base"`
	Rel         uint32  `json:"rel"`
	Description *string `json:"description"`
}

type rawEnumValue struct {
	Type  uint32 `json:"type"`
	Label string `json:"label"`
}

// build turns the document into a Catalog, resolving OIDs to pointers.
func (r *rawCatalog) build() (*Catalog, error) {
	c := &Catalog{
		Tables:     make(map[QualifiedName]*Table, len(r.Tables)),
		Functions:  make(map[QualifiedName][]*Function, len(r.Functions)),
		Types:      make(map[uint32]*Type, len(r.Types)),
		Extensions: make(map[string]string, len(r.Extensions)),
	}
	for name, schema := range r.Extensions {
		c.Extensions[name] = schema
	}

	if err := r.buildTypes(c); err != nil {
		return nil, err
	}
	byOID, err := r.buildTables(c)
	if err != nil {
		return nil, err
	}
	if err := r.buildFields(c, byOID); err != nil {
		return nil, err
	}
	if err := r.buildFunctions(c, byOID); err != nil {
		return nil, err
	}
	return c, nil
}

func (r *rawCatalog) buildTypes(c *Catalog) error {
	for _, rt := range r.Types {
		t := &Type{
			OID:         rt.OID,
			Schema:      rt.Schema,
			Name:        rt.Name,
			Category:    firstByte(rt.Category),
			RelationOID: rt.Rel,
			Description: deref(rt.Description),
		}
		switch rt.Type {
		case "b":
			t.Kind = TypeBase
		case "c":
			t.Kind = TypeComposite
		case "d":
			t.Kind = TypeDomain
		case "e":
			t.Kind = TypeEnum
		case "p":
			t.Kind = TypePseudo
		case "r":
			t.Kind = TypeRange
		case "m":
			t.Kind = TypeMultirange
		default:
			return fmt.Errorf("type %s.%s: unknown typtype %q", rt.Schema, rt.Name, rt.Type)
		}
		// Note [array types] in introspect.sql: Elem is set only for true arrays.
		if rt.Elem != 0 {
			t.Kind = TypeArray
		}
		c.Types[t.OID] = t
	}
	for _, rt := range r.Types {
		t := c.Types[rt.OID]
		var err error
		if rt.Elem != 0 {
			t.Elem, err = c.typeByOID(rt.Elem)
		}
		if err == nil && t.Kind == TypeDomain {
			t.Base, err = c.typeByOID(rt.Base)
		}
		if err != nil {
			return fmt.Errorf("type %s.%s: %w", rt.Schema, rt.Name, err)
		}
	}
	for _, ev := range r.EnumValues {
		t, err := c.typeByOID(ev.Type)
		if err != nil {
			return fmt.Errorf("enum value %q: %w", ev.Label, err)
		}
		t.EnumValues = append(t.EnumValues, ev.Label)
	}
	return nil
}

func (c *Catalog) typeByOID(oid uint32) (*Type, error) {
	t, ok := c.Types[oid]
	if !ok {
		return nil, fmt.Errorf("type %d missing from the catalog", oid)
	}
	return t, nil
}

func (r *rawCatalog) buildTables(c *Catalog) (map[uint32]*Table, error) {
	byOID := make(map[uint32]*Table, len(r.Tables))
	for _, rt := range r.Tables {
		t := &Table{
			Name:        QualifiedName{Schema: rt.Schema, Name: rt.Name},
			OID:         rt.OID,
			Description: deref(rt.Description),
		}
		// Note [view updatability] in introspect.sql.
		switch rt.Kind {
		case "r":
			t.Kind = KindTable
			t.Insertable, t.Updatable, t.Deletable = true, true, true
		case "p":
			t.Kind = KindPartitionedTable
			t.Insertable, t.Updatable, t.Deletable = true, true, true
		case "v", "f":
			t.Kind = KindView
			if rt.Kind == "f" {
				t.Kind = KindForeignTable
			}
			if rt.Events != nil {
				ev := *rt.Events
				t.Insertable = ev&(1<<3) != 0
				t.Updatable = ev&(1<<2) != 0
				t.Deletable = ev&(1<<4) != 0
			}
		case "m":
			t.Kind = KindMaterializedView
		default:
			return nil, fmt.Errorf("table %s: unknown relkind %q", t.Name, rt.Kind)
		}
		if rt.RowType != 0 {
			rowType, err := c.typeByOID(rt.RowType)
			if err != nil {
				return nil, fmt.Errorf("table %s: row type: %w", t.Name, err)
			}
			t.RowType = rowType
		}
		c.Tables[t.Name] = t
		byOID[t.OID] = t
	}

	// Note [introspection query shape] in introspect.sql: lists come
	// unsorted.
	for _, rc := range r.Columns {
		t, ok := byOID[rc.Rel]
		if !ok {
			return nil, fmt.Errorf("column %q: table %d missing from the catalog", rc.Name, rc.Rel)
		}
		col, err := c.column(rc)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", t.Name, err)
		}
		t.Columns = append(t.Columns, col)
	}
	for _, t := range byOID {
		slices.SortFunc(t.Columns, func(a, b *Column) int { return cmp.Compare(a.Position, b.Position) })
		// A table's row type has the table's columns as its fields.
		if t.RowType != nil {
			t.RowType.Fields = t.Columns
		}
	}

	// Constraint keys are attnums; name them.
	outside := make(map[uint32]map[int]string)
	for _, rc := range r.RefColumns {
		if outside[rc.Rel] == nil {
			outside[rc.Rel] = make(map[int]string)
		}
		outside[rc.Rel][rc.Num] = rc.Name
	}
	names := func(rel uint32, key []int) ([]string, error) {
		cols := make([]string, len(key))
		for i, num := range key {
			if t := byOID[rel]; t != nil {
				if j, ok := slices.BinarySearchFunc(t.Columns, num, func(c *Column, num int) int { return cmp.Compare(c.Position, num) }); ok {
					cols[i] = t.Columns[j].Name
					continue
				}
			} else if name, ok := outside[rel][num]; ok {
				cols[i] = name
				continue
			}
			return nil, fmt.Errorf("column %d of relation %d missing from the catalog", num, rel)
		}
		return cols, nil
	}
	slices.SortFunc(r.Constraints, func(a, b rawConstraint) int { return cmp.Compare(a.Name, b.Name) })
	for _, rc := range r.Constraints {
		t, ok := byOID[rc.Rel]
		if !ok {
			return nil, fmt.Errorf("constraint %q: table %d missing from the catalog", rc.Name, rc.Rel)
		}
		cols, err := names(rc.Rel, rc.Key)
		if err != nil {
			return nil, fmt.Errorf("table %s: constraint %q: %w", t.Name, rc.Name, err)
		}
		switch rc.Type {
		case "p":
			t.PrimaryKey = &Constraint{Name: rc.Name, OID: rc.OID, Columns: cols}
		case "u":
			t.UniqueConstraints = append(t.UniqueConstraints, &Constraint{Name: rc.Name, OID: rc.OID, Columns: cols})
		case "f":
			refCols, err := names(rc.RefRel, rc.RefKey)
			if err != nil {
				return nil, fmt.Errorf("table %s: foreign key %q: %w", t.Name, rc.Name, err)
			}
			if rc.RefSchema == nil || rc.RefName == nil || len(refCols) != len(cols) {
				return nil, fmt.Errorf("table %s: foreign key %q: incomplete reference", t.Name, rc.Name)
			}
			t.ForeignKeys = append(t.ForeignKeys, &ForeignKey{
				Name:       rc.Name,
				OID:        rc.OID,
				Columns:    cols,
				RefTable:   QualifiedName{Schema: *rc.RefSchema, Name: *rc.RefName},
				RefColumns: refCols,
			})
		}
	}
	return byOID, nil
}

func (c *Catalog) column(rc rawColumn) (*Column, error) {
	typ, err := c.typeByOID(rc.Type)
	if err != nil {
		return nil, fmt.Errorf("column %q: %w", rc.Name, err)
	}
	return &Column{
		Name:           rc.Name,
		Position:       rc.Num,
		Type:           typ,
		Nullable:       !rc.NotNull,
		HasDefault:     rc.HasDefault || rc.Identity != "" || rc.Generated != "",
		IsIdentity:     rc.Identity != "",
		IdentityAlways: rc.Identity == "a",
		IsGenerated:    rc.Generated != "",
		Description:    deref(rc.Description),
	}, nil
}

// buildFields fills the Fields of composite types that are not a table's row
// type (standalone composite types, row types of system relations).
func (r *rawCatalog) buildFields(c *Catalog, tables map[uint32]*Table) error {
	byRel := make(map[uint32]*Type)
	for _, t := range c.Types {
		if t.Kind == TypeComposite && t.RelationOID != 0 && tables[t.RelationOID] == nil {
			byRel[t.RelationOID] = t
		}
	}
	for _, rf := range r.Fields {
		t, ok := byRel[rf.Rel]
		if !ok {
			return fmt.Errorf("field %q: composite type of relation %d missing from the catalog", rf.Name, rf.Rel)
		}
		col, err := c.column(rf)
		if err != nil {
			return fmt.Errorf("type %s.%s: %w", t.Schema, t.Name, err)
		}
		t.Fields = append(t.Fields, col)
	}
	return nil
}

func (r *rawCatalog) buildFunctions(c *Catalog, tables map[uint32]*Table) error {
	for _, rf := range r.Functions {
		f := &Function{
			Name:        QualifiedName{Schema: rf.Schema, Name: rf.Name},
			OID:         rf.OID,
			Description: deref(rf.Description),
			ReturnsSet:  rf.ReturnsSet,
			Volatility:  firstByte(rf.Volatility),
			HasVariadic: rf.Variadic != 0,
			Kind:        firstByte(rf.Kind),
		}
		var err error
		if f.ReturnType, err = c.typeByOID(rf.ReturnType); err != nil {
			return fmt.Errorf("function %s: return type: %w", f.Name, err)
		}
		if t := tables[f.ReturnType.RelationOID]; t != nil && f.ReturnType.RelationOID != 0 {
			name := t.Name
			f.ReturnTable = &name
		}
		if f.Args, err = c.functionArgs(rf); err != nil {
			return fmt.Errorf("function %s: %w", f.Name, err)
		}
		c.Functions[f.Name] = append(c.Functions[f.Name], f)
	}
	return nil
}

// functionArgs returns the input arguments of a function: IN, INOUT and
// VARIADIC ones. proargnames is indexed like proargtypes when proargmodes is
// null (all arguments IN), like proallargtypes otherwise.
func (c *Catalog) functionArgs(rf rawFunction) ([]FunctionArg, error) {
	type arg struct {
		name string
		typ  uint32
	}
	var in []arg
	if rf.ArgModes == nil {
		for i, typ := range rf.ArgTypes {
			in = append(in, arg{name: index(rf.ArgNames, i), typ: typ})
		}
	} else {
		for i, mode := range rf.ArgModes {
			switch mode {
			case "i", "b", "v": // IN, INOUT, VARIADIC; not OUT ("o") or TABLE ("t")
				if i >= len(rf.AllArgTypes) {
					return nil, fmt.Errorf("argument %d: no type", i+1)
				}
				in = append(in, arg{name: index(rf.ArgNames, i), typ: rf.AllArgTypes[i]})
			}
		}
	}
	if len(in) != len(rf.ArgTypes) {
		return nil, fmt.Errorf("%d input arguments by mode, %d in proargtypes", len(in), len(rf.ArgTypes))
	}
	if len(in) == 0 {
		return nil, nil
	}
	args := make([]FunctionArg, len(in))
	for i, a := range in {
		typ, err := c.typeByOID(a.typ)
		if err != nil {
			return nil, fmt.Errorf("argument %d: %w", i+1, err)
		}
		args[i] = FunctionArg{
			Name:       a.name,
			Type:       typ,
			HasDefault: i >= len(in)-rf.NargDefaults,
		}
	}
	return args, nil
}

func index(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func firstByte(s string) byte {
	if s == "" {
		return 0
	}
	return s[0]
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
