package plan

import (
	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// CursorVar names the variable that carries a streaming subscription's
// current cursor value. It is not a GraphQL name, so it never clashes with
// a variable of the document; package subscription binds it per cohort.
const CursorVar = "$cursor"

// Stream describes the root field <t>_stream(batch_size, cursor, where) of
// a streaming subscription (hasura/graphql-engine:
// Hasura/GraphQL/Schema/SubscriptionStream.hs).
//
// Note [streaming cursor]: the field's Select reads rows past the cursor,
// in cursor order, at most batch_size of them:
//
//	WHERE <perm> AND <where> AND "col" > $cursor   (< for DESC)
//	ORDER BY "col" [DESC] LIMIT batch_size
//
// where $cursor is the variable [CursorVar]. Each poll advances a cohort's
// cursor to the last row's value, so every row is delivered once. The
// initial value comes from the document (a literal or a variable) and is
// not part of the SQL: it is only the cursor's first value.
type Stream struct {
	// Column is the cursor column.
	Column boolexp.Column
	// Type is the operand type of Column (for encoding the initial value).
	Type boolexp.Type
	// Desc is set for ordering: DESC (the cursor decreases).
	Desc bool
	// Initial is the cursor's initial_value.
	Initial boolexp.Operand
}

// streamSelect plans <t>_stream and records it as the root's stream.
func (b *builder) streamSelect(t *schema.Table, args ast.ArgumentList, set ast.SelectionSet, path string) (*Select, error) {
	p, err := b.perm(t, path)
	if err != nil {
		return nil, err
	}
	s := &Select{Shape: Many, Table: t, Perm: permFilter(p), PermLimit: p.Limit}
	st := &Stream{}
	var where boolexp.And
	found := 0
	for _, a := range args {
		apath := path + ".args." + a.Name
		v := astVal(a.Value)
		switch a.Name {
		case "where":
			if b.isNull(v) {
				continue
			}
			w, err := b.boolExp(t, v, apath)
			if err != nil {
				return nil, err
			}
			if !boolexp.IsTrue(w) {
				where = append(where, w)
			}
		case "batch_size":
			if err := b.nonNegative(v, apath, kindNonNegative); err != nil {
				return nil, err
			}
			op := b.operand(v, intType)
			s.Limit = &op
		case "cursor":
			for _, item := range b.items(v) {
				if b.isNull(item) {
					continue
				}
				kvs, err := b.fields(item, apath)
				if err != nil {
					return nil, err
				}
				desc := false
				var initial []kv
				for _, e := range kvs {
					switch e.name {
					case "ordering":
						if b.isNull(e.v) {
							continue
						}
						o, _ := b.name(e.v)
						desc = o == "DESC"
					case "initial_value":
						initial, err = b.fields(e.v, apath+".initial_value")
						if err != nil {
							return nil, err
						}
					}
				}
				for _, iv := range initial {
					c, ok := t.ColumnByField(iv.name)
					if !ok {
						return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s'", iv.name, t.TypeName+"_stream_cursor_value_input").At(apath)
					}
					found++
					st.Column, st.Type, st.Desc = b.visible(t, c), c.Operand(), desc
					st.Initial = b.operand(iv.v, c.Operand())
				}
			}
		}
	}
	switch {
	case found == 0:
		return nil, apierr.New(apierr.ValidationFailed, "one streaming column field is expected").At(path + ".args.cursor")
	case found > 1:
		return nil, apierr.New(apierr.ValidationFailed, "multiple column cursors are not supported yet").At(path + ".args.cursor")
	}
	op := boolexp.OpGt
	if st.Desc {
		op = boolexp.OpLt
	}
	where = append(where, &boolexp.Compare{Column: st.Column, Op: op, Args: []boolexp.Operand{{Value: boolexp.Var{Name: CursorVar}, Type: st.Type}}})
	s.Where = where
	col := st.Column
	s.OrderBy = []OrderBy{{Column: &col, Desc: st.Desc, Type: st.Type}}
	s.Fields, err = b.rowFields(t, p, set, path)
	if err != nil {
		return nil, err
	}
	b.root.Stream = st
	return s, nil
}
