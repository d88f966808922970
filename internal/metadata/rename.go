package metadata

import (
	"bytes"
	"encoding/json"

	"github.com/graftql/graft/internal/catalog"
)

// Renames that follow the database: when run_sql renames a table or a
// column, Hasura rewrites every reference to it in the metadata
// (hasura/graphql-engine: server/src-lib/Hasura/RQL/DDL/Schema/Rename.hs).
// The same rewriting serves pg_rename_relationship.

// field is one key of a JSON object, kept in order.
type field struct {
	Key   string
	Value json.RawMessage
}

// decodeObject decodes a JSON object keeping its key order.
func decodeObject(raw json.RawMessage) ([]field, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, false
	}
	var out []field
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, field{Key: kt.(string), Value: v})
	}
	return out, true
}

func encodeObject(fs []field) json.RawMessage {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range fs {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(f.Key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(f.Value)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// boolExpRewriter rewrites permission boolean expressions of one source.
type boolExpRewriter struct {
	src *Source
	cat *catalog.Catalog
	// key renames a key evaluated on table; it returns the key unchanged
	// when it is not affected.
	key func(table catalog.QualifiedName, key string) string
	// table renames the table of an _exists.
	table func(q catalog.QualifiedName) catalog.QualifiedName
}

func (w *boolExpRewriter) rewrite(expr json.RawMessage, q catalog.QualifiedName, depth int) json.RawMessage {
	if depth > 32 || IsNull(expr) {
		return expr
	}
	fs, ok := decodeObject(expr)
	if !ok {
		return expr
	}
	t, _ := w.src.Table(q)
	changed := false
	for i, f := range fs {
		nv := f.Value
		nk := f.Key
		switch f.Key {
		case "_and", "_or":
			var list []json.RawMessage
			if json.Unmarshal(f.Value, &list) == nil {
				for j, e := range list {
					list[j] = w.rewrite(e, q, depth+1)
				}
				nv = mustJSON(list)
			}
		case "_not":
			nv = w.rewrite(f.Value, q, depth+1)
		case "_exists":
			ex, ok := decodeObject(f.Value)
			if !ok {
				break
			}
			var target catalog.QualifiedName
			found := false
			for _, e := range ex {
				if e.Key == "_table" {
					var tn TableName
					if json.Unmarshal(e.Value, &tn) == nil {
						target, found = tn.QualifiedName, true
					}
				}
			}
			if !found {
				break
			}
			for j, e := range ex {
				switch e.Key {
				case "_table":
					if w.table != nil {
						if nt := w.table(target); nt != target {
							ex[j].Value = mustJSON(TableName{nt})
						}
					}
				case "_where":
					ex[j].Value = w.rewrite(e.Value, target, depth+1)
				}
			}
			nv = encodeObject(ex)
		default:
			if w.key != nil {
				nk = w.key(q, f.Key)
			}
			if t != nil {
				if r, _ := t.relationship(f.Key); r != nil {
					if rt, ok := RelationshipTarget(t, r, w.cat); ok {
						nv = w.rewrite(f.Value, rt, depth+1)
					}
				}
			}
		}
		if nk != f.Key || !bytes.Equal(nv, f.Value) {
			fs[i] = field{Key: nk, Value: nv}
			changed = true
		}
	}
	if !changed {
		return expr
	}
	return encodeObject(fs)
}

// rewritePermissions applies w to every permission expression of the source.
func (w *boolExpRewriter) rewritePermissions() {
	for _, t := range w.src.Tables {
		q := t.Table.QualifiedName
		for _, p := range t.SelectPermissions {
			p.Permission.Filter = w.rewrite(p.Permission.Filter, q, 0)
		}
		for _, p := range t.InsertPermissions {
			p.Permission.Check = w.rewrite(p.Permission.Check, q, 0)
		}
		for _, p := range t.UpdatePermissions {
			p.Permission.Filter = w.rewrite(p.Permission.Filter, q, 0)
			if !IsNull(p.Permission.Check) {
				p.Permission.Check = w.rewrite(p.Permission.Check, q, 0)
			}
		}
		for _, p := range t.DeletePermissions {
			p.Permission.Filter = w.rewrite(p.Permission.Filter, q, 0)
		}
	}
}

// renameFieldInBoolExps renames key old to new wherever a permission
// expression evaluates it on table.
func renameFieldInBoolExps(md *Metadata, source string, cat *catalog.Catalog, table catalog.QualifiedName, old, new string) {
	s, ok := md.Source(source)
	if !ok {
		return
	}
	w := &boolExpRewriter{src: s, cat: cat, key: func(q catalog.QualifiedName, k string) string {
		if q == table && k == old {
			return new
		}
		return k
	}}
	w.rewritePermissions()
}

// RenameTable follows a table renamed in the database from old to new:
// the tracked table and every reference to it move to the new name.
func RenameTable(md *Metadata, source string, cat *catalog.Catalog, old, new catalog.QualifiedName) {
	s, ok := md.Source(source)
	if !ok {
		return
	}
	// Rewrite the expressions first: they are resolved with the old names.
	w := &boolExpRewriter{src: s, cat: cat, table: func(q catalog.QualifiedName) catalog.QualifiedName {
		if q == old {
			return new
		}
		return q
	}}
	w.rewritePermissions()
	for _, t := range s.Tables {
		for _, r := range append(append([]*Relationship(nil), t.ObjectRelationships...), t.ArrayRelationships...) {
			if m := r.Using.ManualConfiguration; m != nil && m.RemoteTable.QualifiedName == old {
				m.RemoteTable = TableName{new}
				continue
			}
			if fk, err := r.Using.ForeignKey(); err == nil && fk.Table != nil && *fk.Table == old {
				fk.Table = &new
				r.Using.ForeignKeyConstraintOn = encodeForeignKey(r.Using.ForeignKeyConstraintOn, fk)
			}
		}
	}
	if t, ok := s.Table(old); ok {
		t.Table = TableName{new}
	}
}

// ColumnRename is a column of Table renamed from Old to New.
type ColumnRename struct {
	Table    catalog.QualifiedName
	Old, New string
}

// RenameColumns follows columns renamed in the database: permissions,
// relationships and column configuration move to the new names. cat is
// the catalog from before the renames.
func RenameColumns(md *Metadata, source string, cat *catalog.Catalog, renames []ColumnRename) {
	s, ok := md.Source(source)
	if !ok || len(renames) == 0 {
		return
	}
	// Rewrite every expression in one pass, while the relationships still
	// match cat, then the rest column by column.
	w := &boolExpRewriter{src: s, cat: cat, key: func(q catalog.QualifiedName, k string) string {
		for _, r := range renames {
			if r.Table == q && r.Old == k {
				return r.New
			}
		}
		return k
	}}
	w.rewritePermissions()
	for _, r := range renames {
		renameColumn(s, r.Table, r.Old, r.New)
	}
}

// RenameColumn is RenameColumns for one column.
func RenameColumn(md *Metadata, source string, cat *catalog.Catalog, table catalog.QualifiedName, old, new string) {
	RenameColumns(md, source, cat, []ColumnRename{{table, old, new}})
}

func renameColumn(s *Source, table catalog.QualifiedName, old, new string) {
	ren := func(c string) string {
		if c == old {
			return new
		}
		return c
	}
	for _, t := range s.Tables {
		own := t.Table.QualifiedName == table
		for _, r := range append(append([]*Relationship(nil), t.ObjectRelationships...), t.ArrayRelationships...) {
			if m := r.Using.ManualConfiguration; m != nil {
				for i, kv := range m.ColumnMapping {
					if own {
						kv.Key = ren(kv.Key)
					}
					if m.RemoteTable.QualifiedName == table {
						kv.Value = ren(kv.Value)
					}
					m.ColumnMapping[i] = kv
				}
				continue
			}
			fk, err := r.Using.ForeignKey()
			if err != nil {
				continue
			}
			if (fk.Table == nil && own) || (fk.Table != nil && *fk.Table == table) {
				changed := false
				for i, c := range fk.Columns {
					if c == old {
						fk.Columns[i] = new
						changed = true
					}
				}
				if changed {
					r.Using.ForeignKeyConstraintOn = encodeForeignKey(r.Using.ForeignKeyConstraintOn, fk)
				}
			}
		}
		if !own {
			continue
		}
		renCols := func(c *Columns) {
			for i, n := range c.Names {
				c.Names[i] = ren(n)
			}
		}
		renSet := func(set map[string]any) map[string]any {
			if v, ok := set[old]; ok {
				delete(set, old)
				set[new] = v
			}
			return set
		}
		for _, p := range t.SelectPermissions {
			renCols(&p.Permission.Columns)
		}
		for _, p := range t.InsertPermissions {
			renCols(&p.Permission.Columns)
			p.Permission.Set = renSet(p.Permission.Set)
		}
		for _, p := range t.UpdatePermissions {
			renCols(&p.Permission.Columns)
			p.Permission.Set = renSet(p.Permission.Set)
		}
		if c := t.Configuration; c != nil {
			if cc, ok := c.ColumnConfig[old]; ok {
				delete(c.ColumnConfig, old)
				c.ColumnConfig[new] = cc
			}
			if n, ok := c.CustomColumnNames[old]; ok {
				delete(c.CustomColumnNames, old)
				c.CustomColumnNames[new] = n
			}
		}
	}
}

// DropColumnConfig removes the custom names and comments of dropped
// columns (Hasura's removeDroppedColumnsFromMetadataField).
func DropColumnConfig(md *Metadata, source string, table catalog.QualifiedName, columns []string) {
	_, t, err := md.tableOf(source, table)
	if err != nil || t.Configuration == nil {
		return
	}
	for _, c := range columns {
		delete(t.Configuration.ColumnConfig, c)
		delete(t.Configuration.CustomColumnNames, c)
	}
	if t.Configuration.isEmpty() {
		t.Configuration = nil
	}
}

// encodeForeignKey writes fk in the form of orig: a column name, a list of
// names, or {"table", "column"|"columns"}.
func encodeForeignKey(orig json.RawMessage, fk ForeignKeyOn) json.RawMessage {
	b := bytes.TrimSpace(orig)
	if len(b) > 0 && b[0] == '"' && len(fk.Columns) == 1 {
		return mustJSON(fk.Columns[0])
	}
	if len(b) > 0 && b[0] == '[' {
		return mustJSON(fk.Columns)
	}
	fs, _ := decodeObject(orig)
	var out []field
	for _, f := range fs {
		switch f.Key {
		case "table":
			out = append(out, field{Key: "table", Value: mustJSON(TableName{*fk.Table})})
		case "column":
			if len(fk.Columns) > 0 {
				out = append(out, field{Key: "column", Value: mustJSON(fk.Columns[0])})
			}
		case "columns":
			out = append(out, field{Key: "columns", Value: mustJSON(fk.Columns)})
		default:
			out = append(out, f)
		}
	}
	return encodeObject(out)
}
