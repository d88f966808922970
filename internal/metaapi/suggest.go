package metaapi

import (
	"encoding/json"
	"sort"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// suggestRelationships is pg_suggest_relationships: for every foreign key
// between the given tables (all tables by default), an object relationship
// from the referencing table and an array (or, when the referencing columns
// are unique, object) relationship back (hasura/graphql-engine:
// server/src-lib/Hasura/RQL/DDL/Relationship/Suggest.hs).
func suggestRelationships(md *metadata.Metadata, cat *catalog.Catalog, r request) (json.RawMessage, error) {
	var a struct {
		Source      string               `json:"source"`
		Tables      []metadata.TableName `json:"tables"`
		OmitTracked bool                 `json:"omit_tracked"`
	}
	if err := json.Unmarshal(r.argsOrEmpty(), &a); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "%s", err.Error()).At(r.Path)
	}
	if a.Source == "" {
		a.Source = metadata.DefaultSource
	}
	src, ok := md.Source(a.Source)
	if !ok {
		return nil, apierr.New(apierr.NotExists, "source with name %q does not exist", a.Source).At(r.Path)
	}
	if cat == nil || a.Source != servedSource(md) {
		return nil, apierr.New(apierr.NotSupported, "source %q is not reachable", a.Source).At(r.Path)
	}
	wanted := map[catalog.QualifiedName]bool{}
	for _, t := range a.Tables {
		wanted[t.QualifiedName] = true
	}
	include := func(q catalog.QualifiedName) bool { return len(wanted) == 0 || wanted[q] }

	type end struct {
		Table          metadata.TableName `json:"table"`
		Columns        []string           `json:"columns"`
		ConstraintName *string            `json:"constraint_name,omitempty"`
	}
	type suggestion struct {
		Type string `json:"type"`
		From end    `json:"from"`
		To   end    `json:"to"`
	}
	tracked := func(from, to catalog.QualifiedName, cols []string, kind string) bool {
		t, ok := src.Table(from)
		if !ok {
			return false
		}
		rels := t.ObjectRelationships
		if kind == "array" {
			rels = t.ArrayRelationships
		}
		for _, rel := range rels {
			if target, ok := metadata.RelationshipTarget(t, rel, cat); ok && target == to {
				return true
			}
		}
		return false
	}
	names := make([]catalog.QualifiedName, 0, len(cat.Tables))
	for q := range cat.Tables {
		names = append(names, q)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].String() < names[j].String() })
	var out []suggestion
	for _, q := range names {
		t := cat.Tables[q]
		for _, fk := range t.ForeignKeys {
			if !include(q) && !include(fk.RefTable) {
				continue
			}
			cn := fk.Name
			if include(q) && !(a.OmitTracked && tracked(q, fk.RefTable, fk.Columns, "object")) {
				out = append(out, suggestion{Type: "object",
					From: end{Table: metadata.TableName{QualifiedName: q}, Columns: fk.Columns, ConstraintName: &cn},
					To:   end{Table: metadata.TableName{QualifiedName: fk.RefTable}, Columns: fk.RefColumns}})
			}
			back := "array"
			if isUnique(t, fk.Columns) {
				back = "object"
			}
			if include(fk.RefTable) && !(a.OmitTracked && tracked(fk.RefTable, q, fk.RefColumns, back)) {
				out = append(out, suggestion{Type: back,
					From: end{Table: metadata.TableName{QualifiedName: fk.RefTable}, Columns: fk.RefColumns},
					To:   end{Table: metadata.TableName{QualifiedName: q}, Columns: fk.Columns, ConstraintName: &cn}})
			}
		}
	}
	if out == nil {
		out = []suggestion{}
	}
	return mustJSON(map[string]any{"relationships": out}), nil
}

// isUnique reports whether cols are the primary key or a unique
// constraint of t.
func isUnique(t *catalog.Table, cols []string) bool {
	same := func(a, b []string) bool {
		if len(a) != len(b) {
			return false
		}
		m := map[string]bool{}
		for _, x := range a {
			m[x] = true
		}
		for _, x := range b {
			if !m[x] {
				return false
			}
		}
		return true
	}
	if t.PrimaryKey != nil && same(t.PrimaryKey.Columns, cols) {
		return true
	}
	for _, u := range t.UniqueConstraints {
		if same(u.Columns, cols) {
			return true
		}
	}
	return false
}

// sourceTables is pg_get_source_tables: every table of the source.
func sourceTables(md *metadata.Metadata, cat *catalog.Catalog, r request) (json.RawMessage, error) {
	var a struct {
		Source string `json:"source"`
	}
	_ = json.Unmarshal(r.argsOrEmpty(), &a)
	if a.Source == "" {
		a.Source = metadata.DefaultSource
	}
	if _, ok := md.Source(a.Source); !ok {
		return nil, apierr.New(apierr.NotExists, "source with name %q does not exist", a.Source).At(r.Path)
	}
	if cat == nil || a.Source != servedSource(md) {
		return nil, apierr.New(apierr.NotSupported, "source %q is not reachable", a.Source).At(r.Path)
	}
	names := make([]catalog.QualifiedName, 0, len(cat.Tables))
	for q := range cat.Tables {
		names = append(names, q)
	}
	sort.Slice(names, func(i, j int) bool { return names[i].String() < names[j].String() })
	return mustJSON(names), nil
}
