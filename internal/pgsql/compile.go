package pgsql

import (
	"fmt"
	"strconv"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/plan"
)

// Statement is a compiled query: one SQL statement whose single result row
// holds, per database root field, that field's JSON value.
type Statement struct {
	SQL    string
	Params []ParamSpec
	// Fields[i] is the alias of the root field in result column i.
	Fields []string
}

// Note [query shape]: every select compiles to
//
//	SELECT coalesce(json_agg(<row object> ORDER BY <keys>), '[]')
//	FROM (SELECT * FROM <table> AS "_n" WHERE <join> AND <perm> AND <where>
//	      ORDER BY <keys> LIMIT <n> OFFSET <m>) AS "_n"
//
// and relationships are scalar subqueries of the same shape inside the row
// object, correlated on the parent's alias. PostgreSQL evaluates the row
// object (and so the nested subqueries) only for rows that survive the
// LIMIT. The inner query selects "*" so that a whole-row reference to the
// alias has the table's row type (computed fields take it as argument).
// The sort keys appear twice, in the inner ORDER BY (for LIMIT) and in
// json_agg, because a subquery's order is not guaranteed to reach the
// aggregate (Hasura does the same).

// Compile compiles the database root fields of root into one statement;
// it returns nil when no root field needs the database.
func Compile(root *plan.Root) (*Statement, error) {
	c := &compiler{}
	st := &Statement{}
	sel := &Select{}
	for _, f := range root.Fields {
		if f.Select == nil {
			continue
		}
		q, err := c.selectJSON(f.Select, "")
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
		}
		sel.Columns = append(sel.Columns, SelectItem{Expr: SubQuery{Select: q}, Alias: f.Alias})
		st.Fields = append(st.Fields, f.Alias)
	}
	if len(sel.Columns) == 0 {
		return nil, nil
	}
	sql, err := c.print(sel)
	if err != nil {
		return nil, err
	}
	st.SQL, st.Params = sql, c.params.specs
	return st, nil
}

type compiler struct {
	params params
	n      int
}

// print prints a statement of this compiler, checking its parameters.
func (c *compiler) print(s *Select) (string, error) {
	return printParams(s, 1, c.params.offset+len(c.params.specs))
}

// statement prints a statement with its parameter specs.
func (c *compiler) statement(s *Select) (*Statement, error) {
	sql, err := c.print(s)
	if err != nil {
		return nil, err
	}
	return &Statement{SQL: sql, Params: c.params.specs}, nil
}

func (c *compiler) alias() string {
	a := "_" + strconv.Itoa(c.n)
	c.n++
	return a
}

// selectJSON compiles s into a select returning one JSON value; parent is
// the alias of the parent row (for Join and row arguments), "" at the root.
func (c *compiler) selectJSON(s *plan.Select, parent string) (*Select, error) {
	if s.Shape == plan.Connection {
		return c.connectionJSON(s, parent)
	}
	alias := c.alias()
	var limitedNodes *plan.Select
	if s.Shape == plan.Aggregate && s.PermLimit > 0 && hasAggregateField(s) {
		// Note [permission limit and aggregates]: a role's limit caps the
		// nodes but not the aggregates (Hasura's PermissionLimitSubQuery);
		// the nodes then come from their own limited select.
		limitedNodes = s
		cp := *s
		cp.PermLimit = 0
		s = &cp
	}
	base, err := c.base(s, alias, parent)
	if err != nil {
		return nil, err
	}
	from := []FromItem{&FromSelect{Select: base, Alias: alias}}
	switch s.Shape {
	case plan.Many:
		obj, err := c.rowObject(s.Fields, alias)
		if err != nil {
			return nil, err
		}
		keys, err := c.orderItems(s, alias)
		if err != nil {
			return nil, err
		}
		return &Select{Columns: []SelectItem{{Expr: jsonArray(obj, keys)}}, From: from}, nil
	case plan.One:
		obj, err := c.rowObject(s.Fields, alias)
		if err != nil {
			return nil, err
		}
		return &Select{Columns: []SelectItem{{Expr: obj}}, From: from}, nil
	case plan.Aggregate:
		obj, err := c.aggregateObject(s, alias, parent, limitedNodes)
		if err != nil {
			return nil, err
		}
		return &Select{Columns: []SelectItem{{Expr: obj}}, From: from}, nil
	}
	return nil, fmt.Errorf("unknown shape %d", s.Shape)
}

func jsonArray(obj Expr, keys []OrderItem) Expr {
	return &Func{Name: "coalesce", Args: []Expr{&Func{Name: "json_agg", Args: []Expr{obj}, OrderBy: keys}, Cast{Expr: String{S: "[]"}, Type: "json"}}}
}

// base is the inner SELECT * of a select: source, filters, order, limits.
func (c *compiler) base(s *plan.Select, alias, parent string) (*Select, error) {
	from, err := c.source(s, alias, parent)
	if err != nil {
		return nil, err
	}
	where, err := c.filters(s, alias, parent)
	if err != nil {
		return nil, err
	}
	q := &Select{Columns: []SelectItem{{Expr: Star{}}}, From: from, Where: where}
	keys, err := c.orderItems(s, alias)
	if err != nil {
		return nil, err
	}
	// DISTINCT ON must repeat the leading ORDER BY expressions exactly
	// (plan checks that distinct_on prefixes order_by; without order_by the
	// keys are the distinct columns), parameters included: reuse them.
	for i := range s.DistinctOn {
		if i < len(keys) {
			q.DistinctOn = append(q.DistinctOn, keys[i].Expr)
		}
	}
	q.OrderBy = keys
	limit, err := c.limit(s)
	if err != nil {
		return nil, err
	}
	q.Limit = limit
	if s.Offset != nil {
		o, err := c.params.operand(*s.Offset)
		if err != nil {
			return nil, err
		}
		q.Offset = o
	}
	return q, nil
}

func (c *compiler) limit(s *plan.Select) (Expr, error) {
	var user Expr
	if s.Limit != nil {
		e, err := c.params.operand(*s.Limit)
		if err != nil {
			return nil, err
		}
		user = e
	}
	if s.Shape == plan.One && len(s.Join) > 0 {
		return Keyword("1"), nil
	}
	if s.PermLimit > 0 {
		perm, err := c.params.operand(boolexp.Operand{Value: boolexp.Const{V: int64(s.PermLimit)}, Type: boolexp.Type{SQL: "int4"}})
		if err != nil {
			return nil, err
		}
		if user == nil {
			return perm, nil
		}
		return &Func{Name: "least", Args: []Expr{user, perm}}, nil
	}
	return user, nil
}

// source is the FROM item of a select: its table or function, as alias.
func (c *compiler) source(s *plan.Select, alias, parent string) ([]FromItem, error) {
	if s.Function != nil {
		fn, err := c.call(s.Function, parent)
		if err != nil {
			return nil, err
		}
		return []FromItem{&FromFunc{Func: fn, Alias: alias}}, nil
	}
	return []FromItem{FromTable{Name: s.Table.Name, Alias: alias}}, nil
}

// filters is the WHERE of a select: the join to the parent row, the
// role's filter and the client's.
func (c *compiler) filters(s *plan.Select, alias, parent string) (Expr, error) {
	var where And
	for _, m := range s.Join {
		where = append(where, &BinOp{Op: "=", L: Col{Table: alias, Name: m.Remote}, R: Col{Table: parent, Name: m.Local}})
	}
	if s.Perm != nil {
		e, err := c.boolExpr(s.Perm, alias, alias)
		if err != nil {
			return nil, err
		}
		where = append(where, e)
	}
	if s.Where != nil {
		e, err := c.boolExpr(s.Where, alias, alias)
		if err != nil {
			return nil, err
		}
		where = append(where, e)
	}
	return where, nil
}

// orderItems are the sort keys of s over alias. With distinct_on and no
// order_by, rows are ordered by the distinct columns (DISTINCT ON needs it).
func (c *compiler) orderItems(s *plan.Select, alias string) ([]OrderItem, error) {
	var out []OrderItem
	if len(s.OrderBy) == 0 {
		for _, d := range s.DistinctOn {
			e, err := c.column(d, alias)
			if err != nil {
				return nil, err
			}
			out = append(out, OrderItem{Expr: e})
		}
		return out, nil
	}
	for _, ob := range s.OrderBy {
		e, err := c.orderExpr(ob, alias)
		if err != nil {
			return nil, err
		}
		out = append(out, OrderItem{Expr: e, Desc: ob.Desc, NullsFirst: ob.NullsFirst})
	}
	return out, nil
}

// orderExpr is the value a sort key sorts by, evaluated for a row of alias.
func (c *compiler) orderExpr(ob plan.OrderBy, alias string) (Expr, error) {
	if len(ob.Path) > 0 {
		step := ob.Path[0]
		rest := ob
		rest.Path = ob.Path[1:]
		inner := c.alias()
		e, err := c.orderExpr(rest, inner)
		if err != nil {
			return nil, err
		}
		where, err := c.joinWhere(step.Mapping, step.Perm, inner, alias)
		if err != nil {
			return nil, err
		}
		return SubQuery{Select: &Select{
			Columns: []SelectItem{{Expr: e}},
			From:    []FromItem{FromTable{Name: step.Target, Alias: inner}},
			Where:   where,
			Limit:   Keyword("1"),
		}}, nil
	}
	switch {
	case ob.Column != nil:
		return c.column(*ob.Column, alias)
	case ob.Computed != nil:
		return c.call(ob.Computed, alias)
	case ob.Agg != nil:
		inner := c.alias()
		where, err := c.joinWhere(ob.Agg.Rel.Mapping, ob.Agg.Rel.Perm, inner, alias)
		if err != nil {
			return nil, err
		}
		var agg Expr = CountStar{}
		if ob.Agg.Op != "count" {
			col, err := c.column(*ob.Agg.Column, inner)
			if err != nil {
				return nil, err
			}
			agg = &Func{Name: ob.Agg.Op, Args: []Expr{col}}
		}
		var from FromItem = FromTable{Name: ob.Agg.Rel.Target, Alias: inner}
		if ob.Agg.Computed != nil {
			fn, err := c.call(ob.Agg.Computed, alias)
			if err != nil {
				return nil, err
			}
			from = &FromFunc{Func: fn, Alias: inner}
		}
		return SubQuery{Select: &Select{
			Columns: []SelectItem{{Expr: agg}},
			From:    []FromItem{from},
			Where:   where,
		}}, nil
	}
	return nil, fmt.Errorf("empty order_by key")
}

// joinWhere joins alias (the remote table) to parent by mapping, adding perm.
func (c *compiler) joinWhere(mapping []boolexp.ColumnPair, perm boolexp.Expr, alias, parent string) (Expr, error) {
	var where And
	for _, m := range mapping {
		where = append(where, &BinOp{Op: "=", L: Col{Table: alias, Name: m.Remote}, R: Col{Table: parent, Name: m.Local}})
	}
	if perm != nil {
		e, err := c.boolExpr(perm, alias, alias)
		if err != nil {
			return nil, err
		}
		where = append(where, e)
	}
	return where, nil
}

// call compiles a function call; Row arguments pass the row of alias.
func (c *compiler) call(fc *plan.FunctionCall, alias string) (*Func, error) {
	f := &Func{Name: QualifiedName(fc.Name)}
	named := false
	for _, a := range fc.Args {
		var e Expr
		switch {
		case a.Row:
			e = TableRef{Alias: alias}
		case a.Session:
			e = c.params.sessionExpr()
		case a.Value != nil:
			v, err := c.params.operand(*a.Value)
			if err != nil {
				return nil, err
			}
			e = v
		}
		f.Args = append(f.Args, e)
		f.Named = append(f.Named, a.Name)
		if a.Name != "" {
			named = true
		}
	}
	if !named {
		f.Named = nil
	}
	return f, nil
}

// column is a column reference of a row of alias, read as NULL where the
// role may not see it (boolexp.Column.Cond, inherited roles).
func (c *compiler) column(col boolexp.Column, alias string) (Expr, error) {
	ref := Col{Table: alias, Name: col.Name}
	if col.Cond == nil {
		return ref, nil
	}
	cond, err := c.boolExpr(col.Cond, alias, alias)
	if err != nil {
		return nil, err
	}
	return &Case{Whens: []When{{Cond: cond, Then: ref}}, Else: Keyword("NULL")}, nil
}

// maxObjectFields is how many fields json_build_object takes (100 arguments).
const maxObjectFields = 50

// rowObject builds the JSON object of a row's fields.
func (c *compiler) rowObject(fields []*plan.Field, alias string) (Expr, error) {
	keys := make([]string, 0, len(fields))
	vals := make([]Expr, 0, len(fields))
	for _, f := range fields {
		e, err := c.fieldExpr(f, alias)
		if err != nil {
			return nil, err
		}
		keys = append(keys, f.Alias)
		vals = append(vals, e)
	}
	return jsonObject(keys, vals, c.alias), nil
}

// jsonObject is json_build_object(k1, v1, ...), or for more fields than it
// takes, row_to_json of a one-row select with the keys as column aliases.
func jsonObject(keys []string, vals []Expr, newAlias func() string) Expr {
	if len(keys) <= maxObjectFields {
		args := make([]Expr, 0, 2*len(keys))
		for i, k := range keys {
			args = append(args, String{S: k}, vals[i])
		}
		return &Func{Name: "json_build_object", Args: args}
	}
	inner := &Select{}
	for i, k := range keys {
		inner.Columns = append(inner.Columns, SelectItem{Expr: vals[i], Alias: k})
	}
	a := newAlias()
	return &Func{Name: "row_to_json", Args: []Expr{SubQuery{Select: &Select{
		Columns: []SelectItem{{Expr: TableRef{Alias: a}}},
		From:    []FromItem{&FromSelect{Select: inner, Alias: a}},
	}}}}
}

func (c *compiler) fieldExpr(f *plan.Field, alias string) (Expr, error) {
	var e Expr
	switch f.Kind {
	case plan.FieldTypename:
		return String{S: f.Typename}, nil
	case plan.FieldColumn:
		var col Expr = Col{Table: alias, Name: f.Column.Name}
		if f.JSONPath != nil {
			p, err := c.params.operand(*f.JSONPath)
			if err != nil {
				return nil, err
			}
			col = &BinOp{Op: "#>", L: col, R: p}
		}
		e = output(col, f.Output)
	case plan.FieldComputed:
		call, err := c.call(f.Call, alias)
		if err != nil {
			return nil, err
		}
		e = output(call, f.Output)
	case plan.FieldRelayID:
		return relayID(f, alias), nil
	case plan.FieldObjectRel, plan.FieldArrayRel, plan.FieldArrayAgg, plan.FieldComputedSet, plan.FieldConnection:
		q, err := c.selectJSON(f.Select, alias)
		if err != nil {
			return nil, err
		}
		e = SubQuery{Select: q}
	default:
		return nil, fmt.Errorf("unexpected field kind %d in a row", f.Kind)
	}
	if f.Cond != nil {
		cond, err := c.boolExpr(f.Cond, alias, alias)
		if err != nil {
			return nil, err
		}
		e = &Case{Whens: []When{{Cond: cond, Then: e}}, Else: Keyword("NULL")}
	}
	return e, nil
}

// output converts a value for JSON output.
func output(e Expr, o plan.Output) Expr {
	switch o {
	case plan.OutputText:
		return Cast{Expr: e, Type: "text"}
	case plan.OutputGeoJSON:
		return Cast{Expr: &Func{Name: "ST_AsGeoJSON", Args: []Expr{e, Keyword("15"), Keyword("4")}}, Type: "json"}
	}
	return e
}

func hasAggregateField(s *plan.Select) bool {
	for _, f := range s.Fields {
		if f.Kind == plan.FieldAggregate {
			return true
		}
	}
	return false
}

// aggregateObject builds {aggregate, nodes, __typename} over the rows of
// alias; limitedNodes, when set, is the select whose permission limit the
// nodes must honour on their own.
func (c *compiler) aggregateObject(s *plan.Select, alias, parent string, limitedNodes *plan.Select) (Expr, error) {
	var keys []string
	var vals []Expr
	for _, f := range s.Fields {
		var e Expr
		switch f.Kind {
		case plan.FieldTypename:
			e = String{S: f.Typename}
		case plan.FieldNodes:
			if limitedNodes != nil {
				nodes := *limitedNodes
				nodes.Shape, nodes.Fields = plan.Many, f.Children
				q, err := c.selectJSON(&nodes, parent)
				if err != nil {
					return nil, err
				}
				e = SubQuery{Select: q}
				break
			}
			obj, err := c.rowObject(f.Children, alias)
			if err != nil {
				return nil, err
			}
			okeys, err := c.orderItems(s, alias)
			if err != nil {
				return nil, err
			}
			e = jsonArray(obj, okeys)
		case plan.FieldAggregate:
			obj, err := c.aggregateFields(f.Children, alias)
			if err != nil {
				return nil, err
			}
			e = obj
		default:
			return nil, fmt.Errorf("unexpected field kind %d in an aggregate", f.Kind)
		}
		keys = append(keys, f.Alias)
		vals = append(vals, e)
	}
	return jsonObject(keys, vals, c.alias), nil
}

func (c *compiler) aggregateFields(fields []*plan.Field, alias string) (Expr, error) {
	var keys []string
	var vals []Expr
	for _, f := range fields {
		var e Expr
		switch f.Kind {
		case plan.FieldTypename:
			e = String{S: f.Typename}
		case plan.FieldCount:
			switch len(f.CountColumns) {
			case 0:
				e = CountStar{}
			default:
				args := make([]Expr, len(f.CountColumns))
				for i, col := range f.CountColumns {
					e, err := c.column(col, alias)
					if err != nil {
						return nil, err
					}
					args[i] = e
				}
				arg := args[0]
				if len(args) > 1 {
					arg = RowExpr{Elems: args}
				}
				e = &Func{Name: "count", Args: []Expr{arg}, Distinct: f.CountDistinct}
			}
		case plan.FieldAggOp:
			var okeys []string
			var ovals []Expr
			for _, ch := range f.Children {
				var v Expr
				if ch.Kind == plan.FieldTypename {
					v = String{S: ch.Typename}
				} else {
					var col Expr = Col{Table: alias, Name: ch.Column.Name}
					if ch.Cond != nil {
						cond, err := c.boolExpr(ch.Cond, alias, alias)
						if err != nil {
							return nil, err
						}
						col = &Case{Whens: []When{{Cond: cond, Then: col}}, Else: Keyword("NULL")}
					}
					v = output(&Func{Name: f.AggOp, Args: []Expr{col}}, ch.Output)
				}
				okeys = append(okeys, ch.Alias)
				ovals = append(ovals, v)
			}
			e = jsonObject(okeys, ovals, c.alias)
		default:
			return nil, fmt.Errorf("unexpected field kind %d in aggregate fields", f.Kind)
		}
		keys = append(keys, f.Alias)
		vals = append(vals, e)
	}
	return jsonObject(keys, vals, c.alias), nil
}
