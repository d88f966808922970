package schema

import (
	"reflect"
	"sort"

	"github.com/graftql/graft/internal/boolexp"
)

// sessionVars returns the sorted session variables the expressions and
// presets reference.
func sessionVars(exprs []boolexp.Expr, set map[string]boolexp.Value) []string {
	seen := map[string]bool{}
	for _, e := range exprs {
		exprVars(e, seen)
	}
	for _, v := range set {
		valueVars(v, seen)
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

// selectSessionVars returns the session variables of a select permission's
// filter and column conditions.
func selectSessionVars(p *SelectPerm) []string {
	exprs := []boolexp.Expr{p.Filter}
	for _, e := range p.Columns {
		exprs = append(exprs, e)
	}
	for _, e := range p.ComputedFields {
		exprs = append(exprs, e)
	}
	return sessionVars(exprs, nil)
}

func valueVars(v boolexp.Value, seen map[string]bool) {
	if sv, ok := v.(boolexp.SessionVar); ok {
		seen[sv.Name] = true
	}
}

func compareVars(c *boolexp.Compare, seen map[string]bool) {
	for _, a := range c.Args {
		valueVars(a.Value, seen)
	}
}

func exprVars(e boolexp.Expr, seen map[string]bool) {
	switch x := e.(type) {
	case nil:
	case boolexp.And:
		for _, y := range x {
			exprVars(y, seen)
		}
	case boolexp.Or:
		for _, y := range x {
			exprVars(y, seen)
		}
	case boolexp.Not:
		exprVars(x.Expr, seen)
	case *boolexp.Compare:
		compareVars(x, seen)
	case *boolexp.ColumnCompare:
	case *boolexp.Relationship:
		exprVars(x.Where, seen)
		exprVars(x.Permission, seen)
	case *boolexp.Exists:
		exprVars(x.Where, seen)
	case *boolexp.AggregatePredicate:
		exprVars(x.Relationship.Where, seen)
		exprVars(x.Relationship.Permission, seen)
		for i := range x.Predicate {
			compareVars(&x.Predicate[i], seen)
		}
	case *boolexp.ComputedField:
		for i := range x.Ops {
			compareVars(&x.Ops[i], seen)
		}
		exprVars(x.Where, seen)
		exprVars(x.Permission, seen)
	}
}

// sameExpr compares two expressions as Hasura's OnlyRelevantEq does for
// inherited roles: the operands of AND and OR as sets, everything else
// exactly.
func sameExpr(a, b boolexp.Expr) bool {
	if boolexp.IsTrue(a) && boolexp.IsTrue(b) {
		return true
	}
	switch x := a.(type) {
	case boolexp.And:
		y, ok := b.(boolexp.And)
		return ok && sameSet(x, y)
	case boolexp.Or:
		y, ok := b.(boolexp.Or)
		return ok && sameSet(x, y)
	case boolexp.Not:
		y, ok := b.(boolexp.Not)
		return ok && sameExpr(x.Expr, y.Expr)
	}
	return reflect.DeepEqual(a, b)
}

func sameSet(a, b []boolexp.Expr) bool {
	contains := func(xs []boolexp.Expr, e boolexp.Expr) bool {
		for _, x := range xs {
			if sameExpr(x, e) {
				return true
			}
		}
		return false
	}
	for _, e := range a {
		if !contains(b, e) {
			return false
		}
	}
	for _, e := range b {
		if !contains(a, e) {
			return false
		}
	}
	return true
}
