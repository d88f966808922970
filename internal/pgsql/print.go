package pgsql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/catalog"
)

// Note [printing]: the printer parenthesizes every operator application
// instead of tracking precedence, as Hasura's ToSQL does; the text is
// longer but never ambiguous. Only the printer quotes identifiers and
// literals.

// Print returns the SQL text of s.
func Print(s *Select) string {
	var p printer
	p.sel(s)
	return p.b.String()
}

// printParams prints s and checks that it uses exactly the parameters
// first..last: a parameter allocated for SQL that was then dropped would
// make PostgreSQL reject the statement's arguments at run time.
func printParams(s *Select, first, last int) (string, error) {
	p := printer{params: map[int]bool{}}
	p.sel(s)
	for n := first; n <= last; n++ {
		if !p.params[n] {
			return "", fmt.Errorf("internal error: parameter $%d is not used by the statement", n)
		}
	}
	for n := range p.params {
		if n < first || n > last {
			return "", fmt.Errorf("internal error: parameter $%d is used but not bound", n)
		}
	}
	return p.b.String(), nil
}

// PrintExpr returns the SQL text of e.
func PrintExpr(e Expr) string {
	var p printer
	p.expr(e)
	return p.b.String()
}

type printer struct {
	b strings.Builder
	// params records the parameter numbers printed (for printParams).
	params map[int]bool
}

func (p *printer) s(s string) { p.b.WriteString(s) }

// QuoteIdent quotes an identifier.
func QuoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteString quotes a string literal, independent of standard_conforming_strings.
func QuoteString(s string) string {
	if strings.ContainsRune(s, '\\') {
		return "E'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'"
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// QualifiedName quotes a schema-qualified name.
func QualifiedName(q catalog.QualifiedName) string {
	return QuoteIdent(q.Schema) + "." + QuoteIdent(q.Name)
}

func (p *printer) ident(s string) { p.s(QuoteIdent(s)) }

func (p *printer) sel(s *Select) {
	if len(s.With) > 0 {
		p.s("WITH ")
		for i, c := range s.With {
			if i > 0 {
				p.s(", ")
			}
			p.ident(c.Name)
			p.s(" AS (")
			if c.Stmt != nil {
				p.stmt(c.Stmt)
			} else {
				p.sel(c.Select)
			}
			p.s(") ")
		}
	}
	p.s("SELECT ")
	if len(s.DistinctOn) > 0 {
		p.s("DISTINCT ON (")
		p.exprs(s.DistinctOn)
		p.s(") ")
	}
	if len(s.Columns) == 0 {
		p.s("1")
	}
	for i, c := range s.Columns {
		if i > 0 {
			p.s(", ")
		}
		p.expr(c.Expr)
		if c.Alias != "" {
			p.s(" AS ")
			p.ident(c.Alias)
		}
	}
	if len(s.From) > 0 {
		p.s(" FROM ")
		for i, f := range s.From {
			if i > 0 {
				p.s(", ")
			}
			p.from(f)
		}
	}
	if s.Where != nil && !isTrue(s.Where) {
		p.s(" WHERE ")
		p.expr(s.Where)
	}
	if len(s.GroupBy) > 0 {
		p.s(" GROUP BY ")
		p.exprs(s.GroupBy)
	}
	if len(s.OrderBy) > 0 {
		p.s(" ORDER BY ")
		p.orderBy(s.OrderBy)
	}
	if s.Limit != nil {
		p.s(" LIMIT ")
		p.expr(s.Limit)
	}
	if s.Offset != nil {
		p.s(" OFFSET ")
		p.expr(s.Offset)
	}
	for _, u := range s.UnionAll {
		p.s(" UNION ALL ")
		p.sel(u)
	}
}

func (p *printer) stmt(s Stmt) {
	switch s := s.(type) {
	case *Insert:
		p.s("INSERT INTO ")
		p.s(QualifiedName(s.Table))
		p.s(" AS ")
		p.ident(s.Alias)
		if len(s.Columns) == 0 {
			p.s(" DEFAULT VALUES")
		} else {
			p.s(" (")
			for i, c := range s.Columns {
				if i > 0 {
					p.s(", ")
				}
				p.ident(c)
			}
			p.s(") VALUES ")
			for i, row := range s.Values {
				if i > 0 {
					p.s(", ")
				}
				p.s("(")
				p.exprs(row)
				p.s(")")
			}
		}
		if oc := s.OnConflict; oc != nil {
			p.s(" ON CONFLICT ON CONSTRAINT ")
			p.ident(oc.Constraint)
			if len(oc.Set) == 0 {
				p.s(" DO NOTHING")
			} else {
				p.s(" DO UPDATE SET ")
				p.setItems(oc.Set)
				if oc.Where != nil && !isTrue(oc.Where) {
					p.s(" WHERE ")
					p.expr(oc.Where)
				}
			}
		}
		p.returning(s.Returning)
	case *Update:
		p.s("UPDATE ")
		p.s(QualifiedName(s.Table))
		p.s(" AS ")
		p.ident(s.Alias)
		p.s(" SET ")
		p.setItems(s.Set)
		if s.Where != nil && !isTrue(s.Where) {
			p.s(" WHERE ")
			p.expr(s.Where)
		}
		p.returning(s.Returning)
	case *Delete:
		p.s("DELETE FROM ")
		p.s(QualifiedName(s.Table))
		p.s(" AS ")
		p.ident(s.Alias)
		if s.Where != nil && !isTrue(s.Where) {
			p.s(" WHERE ")
			p.expr(s.Where)
		}
		p.returning(s.Returning)
	default:
		panic("pgsql: unknown statement")
	}
}

func (p *printer) setItems(items []SetItem) {
	for i, it := range items {
		if i > 0 {
			p.s(", ")
		}
		p.ident(it.Column)
		p.s(" = ")
		p.expr(it.Expr)
	}
}

func (p *printer) returning(items []SelectItem) {
	if len(items) == 0 {
		return
	}
	p.s(" RETURNING ")
	for i, c := range items {
		if i > 0 {
			p.s(", ")
		}
		p.expr(c.Expr)
		if c.Alias != "" {
			p.s(" AS ")
			p.ident(c.Alias)
		}
	}
}

func isTrue(e Expr) bool {
	a, ok := e.(And)
	return ok && len(a) == 0
}

func (p *printer) orderBy(items []OrderItem) {
	for i, o := range items {
		if i > 0 {
			p.s(", ")
		}
		p.expr(o.Expr)
		if o.Desc {
			p.s(" DESC")
		} else {
			p.s(" ASC")
		}
		if o.NullsFirst {
			p.s(" NULLS FIRST")
		} else {
			p.s(" NULLS LAST")
		}
	}
}

func (p *printer) from(f FromItem) {
	switch f := f.(type) {
	case FromTable:
		p.s(QualifiedName(f.Name))
		if f.Alias != "" {
			p.s(" AS ")
			p.ident(f.Alias)
		}
	case FromName:
		p.ident(f.Name)
		if f.Alias != "" && f.Alias != f.Name {
			p.s(" AS ")
			p.ident(f.Alias)
		}
	case *FromSelect:
		if f.Lateral {
			p.s("LATERAL ")
		}
		p.s("(")
		p.sel(f.Select)
		p.s(") AS ")
		p.ident(f.Alias)
	case *FromFunc:
		p.expr(f.Func)
		p.s(" AS ")
		p.ident(f.Alias)
		if len(f.Columns) > 0 {
			p.s("(")
			for i, c := range f.Columns {
				if i > 0 {
					p.s(", ")
				}
				p.ident(c)
			}
			p.s(")")
		}
	case *FromJoin:
		p.from(f.Left)
		p.s(" " + f.Kind + " JOIN ")
		p.from(f.Right)
		if f.On != nil {
			p.s(" ON (")
			p.expr(f.On)
			p.s(")")
		}
	default:
		panic("pgsql: unknown FROM item")
	}
}

func (p *printer) exprs(es []Expr) {
	for i, e := range es {
		if i > 0 {
			p.s(", ")
		}
		p.expr(e)
	}
}

func (p *printer) expr(e Expr) {
	switch e := e.(type) {
	case Col:
		if e.Table != "" {
			p.ident(e.Table)
			p.s(".")
		}
		p.ident(e.Name)
	case Star:
		if e.Table != "" {
			p.ident(e.Table)
			p.s(".")
		}
		p.s("*")
	case TableRef:
		p.ident(e.Alias)
	case Param:
		if p.params != nil {
			p.params[e.N] = true
		}
		if e.Type == "" {
			p.s("$" + strconv.Itoa(e.N))
			return
		}
		p.s("($" + strconv.Itoa(e.N) + ")::" + e.Type)
	case Session:
		if p.params != nil {
			p.params[e.N] = true
		}
		p.s("($" + strconv.Itoa(e.N) + ")::json")
	case SessionVar:
		if p.params != nil {
			p.params[e.N] = true
		}
		p.s("(($" + strconv.Itoa(e.N) + ")::json->>")
		p.s(QuoteString(e.Name))
		p.s(")")
	case String:
		p.s(QuoteString(e.S))
	case Keyword:
		p.s(string(e))
	case Raw:
		p.s(string(e))
	case Cast:
		p.s("(")
		p.expr(e.Expr)
		p.s(")::" + e.Type)
	case *Func:
		p.s(e.Name)
		p.s("(")
		if e.Distinct {
			p.s("DISTINCT ")
		}
		for i, a := range e.Args {
			if i > 0 {
				p.s(", ")
			}
			if i < len(e.Named) && e.Named[i] != "" {
				p.ident(e.Named[i])
				p.s(" => ")
			}
			p.expr(a)
		}
		if len(e.OrderBy) > 0 {
			p.s(" ORDER BY ")
			p.orderBy(e.OrderBy)
		}
		p.s(")")
		if e.Filter != nil {
			p.s(" FILTER (WHERE ")
			p.expr(e.Filter)
			p.s(")")
		}
	case CountStar:
		p.s("count(*)")
	case *BinOp:
		p.s("(")
		p.expr(e.L)
		p.s(" " + e.Op + " ")
		p.expr(e.R)
		p.s(")")
	case Not:
		p.s("(NOT ")
		p.expr(e.Expr)
		p.s(")")
	case IsNull:
		p.s("(")
		p.expr(e.Expr)
		if e.Not {
			p.s(" IS NOT NULL)")
		} else {
			p.s(" IS NULL)")
		}
	case And:
		p.junction(e, " AND ", "true")
	case Or:
		p.junction(e, " OR ", "false")
	case Exists:
		p.s("EXISTS (")
		p.sel(e.Select)
		p.s(")")
	case SubQuery:
		p.s("(")
		p.sel(e.Select)
		p.s(")")
	case *Case:
		p.s("CASE")
		for _, w := range e.Whens {
			p.s(" WHEN ")
			p.expr(w.Cond)
			p.s(" THEN ")
			p.expr(w.Then)
		}
		if e.Else != nil {
			p.s(" ELSE ")
			p.expr(e.Else)
		}
		p.s(" END")
	case *Any:
		p.s("(")
		p.expr(e.L)
		p.s(" " + e.Op + " ANY (")
		p.expr(e.R)
		p.s("))")
	case ArrayLit:
		p.s("ARRAY[")
		p.exprs(e.Elems)
		p.s("]")
	case RowExpr:
		p.s("ROW(")
		p.exprs(e.Elems)
		p.s(")")
	default:
		panic("pgsql: unknown expression node")
	}
}

func (p *printer) junction(es []Expr, sep, empty string) {
	switch len(es) {
	case 0:
		p.s(empty)
		return
	case 1:
		p.expr(es[0])
		return
	}
	p.s("(")
	for i, e := range es {
		if i > 0 {
			p.s(sep)
		}
		p.expr(e)
	}
	p.s(")")
}
