package plan

import (
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
)

// Tables is a set of tables a plan reads or writes. Unknown is set when
// the plan calls a function, whose tables cannot be known.
type Tables struct {
	Names   map[catalog.QualifiedName]bool
	Unknown bool
}

// Overlaps reports whether a write to w may change what t reads.
func (t Tables) Overlaps(w Tables) bool {
	if t.Unknown || w.Unknown {
		return true
	}
	for n := range w.Names {
		if t.Names[n] {
			return true
		}
	}
	return false
}

func (t *Tables) add(q catalog.QualifiedName) {
	if t.Names == nil {
		t.Names = map[catalog.QualifiedName]bool{}
	}
	t.Names[q] = true
}

// Reads returns the tables the plan's queries read: selected tables,
// relationships, filters and sort keys.
func (r *Root) Reads() Tables {
	var t Tables
	for _, f := range r.Fields {
		if f.Select != nil {
			t.selectReads(f.Select)
		}
		if f.Mutation != nil {
			t.Unknown = true // a mutation's output may read anything; not a live query
		}
	}
	return t
}

// Writes returns the tables the plan's mutations write (a function called
// as a mutation may write anything).
func (r *Root) Writes() Tables {
	var t Tables
	for _, f := range r.Fields {
		switch {
		case f.Mutation != nil:
			t.add(f.Mutation.Table.Name)
			for _, o := range f.Mutation.Objects {
				t.insertWrites(o)
			}
		case f.Select != nil && f.Select.Function != nil:
			t.Unknown = true
		}
	}
	return t
}

func (t *Tables) insertWrites(o *InsertObject) {
	t.add(o.Table.Name)
	for _, n := range append(append([]*NestedInsert(nil), o.ObjectRels...), o.ArrayRels...) {
		for _, c := range n.Objects {
			t.insertWrites(c)
		}
	}
}

func (t *Tables) selectReads(s *Select) {
	t.add(s.Table.Name)
	if s.Function != nil {
		t.Unknown = true
	}
	t.exprReads(s.Perm)
	t.exprReads(s.Where)
	for _, ob := range s.OrderBy {
		for _, st := range ob.Path {
			t.add(st.Target)
			t.exprReads(st.Perm)
		}
		if ob.Agg != nil {
			t.add(ob.Agg.Rel.Target)
			t.exprReads(ob.Agg.Rel.Perm)
			if ob.Agg.Computed != nil {
				t.Unknown = true
			}
		}
		if ob.Computed != nil {
			t.Unknown = true
		}
	}
	t.fieldsReads(s.Fields)
}

func (t *Tables) fieldsReads(fields []*Field) {
	for _, f := range fields {
		if f.Select != nil {
			t.selectReads(f.Select)
		}
		if f.Call != nil {
			t.Unknown = true
		}
		t.exprReads(f.Cond)
		t.fieldsReads(f.Children)
	}
}

func (t *Tables) exprReads(e boolexp.Expr) {
	switch e := e.(type) {
	case boolexp.And:
		for _, x := range e {
			t.exprReads(x)
		}
	case boolexp.Or:
		for _, x := range e {
			t.exprReads(x)
		}
	case boolexp.Not:
		t.exprReads(e.Expr)
	case *boolexp.Relationship:
		t.add(e.Target)
		t.exprReads(e.Where)
		t.exprReads(e.Permission)
	case *boolexp.Exists:
		t.add(e.Table)
		t.exprReads(e.Where)
	case *boolexp.AggregatePredicate:
		t.add(e.Relationship.Target)
		t.exprReads(e.Relationship.Where)
		t.exprReads(e.Relationship.Permission)
	case *boolexp.ComputedField:
		t.Unknown = true
	}
}
