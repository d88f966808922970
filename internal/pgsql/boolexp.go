package pgsql

import (
	"fmt"

	"github.com/graftql/graft/internal/boolexp"
)

// boolExpr compiles e over the row of alias; root is the alias that
// ["$", col] column comparisons refer to.
func (c *compiler) boolExpr(e boolexp.Expr, alias, root string) (Expr, error) {
	switch e := e.(type) {
	case nil:
		return And{}, nil
	case boolexp.And:
		out := make(And, 0, len(e))
		for _, x := range e {
			s, err := c.boolExpr(x, alias, root)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case boolexp.Or:
		out := make(Or, 0, len(e))
		for _, x := range e {
			s, err := c.boolExpr(x, alias, root)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case boolexp.Not:
		s, err := c.boolExpr(e.Expr, alias, root)
		if err != nil {
			return nil, err
		}
		return Not{Expr: s}, nil
	case *boolexp.Compare:
		lhs, err := c.column(e.Column, alias)
		if err != nil {
			return nil, err
		}
		if e.Cast != nil {
			lhs = Cast{Expr: lhs, Type: castType(*e.Cast)}
		}
		return c.compare(lhs, e.Op, e.Args)
	case *boolexp.ColumnCompare:
		other := alias
		if e.Root {
			other = root
		}
		return c.compareExprs(Col{Table: alias, Name: e.Column.Name}, e.Op, Col{Table: other, Name: e.Other.Name})
	case *boolexp.Relationship:
		inner := c.alias()
		where, err := c.relWhere(e, inner, alias, root)
		if err != nil {
			return nil, err
		}
		return Exists{Select: &Select{From: []FromItem{FromTable{Name: e.Target, Alias: inner}}, Where: where}}, nil
	case *boolexp.Exists:
		inner := c.alias()
		w, err := c.boolExpr(e.Where, inner, root)
		if err != nil {
			return nil, err
		}
		return Exists{Select: &Select{From: []FromItem{FromTable{Name: e.Table, Alias: inner}}, Where: w}}, nil
	case *boolexp.AggregatePredicate:
		return c.aggregatePredicate(e, alias)
	case *boolexp.ComputedField:
		return c.computedFieldExpr(e, alias)
	}
	return nil, fmt.Errorf("unknown boolean expression %T", e)
}

// relWhere is the WHERE of a relationship subquery: join, filter,
// permission. root is what ["$", col] refers to inside the filter.
func (c *compiler) relWhere(r *boolexp.Relationship, inner, outer, root string) (Expr, error) {
	var where And
	for _, m := range r.Mapping {
		where = append(where, &BinOp{Op: "=", L: Col{Table: inner, Name: m.Remote}, R: Col{Table: outer, Name: m.Local}})
	}
	if r.Where != nil && !boolexp.IsTrue(r.Where) {
		w, err := c.boolExpr(r.Where, inner, root)
		if err != nil {
			return nil, err
		}
		where = append(where, w)
	}
	if r.Permission != nil && !boolexp.IsTrue(r.Permission) {
		p, err := c.boolExpr(r.Permission, inner, inner)
		if err != nil {
			return nil, err
		}
		where = append(where, p)
	}
	return where, nil
}

var binOps = map[boolexp.Op]string{
	boolexp.OpEq: "=", boolexp.OpNeq: "<>", boolexp.OpGt: ">", boolexp.OpLt: "<", boolexp.OpGte: ">=", boolexp.OpLte: "<=",
	boolexp.OpLike: "LIKE", boolexp.OpNlike: "NOT LIKE", boolexp.OpIlike: "ILIKE", boolexp.OpNilike: "NOT ILIKE",
	boolexp.OpSimilar: "SIMILAR TO", boolexp.OpNsimilar: "NOT SIMILAR TO",
	boolexp.OpRegex: "~", boolexp.OpNregex: "!~", boolexp.OpIregex: "~*", boolexp.OpNiregex: "!~*",
	boolexp.OpContains: "@>", boolexp.OpContainedIn: "<@",
	boolexp.OpHasKey: "?", boolexp.OpHasKeysAny: "?|", boolexp.OpHasKeysAll: "?&",
	boolexp.OpAncestor: "@>", boolexp.OpDescendant: "<@", boolexp.OpMatches: "~", boolexp.OpMatchesAny: "?",
	boolexp.OpMatchesFulltext: "@",
}

var stFuncs = map[boolexp.Op]string{
	boolexp.OpSTContains: "ST_Contains", boolexp.OpSTCrosses: "ST_Crosses", boolexp.OpSTEquals: "ST_Equals",
	boolexp.OpSTIntersects: "ST_Intersects", boolexp.OpSTOverlaps: "ST_Overlaps", boolexp.OpSTTouches: "ST_Touches",
	boolexp.OpSTWithin: "ST_Within", boolexp.OpSTDWithin: "ST_DWithin",
	boolexp.OpSTIntersectsRast: "ST_Intersects", boolexp.OpSTIntersectsNbandGeom: "ST_Intersects",
	boolexp.OpSTIntersectsGeomNband: "ST_Intersects",
	boolexp.OpST3DIntersects:        "ST_3DIntersects", boolexp.OpST3DDWithin: "ST_3DDWithin",
}

// compare compiles lhs <op> operands.
func (c *compiler) compare(lhs Expr, op boolexp.Op, args []boolexp.Operand) (Expr, error) {
	if op == boolexp.OpIsNull {
		isNull := true
		if len(args) == 1 {
			if k, ok := args[0].Value.(boolexp.Const); ok {
				if b, ok := k.V.(bool); ok {
					isNull = b
				}
			}
		}
		return IsNull{Expr: lhs, Not: !isNull}, nil
	}
	rhs := make([]Expr, len(args))
	for i, a := range args {
		e, err := c.params.operand(a)
		if err != nil {
			return nil, err
		}
		rhs[i] = e
	}
	if name, ok := stFuncs[op]; ok {
		if (op == boolexp.OpSTDWithin || op == boolexp.OpST3DDWithin) && len(rhs) >= 2 {
			// Operands are (distance, from[, use_spheroid]); PostGIS takes
			// (geom, from, distance[, use_spheroid]).
			rhs = append([]Expr{rhs[1], rhs[0]}, rhs[2:]...)
		}
		return &Func{Name: name, Args: append([]Expr{lhs}, rhs...)}, nil
	}
	if len(rhs) != 1 {
		return nil, fmt.Errorf("operator %v takes one operand", op)
	}
	switch op {
	case boolexp.OpIn:
		return &Any{Op: "=", L: lhs, R: rhs[0]}, nil
	case boolexp.OpNin:
		return Not{Expr: &Any{Op: "=", L: lhs, R: rhs[0]}}, nil
	case boolexp.OpAncestorAny:
		return &Any{Op: "@>", L: lhs, R: rhs[0]}, nil
	case boolexp.OpDescendantAny:
		return &Any{Op: "<@", L: lhs, R: rhs[0]}, nil
	}
	return c.compareExprs(lhs, op, rhs[0])
}

func (c *compiler) compareExprs(lhs Expr, op boolexp.Op, rhs Expr) (Expr, error) {
	sqlOp, ok := binOps[op]
	if !ok {
		return nil, fmt.Errorf("operator %v cannot compare two values", op)
	}
	return &BinOp{Op: sqlOp, L: lhs, R: rhs}, nil
}

func (c *compiler) aggregatePredicate(e *boolexp.AggregatePredicate, alias string) (Expr, error) {
	inner := c.alias()
	where, err := c.relWhere(&e.Relationship, inner, alias, alias)
	if err != nil {
		return nil, err
	}
	var agg Expr
	switch {
	case e.Function == "count" && len(e.Columns) == 0:
		agg = CountStar{}
	default:
		args := make([]Expr, len(e.Columns))
		for i, col := range e.Columns {
			x, err := c.column(col, inner)
			if err != nil {
				return nil, err
			}
			args[i] = x
		}
		arg := Expr(RowExpr{Elems: args})
		if len(args) == 1 {
			arg = args[0]
		}
		agg = &Func{Name: e.Function, Args: []Expr{arg}, Distinct: e.Distinct}
	}
	sub := SubQuery{Select: &Select{
		Columns: []SelectItem{{Expr: agg}},
		From:    []FromItem{FromTable{Name: e.Relationship.Target, Alias: inner}},
		Where:   where,
	}}
	var out And
	for _, p := range e.Predicate {
		x, err := c.compare(sub, p.Op, p.Args)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func (c *compiler) computedFieldExpr(e *boolexp.ComputedField, alias string) (Expr, error) {
	args := make([]Expr, 0, e.NumArgs)
	for i := 0; i < e.NumArgs; i++ {
		switch i {
		case e.TableArg:
			args = append(args, TableRef{Alias: alias})
		case e.SessionArg:
			args = append(args, c.params.sessionExpr())
		}
	}
	call := &Func{Name: QualifiedName(e.Function), Args: args}
	if e.Table != nil {
		inner := c.alias()
		var where And
		if e.Where != nil {
			w, err := c.boolExpr(e.Where, inner, inner)
			if err != nil {
				return nil, err
			}
			where = append(where, w)
		}
		if e.Permission != nil {
			p, err := c.boolExpr(e.Permission, inner, inner)
			if err != nil {
				return nil, err
			}
			where = append(where, p)
		}
		return Exists{Select: &Select{From: []FromItem{&FromFunc{Func: call, Alias: inner}}, Where: where}}, nil
	}
	var out And
	for _, p := range e.Ops {
		var lhs Expr = call
		if p.Cast != nil {
			lhs = Cast{Expr: call, Type: castType(*p.Cast)}
		}
		x, err := c.compare(lhs, p.Op, p.Args)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
