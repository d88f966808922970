package pgsql

import (
	"fmt"

	"github.com/graftql/graft/internal/plan"
)

// Note [connection shape]: a Relay connection (plan Note [Relay])
// compiles to
//
//	WITH "b" AS (SELECT "_n" AS "__r", <cursor> AS "__c", <keys> AS "__k0"...,
//	               row_number() OVER (ORDER BY <keys>) AS "__rn"
//	             FROM <table> AS "_n" WHERE <join, perm, where>),
//	     "s" AS (SELECT * FROM "b" WHERE <after/before split>),
//	     "f" AS (<first/last slice of "s" by __rn>)
//	SELECT json_build_object('edges', ..., 'pageInfo', ...)
//
// "__r" keeps the whole row with the table's own row type, so a node's
// columns and computed fields read it like a table row (through a LATERAL
// expansion). hasNextPage/hasPreviousPage ask whether "b" has rows past
// the slice, as Hasura's connectionToSelectWith does.

func (c *compiler) connectionJSON(s *plan.Select, parent string) (*Select, error) {
	n := c.alias()
	base, split, final := n+"_b", n+"_s", n+"_f"

	from, err := c.source(s, n, parent)
	if err != nil {
		return nil, err
	}
	where, err := c.filters(s, n, parent)
	if err != nil {
		return nil, err
	}
	keys, err := c.orderItems(s, n)
	if err != nil {
		return nil, err
	}
	cursor, err := c.cursorObject(s.OrderBy, n)
	if err != nil {
		return nil, err
	}
	b := &Select{
		Columns: []SelectItem{{Expr: TableRef{Alias: n}, Alias: "__r"}, {Expr: cursor, Alias: "__c"}},
		From:    from,
		Where:   where,
		OrderBy: keys,
	}
	for i, k := range keys {
		b.Columns = append(b.Columns, SelectItem{Expr: k.Expr, Alias: fmt.Sprintf("__k%d", i)})
	}
	b.Columns = append(b.Columns, SelectItem{Expr: Raw("row_number() OVER (ORDER BY " + orderText(keys) + ")"), Alias: "__rn"})
	for i := range s.DistinctOn {
		if i < len(keys) {
			b.DistinctOn = append(b.DistinctOn, keys[i].Expr) // as in base: the same expressions as ORDER BY
		}
	}
	if s.PermLimit > 0 {
		lim, err := c.limit(s)
		if err != nil {
			return nil, err
		}
		b.Limit = lim
	}

	sp := &Select{Columns: []SelectItem{{Expr: Star{}}}, From: []FromItem{FromName{Name: base}}}
	if len(s.Conn.Split) > 0 {
		cond, err := c.splitCond(s, keys, 0)
		if err != nil {
			return nil, err
		}
		sp.Where = cond
	}

	rn := Col{Name: "__rn"}
	var fin *Select
	switch {
	case s.Conn.First != nil:
		lim, err := c.params.operand(*s.Conn.First)
		if err != nil {
			return nil, err
		}
		fin = &Select{Columns: []SelectItem{{Expr: Star{}}}, From: []FromItem{FromName{Name: split}}, OrderBy: []OrderItem{{Expr: rn}}, Limit: lim}
	case s.Conn.Last != nil:
		lim, err := c.params.operand(*s.Conn.Last)
		if err != nil {
			return nil, err
		}
		inner := &Select{Columns: []SelectItem{{Expr: Star{}}}, From: []FromItem{FromName{Name: split}}, OrderBy: []OrderItem{{Expr: rn, Desc: true, NullsFirst: true}}, Limit: lim}
		fin = &Select{Columns: []SelectItem{{Expr: Star{}}}, From: []FromItem{&FromSelect{Select: inner, Alias: n + "_l"}}}
	default:
		fin = &Select{Columns: []SelectItem{{Expr: Star{}}}, From: []FromItem{FromName{Name: split}}}
	}

	var okeys []string
	var ovals []Expr
	for _, f := range s.Fields {
		var e Expr
		switch f.Kind {
		case plan.FieldTypename:
			e = String{S: f.Typename}
		case plan.FieldEdges:
			e, err = c.edges(f, final, n)
		case plan.FieldPageInfo:
			e, err = c.pageInfo(f, base, final)
		default:
			err = fmt.Errorf("unexpected field kind %d in a connection", f.Kind)
		}
		if err != nil {
			return nil, err
		}
		okeys = append(okeys, f.Alias)
		ovals = append(ovals, e)
	}
	return &Select{
		With:    []CTE{{Name: base, Select: b}, {Name: split, Select: sp}, {Name: final, Select: fin}},
		Columns: []SelectItem{{Expr: jsonObject(okeys, ovals, c.alias)}},
	}, nil
}

// orderText prints sort keys for a window's ORDER BY.
func orderText(keys []OrderItem) string {
	if len(keys) == 0 {
		return "1"
	}
	var p printer
	p.orderBy(keys)
	return p.b.String()
}

// splitCond keeps the rows past the cursor: (k0 > v0) OR (k0 = v0 AND ((k1 > v1) OR ...)).
func (c *compiler) splitCond(s *plan.Select, keys []OrderItem, i int) (Expr, error) {
	if i >= len(keys) || i >= len(s.Conn.Split) {
		return Keyword("false"), nil
	}
	v, err := c.params.operand(s.Conn.Split[i])
	if err != nil {
		return nil, err
	}
	k := Col{Name: fmt.Sprintf("__k%d", i)}
	op := ">"
	if keys[i].Desc != s.Conn.Before {
		op = "<"
	}
	rest, err := c.splitCond(s, keys, i+1)
	if err != nil {
		return nil, err
	}
	return Or{&BinOp{Op: op, L: k, R: v}, And{&BinOp{Op: "=", L: k, R: v}, rest}}, nil
}

// cursorObject builds the cursor JSON of a row of alias: the sort keys'
// values nested by their cursor paths.
func (c *compiler) cursorObject(obs []plan.OrderBy, alias string) (Expr, error) {
	type node struct {
		keys     []string
		children map[string]*node
		values   map[string]Expr
	}
	root := &node{children: map[string]*node{}, values: map[string]Expr{}}
	for _, ob := range obs {
		e, err := c.orderExpr(ob, alias)
		if err != nil {
			return nil, err
		}
		cur := root
		for i, p := range ob.CursorPath {
			if i == len(ob.CursorPath)-1 {
				if _, seen := cur.values[p]; !seen {
					if _, isChild := cur.children[p]; !isChild {
						cur.keys = append(cur.keys, p)
					}
				}
				cur.values[p] = e
				break
			}
			next, ok := cur.children[p]
			if !ok {
				next = &node{children: map[string]*node{}, values: map[string]Expr{}}
				cur.children[p] = next
				cur.keys = append(cur.keys, p)
			}
			cur = next
		}
	}
	var build func(n *node) Expr
	build = func(n *node) Expr {
		vals := make([]Expr, len(n.keys))
		for i, k := range n.keys {
			if ch, ok := n.children[k]; ok {
				vals[i] = build(ch)
			} else {
				vals[i] = n.values[k]
			}
		}
		return jsonObject(n.keys, vals, c.alias)
	}
	return build(root), nil
}

func base64Text(e Expr) Expr {
	enc := &Func{Name: "encode", Args: []Expr{&Func{Name: "convert_to", Args: []Expr{Cast{Expr: e, Type: "text"}, String{S: "UTF8"}}}, String{S: "base64"}}}
	return &Func{Name: "replace", Args: []Expr{enc, &Func{Name: "chr", Args: []Expr{Keyword("10")}}, String{S: ""}}}
}

// edges builds the edges array from the final rows.
func (c *compiler) edges(f *plan.Field, final, n string) (Expr, error) {
	row := n + "_e"
	fr := Col{Table: final, Name: "__r"}
	var keys []string
	var vals []Expr
	for _, ch := range f.Children {
		var e Expr
		switch ch.Kind {
		case plan.FieldTypename:
			e = String{S: ch.Typename}
		case plan.FieldCursor:
			e = base64Text(Col{Table: final, Name: "__c"})
		case plan.FieldNode:
			obj, err := c.rowObject(ch.Children, row)
			if err != nil {
				return nil, err
			}
			e = obj
		default:
			return nil, fmt.Errorf("unexpected field kind %d in edges", ch.Kind)
		}
		keys = append(keys, ch.Alias)
		vals = append(vals, e)
	}
	agg := jsonArray(jsonObject(keys, vals, c.alias), []OrderItem{{Expr: Col{Table: final, Name: "__rn"}}})
	expand := &Select{Columns: []SelectItem{{Expr: Raw("(" + PrintExpr(fr) + ").*")}}}
	return SubQuery{Select: &Select{
		Columns: []SelectItem{{Expr: agg}},
		From:    []FromItem{FromName{Name: final}, &FromSelect{Select: expand, Alias: row, Lateral: true}},
	}}, nil
}

// pageInfo builds the pageInfo object.
func (c *compiler) pageInfo(f *plan.Field, base, final string) (Expr, error) {
	rnOf := func(agg string) Expr {
		return SubQuery{Select: &Select{Columns: []SelectItem{{Expr: &Func{Name: agg, Args: []Expr{Col{Name: "__rn"}}}}}, From: []FromItem{FromName{Name: final}}}}
	}
	cursorAt := func(desc bool) Expr {
		return SubQuery{Select: &Select{
			Columns: []SelectItem{{Expr: base64Text(Col{Name: "__c"})}},
			From:    []FromItem{FromName{Name: final}},
			OrderBy: []OrderItem{{Expr: Col{Name: "__rn"}, Desc: desc, NullsFirst: desc}},
			Limit:   Keyword("1"),
		}}
	}
	var keys []string
	var vals []Expr
	for _, ch := range f.Children {
		var e Expr
		switch ch.Kind {
		case plan.FieldTypename:
			e = String{S: ch.Typename}
		case plan.FieldHasNextPage:
			e = &Func{Name: "coalesce", Args: []Expr{Exists{Select: &Select{From: []FromItem{FromName{Name: base}}, Where: &BinOp{Op: ">", L: Col{Name: "__rn"}, R: rnOf("max")}}}, Keyword("false")}}
		case plan.FieldHasPreviousPage:
			e = &Func{Name: "coalesce", Args: []Expr{Exists{Select: &Select{From: []FromItem{FromName{Name: base}}, Where: &BinOp{Op: "<", L: Col{Name: "__rn"}, R: rnOf("min")}}}, Keyword("false")}}
		case plan.FieldStartCursor:
			e = cursorAt(false)
		case plan.FieldEndCursor:
			e = cursorAt(true)
		default:
			return nil, fmt.Errorf("unexpected field kind %d in pageInfo", ch.Kind)
		}
		keys = append(keys, ch.Alias)
		vals = append(vals, e)
	}
	return jsonObject(keys, vals, c.alias), nil
}

// relayID is a row's node id: base64 of [1, schema, table, pk...].
func relayID(f *plan.Field, alias string) Expr {
	args := []Expr{Keyword("1"), String{S: f.RelayTable.Schema}, String{S: f.RelayTable.Name}}
	for _, k := range f.RelayKey {
		args = append(args, Col{Table: alias, Name: k.Name})
	}
	return base64Text(&Func{Name: "json_build_array", Args: args})
}
