package schema

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/metadata"
)

// Note [inherited role columns]
//
// An inherited role's select permission on a table is the union of its
// parents' (hasura/graphql-engine: server/src-lib/Hasura/RQL/Types/Roles/Internal.hs
// rolePermInfoToCombineRolePermInfo, Table/Cache.hs
// combinedSelPermInfoToSelPermInfo): the row filter is the OR of the
// parents' filters, and each column is visible in a row when a parent that
// includes it may see the row, so its condition is the OR of those
// parents' filters. A column every parent with a select permission
// includes needs no condition (nil). A parent that is itself inherited
// contributes its whole row filter, not its column conditions, as in
// Hasura. limit is the largest limit a parent sets (a parent without one
// does not lift it), aggregations are allowed if any parent allows them,
// and root fields are the union (all, if a parent allows all).
//
// Insert, update and delete permissions are inherited only when every
// parent that has one has the same one (AND and OR compared as sets);
// otherwise the role gets none on that table and an "inherited role
// permission inconsistency" is reported. A permission defined directly on
// the inherited role wins over what it would inherit.

// inheritedRole is a consistent inherited role.
type inheritedRole struct {
	name    string
	parents []string
}

// buildInheritedRoles runs phase 4 (Note [building the model]).
func (b *builder) buildInheritedRoles() {
	md := b.in.Metadata
	if md == nil || len(md.InheritedRoles) == 0 {
		return
	}
	// Every role the metadata names (Hasura's allRoles).
	all := map[string]bool{}
	for _, mt := range b.src.Tables {
		for _, p := range mt.SelectPermissions {
			all[p.Role] = true
		}
		for _, p := range mt.InsertPermissions {
			all[p.Role] = true
		}
		for _, p := range mt.UpdatePermissions {
			all[p.Role] = true
		}
		for _, p := range mt.DeletePermissions {
			all[p.Role] = true
		}
	}
	for _, f := range b.src.Functions {
		for _, p := range f.Permissions {
			all[p.Role] = true
		}
	}
	inherited := map[string]*metadata.InheritedRole{}
	for _, ir := range md.InheritedRoles {
		all[ir.RoleName] = true
		inherited[ir.RoleName] = ir
	}

	def := func(ir *metadata.InheritedRole) any {
		return map[string]any{"role_name": ir.RoleName, "role_set": ir.RoleSet}
	}
	// Missing parents (resolveInheritedRole).
	ok := map[string]bool{}
	for _, ir := range md.InheritedRoles {
		var missing []string
		for _, p := range ir.RoleSet {
			if !all[p] {
				missing = append(missing, p)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			b.fail(metadata.InheritedRoleID(ir.RoleName),
				fmt.Sprintf("the following parent role(s) are not found: %s which are required to construct the inherited role: %q",
					strings.Join(missing, ", "), ir.RoleName), def(ir))
			continue
		}
		ok[ir.RoleName] = true
	}

	// Order parents first (orderRoles); roles on a cycle are inconsistent.
	state := map[string]int{} // 0 new, 1 visiting, 2 done
	var order []string
	var cyclic = map[string]string{}
	var visit func(r string, path []string)
	visit = func(r string, path []string) {
		ir, isInherited := inherited[r]
		if !isInherited || state[r] == 2 {
			return
		}
		if state[r] == 1 {
			// A cycle: from r's first occurrence on the path back to r.
			i := len(path) - 1
			for i >= 0 && path[i] != r {
				i--
			}
			cycle := append(append([]string(nil), path[i:]...), r)
			quotedNames := make([]string, len(cycle))
			for j, c := range cycle {
				quotedNames[j] = fmt.Sprintf("%q", c)
			}
			text := "[" + strings.Join(quotedNames, ",") + "]"
			for _, c := range cycle {
				if _, seen := cyclic[c]; !seen {
					cyclic[c] = text
				}
			}
			return
		}
		state[r] = 1
		for _, p := range ir.RoleSet {
			visit(p, append(path, r))
		}
		state[r] = 2
		order = append(order, r)
	}
	for _, ir := range md.InheritedRoles {
		visit(ir.RoleName, nil)
	}
	for _, ir := range md.InheritedRoles {
		if text, bad := cyclic[ir.RoleName]; bad && ok[ir.RoleName] {
			b.fail(metadata.InheritedRoleID(ir.RoleName), "found cycle(s) in roles: "+text, def(ir))
			ok[ir.RoleName] = false
		}
	}
	// A parent that is an inconsistent inherited role is missing in turn
	// (the SORole dependency).
	for _, r := range order {
		if !ok[r] {
			continue
		}
		for _, p := range inherited[r].RoleSet {
			if _, isInherited := inherited[p]; isInherited && !ok[p] {
				ir := inherited[r]
				b.fail(metadata.InheritedRoleID(r), fmt.Sprintf("parent role %q does not exist", p), def(ir))
				ok[r] = false
				break
			}
		}
	}
	for _, r := range order {
		if ok[r] {
			ir := inherited[r]
			b.roleOrder = append(b.roleOrder, inheritedRole{name: r, parents: ir.RoleSet})
			b.m.InheritedRoles[r] = append([]string(nil), ir.RoleSet...)
		}
	}

	for _, ts := range b.order {
		for _, ir := range b.roleOrder {
			b.inheritTable(ts, ir)
		}
	}
}

// inheritTable resolves ir's permissions on one table.
func (b *builder) inheritTable(ts *tableState, ir inheritedRole) {
	t := ts.t
	if _, explicit := t.Select[ir.name]; !explicit {
		if p := combineSelect(t, ir.parents); p != nil {
			t.Select[ir.name] = p
		}
	}
	conflict := func(permType string) {
		b.report(metadata.NewInheritedRoleConflict(ir.name, b.in.Source, t.Name, permType))
	}
	if _, explicit := t.Insert[ir.name]; !explicit {
		var got *InsertPerm
		bad := false
		for _, p := range ir.parents {
			q, ok := t.Insert[p]
			if !ok || bad {
				continue
			}
			if got == nil {
				got = q
			} else if !sameInsert(got, q) {
				bad = true
			}
		}
		if bad {
			conflict("insert")
		} else if got != nil {
			t.Insert[ir.name] = got
		}
	}
	if _, explicit := t.Update[ir.name]; !explicit {
		var got *UpdatePerm
		bad := false
		for _, p := range ir.parents {
			q, ok := t.Update[p]
			if !ok || bad {
				continue
			}
			if got == nil {
				got = q
			} else if !sameUpdate(got, q) {
				bad = true
			}
		}
		if bad {
			conflict("update")
		} else if got != nil {
			t.Update[ir.name] = got
		}
	}
	if _, explicit := t.Delete[ir.name]; !explicit {
		var got *DeletePerm
		bad := false
		for _, p := range ir.parents {
			q, ok := t.Delete[p]
			if !ok || bad {
				continue
			}
			if got == nil {
				got = q
			} else if !sameDelete(got, q) {
				bad = true
			}
		}
		if bad {
			conflict("delete")
		} else if got != nil {
			t.Delete[ir.name] = got
		}
	}
}

// combineSelect combines the parents' select permissions on t (Note
// [inherited role columns]); nil when no parent has one.
func combineSelect(t *Table, parents []string) *SelectPerm {
	var perms []*SelectPerm
	for _, p := range parents {
		if sp, ok := t.Select[p]; ok {
			perms = append(perms, sp)
		}
	}
	if len(perms) == 0 {
		return nil
	}
	out := &SelectPerm{Columns: map[string]boolexp.Expr{}, ComputedFields: map[string]boolexp.Expr{}}
	filters := make(boolexp.Or, len(perms))
	colFilters := map[string]boolexp.Or{}
	cfFilters := map[string]boolexp.Or{}
	colAlways := map[string]int{}
	cfAlways := map[string]int{}
	// A parent shows a column on the rows its filter admits, or, when the
	// parent is itself inherited, only where its own column condition holds
	// (queries/graphql_query/permissions/roles_inheritance).
	visible := func(cond, filter boolexp.Expr) boolexp.Expr {
		if cond != nil {
			return cond
		}
		return filter
	}
	allQuery, allSub := false, false
	for i, sp := range perms {
		filters[i] = sp.Filter
		for c, cond := range sp.Columns {
			colFilters[c] = append(colFilters[c], visible(cond, sp.Filter))
			if cond == nil {
				colAlways[c]++
			}
		}
		for c, cond := range sp.ComputedFields {
			cfFilters[c] = append(cfFilters[c], visible(cond, sp.Filter))
			if cond == nil {
				cfAlways[c]++
			}
		}
		if sp.Limit > out.Limit {
			out.Limit = sp.Limit
		}
		out.AllowAggregations = out.AllowAggregations || sp.AllowAggregations
		allQuery = allQuery || sp.QueryRootFields == nil
		allSub = allSub || sp.SubscriptionRootFields == nil
	}
	out.Filter = filters
	merge := func(dst map[string]boolexp.Expr, src map[string]boolexp.Or, always map[string]int) {
		for c, fs := range src {
			if always[c] == len(perms) {
				dst[c] = nil
			} else {
				dst[c] = fs
			}
		}
	}
	merge(out.Columns, colFilters, colAlways)
	merge(out.ComputedFields, cfFilters, cfAlways)
	if !allQuery {
		out.QueryRootFields = map[string]bool{}
		for _, sp := range perms {
			for f := range sp.QueryRootFields {
				out.QueryRootFields[f] = true
			}
		}
	}
	if !allSub {
		out.SubscriptionRootFields = map[string]bool{}
		for _, sp := range perms {
			for f := range sp.SubscriptionRootFields {
				out.SubscriptionRootFields[f] = true
			}
		}
	}
	out.SessionVars = selectSessionVars(out)
	return out
}

func sameInsert(a, b *InsertPerm) bool {
	return reflect.DeepEqual(a.Columns, b.Columns) && sameExpr(a.Check, b.Check) &&
		reflect.DeepEqual(a.Set, b.Set) && a.BackendOnly == b.BackendOnly &&
		reflect.DeepEqual(a.SessionVars, b.SessionVars)
}

func sameUpdate(a, b *UpdatePerm) bool {
	return reflect.DeepEqual(a.Columns, b.Columns) && sameExpr(a.Filter, b.Filter) &&
		(a.Check == nil) == (b.Check == nil) && (a.Check == nil || sameExpr(a.Check, b.Check)) &&
		reflect.DeepEqual(a.Set, b.Set) && a.BackendOnly == b.BackendOnly &&
		reflect.DeepEqual(a.SessionVars, b.SessionVars)
}

func sameDelete(a, b *DeletePerm) bool {
	return sameExpr(a.Filter, b.Filter) && a.BackendOnly == b.BackendOnly &&
		reflect.DeepEqual(a.SessionVars, b.SessionVars)
}
