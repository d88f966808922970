package pgsql

import (
	"fmt"
	"strconv"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
)

// Note [mutation statements]: a mutation root field compiles to one
// statement whose data-modifying CTEs write the rows, RETURNING every
// column plus the role's check as "__check"; the statement's row holds
// the field's JSON and bool_and of the checks, which exec verifies before
// COMMIT (Hasura's Note [Mutation output expression] in Translate/
// Returning.hs). The response reads the written rows from the CTE,
// projected onto the table's columns in order so that a row has the
// table's row type (computed fields take it).
//
// A nested insert needs two statements: a statement cannot see rows its
// own CTEs wrote, so `returning { articles }` after inserting an author
// with articles would miss them. The write statement then returns the
// root rows as JSON ({"rows": [...], "affected": n}) and a second
// statement builds the response from them with json_populate_recordset,
// after every nested row is in place (as Hasura's insert does).

// MutationStep is the SQL of one root field of a mutation.
type MutationStep struct {
	Alias string
	// Writes run in order. Each returns one row of two columns: the JSON
	// (the field's value, or with Respond the written rows) and the check.
	// update_many has one write per update and its value is the JSON array
	// of their results (List).
	Writes []*Statement
	List   bool
	// Respond, when set, builds the value from the write's JSON, bound as
	// its parameter with Written set.
	Respond *Statement
	// Checked is set when a write's check can be false; exec then reads
	// it before COMMIT.
	Checked bool
}

// CompileMutation compiles the database root fields of a mutation: one
// step per field, in order.
func CompileMutation(root *plan.Root) ([]*MutationStep, error) {
	var steps []*MutationStep
	for _, f := range root.Fields {
		switch {
		case f.Mutation != nil:
			st, err := compileMutationField(f.Alias, f.Mutation)
			if err != nil {
				return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
			}
			steps = append(steps, st)
		case f.Select != nil:
			c := &compiler{}
			q, err := c.selectJSON(f.Select, "")
			if err != nil {
				return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
			}
			sel := &Select{Columns: []SelectItem{{Expr: SubQuery{Select: q}}, {Expr: Keyword("true")}}}
			st, err := c.statement(sel)
			if err != nil {
				return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
			}
			steps = append(steps, &MutationStep{Alias: f.Alias, Writes: []*Statement{st}})
		}
	}
	return steps, nil
}

func compileMutationField(alias string, m *plan.Mutation) (*MutationStep, error) {
	st := &MutationStep{Alias: alias}
	switch m.Kind {
	case plan.Insert:
		c := &compiler{}
		w := &writer{c: c}
		if m.Nested() {
			write, err := w.nestedInsert(m)
			if err != nil {
				return nil, err
			}
			ws, err := c.statement(write)
			if err != nil {
				return nil, err
			}
			st.Writes = []*Statement{ws}
			rc := &compiler{params: params{specs: []ParamSpec{{Written: true}}}}
			resp, err := rc.respond(m)
			if err != nil {
				return nil, err
			}
			if st.Respond, err = rc.statement(resp); err != nil {
				return nil, err
			}
		} else {
			sel, err := w.insert(m)
			if err != nil {
				return nil, err
			}
			ws, err := c.statement(sel)
			if err != nil {
				return nil, err
			}
			st.Writes = []*Statement{ws}
		}
		st.Checked = w.checked
	case plan.Update:
		for _, u := range m.Updates {
			c := &compiler{}
			w := &writer{c: c}
			sel, err := w.update(m, u)
			if err != nil {
				return nil, err
			}
			ws, err := c.statement(sel)
			if err != nil {
				return nil, err
			}
			st.Writes = append(st.Writes, ws)
			st.Checked = st.Checked || w.checked
		}
		st.List = m.Output == plan.OutputResponses
	case plan.Delete:
		c := &compiler{}
		w := &writer{c: c}
		sel, err := w.delete(m)
		if err != nil {
			return nil, err
		}
		ws, err := c.statement(sel)
		if err != nil {
			return nil, err
		}
		st.Writes = []*Statement{ws}
	}
	return st, nil
}

// writer builds the CTEs of one write statement.
type writer struct {
	c       *compiler
	ctes    []CTE
	written []string // CTEs whose rows count as affected
	checks  []string // CTEs that carry a __check column
	checked bool
	n       int
}

func (w *writer) name(prefix string) string {
	s := prefix + strconv.Itoa(w.n)
	w.n++
	return s
}

const targetAlias = "_t"

// checkExpr is the RETURNING check column: the insert check, or for an
// upsert the insert check on inserted rows and the update check on
// updated ones (xmax = 0 marks a row this statement inserted).
func (w *writer) checkExpr(insertCheck boolexp.Expr, oc *plan.OnConflict) (Expr, error) {
	ins := Expr(Keyword("true"))
	if insertCheck != nil {
		e, err := w.c.boolExpr(insertCheck, targetAlias, targetAlias)
		if err != nil {
			return nil, err
		}
		ins = e
		w.checked = true
	}
	if oc == nil || oc.UpdateCheck == nil || len(oc.UpdateColumns) == 0 {
		return ins, nil
	}
	upd, err := w.c.boolExpr(oc.UpdateCheck, targetAlias, targetAlias)
	if err != nil {
		return nil, err
	}
	w.checked = true
	return &Case{Whens: []When{{Cond: &BinOp{Op: "=", L: Col{Table: targetAlias, Name: "xmax"}, R: Keyword("0")}, Then: ins}}, Else: upd}, nil
}

// insertCTE adds INSERT INTO t (...) VALUES (...) for objects; extra are
// column values computed from CTEs (a parent's mapped columns).
func (w *writer) insertCTE(t *schema.Table, objects []*plan.InsertObject, extra []ColumnExpr, oc *plan.OnConflict) (string, error) {
	// The union of the objects' columns, in table order; a missing one is DEFAULT.
	present := map[string]bool{}
	for _, o := range objects {
		for _, v := range o.Values {
			present[v.Column.Name] = true
		}
	}
	var cols []string
	for _, c := range t.Info.Columns {
		if present[c.Name] {
			cols = append(cols, c.Name)
		}
	}
	for _, e := range extra {
		cols = append(cols, e.Column)
	}
	if len(cols) == 0 && len(objects) > 1 {
		// VALUES needs a column; DEFAULT for the first one inserts all defaults.
		cols = []string{t.Info.Columns[0].Name}
	}
	var rows [][]Expr
	for _, o := range objects {
		byName := map[string]boolexp.Operand{}
		for _, v := range o.Values {
			byName[v.Column.Name] = v.Value
		}
		var row []Expr
		if len(cols) > 0 && len(present) == 0 && len(extra) == 0 {
			rows = append(rows, []Expr{Keyword("DEFAULT")})
			continue
		}
		for _, c := range cols[:len(cols)-len(extra)] {
			v, ok := byName[c]
			if !ok {
				row = append(row, Keyword("DEFAULT"))
				continue
			}
			e, err := w.c.params.operand(v)
			if err != nil {
				return "", err
			}
			row = append(row, e)
		}
		for _, e := range extra {
			row = append(row, e.Expr)
		}
		rows = append(rows, row)
	}
	var check boolexp.Expr
	if len(objects) > 0 {
		check = objects[0].Check
	}
	chk, err := w.checkExpr(check, oc)
	if err != nil {
		return "", err
	}
	ins := &Insert{Table: t.Name, Alias: targetAlias, Columns: cols, Values: rows,
		Returning: []SelectItem{{Expr: Star{}}, {Expr: chk, Alias: "__check"}}}
	if oc != nil {
		conflict, err := w.onConflict(oc)
		if err != nil {
			return "", err
		}
		ins.OnConflict = conflict
	}
	name := w.name("_w")
	w.ctes = append(w.ctes, CTE{Name: name, Stmt: ins})
	w.written = append(w.written, name)
	w.checks = append(w.checks, name)
	return name, nil
}

// ColumnExpr is a column with a SQL value (not a parameter).
type ColumnExpr struct {
	Column string
	Expr   Expr
}

func (w *writer) onConflict(oc *plan.OnConflict) (*OnConflict, error) {
	out := &OnConflict{Constraint: oc.Constraint}
	if len(oc.UpdateColumns) == 0 {
		return out, nil
	}
	for _, c := range oc.UpdateColumns {
		out.Set = append(out.Set, SetItem{Column: c.Name, Expr: Col{Table: "excluded", Name: c.Name}})
	}
	for _, p := range oc.Presets {
		v, err := w.c.params.operand(p.Value)
		if err != nil {
			return nil, err
		}
		out.Set = append(out.Set, SetItem{Column: p.Column.Name, Expr: v})
	}
	var where And
	for _, e := range []boolexp.Expr{oc.UpdateFilter, oc.Where} {
		if e == nil {
			continue
		}
		x, err := w.c.boolExpr(e, targetAlias, targetAlias)
		if err != nil {
			return nil, err
		}
		where = append(where, x)
	}
	if len(where) > 0 {
		out.Where = where
	}
	return out, nil
}

// insert compiles an insert without nested relationships.
func (w *writer) insert(m *plan.Mutation) (*Select, error) {
	name, err := w.insertCTE(m.Table, m.Objects, nil, m.OnConflict)
	if err != nil {
		return nil, err
	}
	return w.finish(m, m.Output, m.Fields, []string{name})
}

// nestedInsert compiles each root object with its relationships, parents
// first, and returns the written root rows as JSON.
func (w *writer) nestedInsert(m *plan.Mutation) (*Select, error) {
	var roots []string
	for _, o := range m.Objects {
		name, err := w.insertTree(o, nil, m.OnConflict)
		if err != nil {
			return nil, err
		}
		roots = append(roots, name)
	}
	rows := w.rowsFrom(m.Table, roots)
	a := w.c.alias()
	rowsJSON := SubQuery{Select: &Select{
		Columns: []SelectItem{{Expr: &Func{Name: "coalesce", Args: []Expr{&Func{Name: "json_agg", Args: []Expr{TableRef{Alias: a}}}, Cast{Expr: String{S: "[]"}, Type: "json"}}}}},
		From:    []FromItem{&FromSelect{Select: rows, Alias: a}},
	}}
	value := &Func{Name: "json_build_object", Args: []Expr{String{S: "rows"}, rowsJSON, String{S: "affected"}, w.affected()}}
	return &Select{With: w.ctes, Columns: []SelectItem{{Expr: value}, {Expr: w.checkAll()}}}, nil
}

// insertTree inserts one object: its object relationships (parents) first,
// the row with their mapped columns, then its array relationships.
func (w *writer) insertTree(o *plan.InsertObject, extra []ColumnExpr, oc *plan.OnConflict) (string, error) {
	for _, n := range o.ObjectRels {
		parent, err := w.insertTree(n.Objects[0], nil, n.OnConflict)
		if err != nil {
			return "", err
		}
		for _, m := range n.Rel.Mapping {
			extra = append(extra, ColumnExpr{Column: m.Local, Expr: SubQuery{Select: &Select{
				Columns: []SelectItem{{Expr: Col{Name: m.Remote}}}, From: []FromItem{FromName{Name: parent}},
			}}})
		}
	}
	name, err := w.insertCTE(o.Table, []*plan.InsertObject{o}, extra, oc)
	if err != nil {
		return "", err
	}
	for _, n := range o.ArrayRels {
		var childExtra []ColumnExpr
		for _, m := range n.Rel.Mapping {
			childExtra = append(childExtra, ColumnExpr{Column: m.Remote, Expr: SubQuery{Select: &Select{
				Columns: []SelectItem{{Expr: Col{Name: m.Local}}}, From: []FromItem{FromName{Name: name}},
			}}})
		}
		simple := true
		for _, child := range n.Objects {
			if len(child.ObjectRels) > 0 || len(child.ArrayRels) > 0 {
				simple = false
			}
		}
		if simple {
			if len(n.Objects) > 0 {
				if _, err := w.insertCTE(n.Rel.Target, n.Objects, childExtra, n.OnConflict); err != nil {
					return "", err
				}
			}
			continue
		}
		for _, child := range n.Objects {
			if _, err := w.insertTree(child, childExtra, n.OnConflict); err != nil {
				return "", err
			}
		}
	}
	return name, nil
}

// rowsFrom selects the table's columns, in order, from the named CTEs.
func (w *writer) rowsFrom(t *schema.Table, ctes []string) *Select {
	var cols []SelectItem
	for _, c := range t.Info.Columns {
		cols = append(cols, SelectItem{Expr: Col{Name: c.Name}})
	}
	first := &Select{Columns: cols, From: []FromItem{FromName{Name: ctes[0]}}}
	if len(ctes) == 1 {
		return first
	}
	u := &Select{Columns: cols, From: []FromItem{FromName{Name: ctes[0]}}}
	for _, n := range ctes[1:] {
		u.UnionAll = append(u.UnionAll, &Select{Columns: cols, From: []FromItem{FromName{Name: n}}})
	}
	return u
}

// affected is the number of rows every write CTE returned.
func (w *writer) affected() Expr {
	var sum Expr
	for _, n := range w.written {
		cnt := SubQuery{Select: &Select{Columns: []SelectItem{{Expr: CountStar{}}}, From: []FromItem{FromName{Name: n}}}}
		if sum == nil {
			sum = cnt
		} else {
			sum = &BinOp{Op: "+", L: sum, R: cnt}
		}
	}
	if sum == nil {
		return Keyword("0")
	}
	return sum
}

// checkAll is true when every check of every write CTE held.
func (w *writer) checkAll() Expr {
	var all And
	for _, n := range w.checks {
		all = append(all, &Func{Name: "coalesce", Args: []Expr{
			SubQuery{Select: &Select{Columns: []SelectItem{{Expr: &Func{Name: "bool_and", Args: []Expr{Col{Name: "__check"}}}}}, From: []FromItem{FromName{Name: n}}}},
			Keyword("true"),
		}})
	}
	if len(all) == 0 {
		return Keyword("true")
	}
	return all
}

// finish builds the statement's result: the field's value from the rows
// of the root CTEs, and the check.
func (w *writer) finish(m *plan.Mutation, output plan.MutationOutput, fields []*plan.Field, roots []string) (*Select, error) {
	rows := w.rowsFrom(m.Table, roots)
	value, err := w.c.output(m.Table, output, fields, func(alias string) FromItem {
		return &FromSelect{Select: rows, Alias: alias}
	}, w.affected())
	if err != nil {
		return nil, err
	}
	return &Select{With: w.ctes, Columns: []SelectItem{{Expr: value}, {Expr: w.checkAll()}}}, nil
}

// output builds a mutation field's value over rows (a FROM item for an
// alias) and the affected row count.
func (c *compiler) output(t *schema.Table, output plan.MutationOutput, fields []*plan.Field, rows func(alias string) FromItem, affected Expr) (Expr, error) {
	if output == plan.OutputRow {
		a := c.alias()
		obj, err := c.rowObject(fields, a)
		if err != nil {
			return nil, err
		}
		return SubQuery{Select: &Select{Columns: []SelectItem{{Expr: obj}}, From: []FromItem{rows(a)}, Limit: Keyword("1")}}, nil
	}
	var keys []string
	var vals []Expr
	for _, f := range fields {
		var e Expr
		switch f.Kind {
		case plan.FieldTypename:
			e = String{S: f.Typename}
		case plan.FieldAffectedRows:
			e = affected
		case plan.FieldReturning:
			a := c.alias()
			obj, err := c.rowObject(f.Children, a)
			if err != nil {
				return nil, err
			}
			e = SubQuery{Select: &Select{Columns: []SelectItem{{Expr: jsonArray(obj, nil)}}, From: []FromItem{rows(a)}}}
		default:
			return nil, fmt.Errorf("unexpected field kind %d in a mutation response", f.Kind)
		}
		keys = append(keys, f.Alias)
		vals = append(vals, e)
	}
	return jsonObject(keys, vals, c.alias), nil
}

// respond builds a nested insert's value from the written rows ($1).
func (c *compiler) respond(m *plan.Mutation) (*Select, error) {
	written := Param{N: 1, Type: "json"}
	rows := func(alias string) FromItem {
		return &FromFunc{Func: &Func{Name: "json_populate_recordset", Args: []Expr{
			Cast{Expr: Keyword("NULL"), Type: QualifiedName(m.Table.Name)},
			&BinOp{Op: "->", L: written, R: String{S: "rows"}},
		}}, Alias: alias}
	}
	affected := Cast{Expr: &BinOp{Op: "->>", L: written, R: String{S: "affected"}}, Type: "int8"}
	value, err := c.output(m.Table, m.Output, m.Fields, rows, affected)
	if err != nil {
		return nil, err
	}
	return &Select{Columns: []SelectItem{{Expr: value}}}, nil
}

var jsonbOps = map[plan.SetOp]string{
	plan.SetAppend: "||", plan.SetDeleteKey: "-", plan.SetDeleteElem: "-", plan.SetDeleteAtPath: "#-",
}

// update compiles one UPDATE.
func (w *writer) update(m *plan.Mutation, u *plan.UpdateSpec) (*Select, error) {
	fields, output := m.Fields, m.Output
	if output == plan.OutputResponses {
		output, fields = plan.OutputResponse, u.Fields
	}
	name := w.name("_w")
	if len(u.Sets) == 0 {
		// Nothing to set: Hasura touches no row and reports none
		// (update/basic/author_empty_set.yaml).
		sel := &Select{Columns: []SelectItem{{Expr: Star{}}}, From: []FromItem{FromTable{Name: m.Table.Name, Alias: targetAlias}}, Where: Keyword("false")}
		w.ctes = append(w.ctes, CTE{Name: name, Select: sel})
		w.written = append(w.written, name)
		return w.finish(m, output, fields, []string{name})
	}
	upd := &Update{Table: m.Table.Name, Alias: targetAlias}
	for _, s := range u.Sets {
		v, err := w.c.params.operand(s.Value)
		if err != nil {
			return nil, err
		}
		col := Col{Table: targetAlias, Name: s.Column.Name}
		var e Expr
		switch s.Op {
		case plan.SetValue:
			e = v
		case plan.SetInc:
			e = &BinOp{Op: "+", L: col, R: v}
		case plan.SetPrepend:
			e = &BinOp{Op: "||", L: v, R: col}
		default:
			e = &BinOp{Op: jsonbOps[s.Op], L: col, R: v}
		}
		upd.Set = append(upd.Set, SetItem{Column: s.Column.Name, Expr: e})
	}
	where, err := w.where(u.Perm, u.Where)
	if err != nil {
		return nil, err
	}
	upd.Where = where
	var chk Expr = Keyword("true")
	if u.Check != nil {
		c, err := w.c.boolExpr(u.Check, targetAlias, targetAlias)
		if err != nil {
			return nil, err
		}
		chk = c
		w.checked = true
	}
	upd.Returning = []SelectItem{{Expr: Star{}}, {Expr: chk, Alias: "__check"}}
	w.ctes = append(w.ctes, CTE{Name: name, Stmt: upd})
	w.written = append(w.written, name)
	w.checks = append(w.checks, name)
	return w.finish(m, output, fields, []string{name})
}

func (w *writer) where(parts ...boolexp.Expr) (Expr, error) {
	var where And
	for _, e := range parts {
		if e == nil {
			continue
		}
		x, err := w.c.boolExpr(e, targetAlias, targetAlias)
		if err != nil {
			return nil, err
		}
		where = append(where, x)
	}
	return where, nil
}

// delete compiles a DELETE.
func (w *writer) delete(m *plan.Mutation) (*Select, error) {
	where, err := w.where(m.Perm, m.Where)
	if err != nil {
		return nil, err
	}
	del := &Delete{Table: m.Table.Name, Alias: targetAlias, Where: where, Returning: []SelectItem{{Expr: Star{}}}}
	name := w.name("_w")
	w.ctes = append(w.ctes, CTE{Name: name, Stmt: del})
	w.written = append(w.written, name)
	return w.finish(m, m.Output, m.Fields, []string{name})
}
