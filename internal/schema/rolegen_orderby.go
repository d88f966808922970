package schema

import "github.com/vektah/gqlparser/v2/ast"

// This file makes the order_by types (hasura/graphql-engine:
// server/src-lib/Hasura/GraphQL/Schema/OrderBy.hs and orderByOperators in
// Backends/Postgres/Instances/Schema.hs).

// orderByEnum makes the order_by enum.
func (g *roleGen) orderByEnum() string {
	name := g.n.caseTypeName("order_by")
	d, made := g.define(ast.Enum, name, "column ordering options")
	if made {
		for _, v := range [][2]string{
			{"asc", "in ascending order, nulls last"},
			{"asc_nulls_first", "in ascending order, nulls first"},
			{"asc_nulls_last", "in ascending order, nulls last"},
			{"desc", "in descending order, nulls first"},
			{"desc_nulls_first", "in descending order, nulls first"},
			{"desc_nulls_last", "in descending order, nulls last"},
		} {
			d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: g.n.EnumValue(v[0]), Description: v[1]})
		}
	}
	return name
}

// orderBy makes <t>_order_by. Without select permission it has no fields.
func (g *roleGen) orderBy(t *Table) string {
	tn := g.tn(t)
	d, made := g.define(ast.InputObject, tn.orderBy, "Ordering options when selecting data from "+quoted(tn.sqlName)+".")
	if !made {
		return tn.orderBy
	}
	p := g.sel(t)
	if p == nil {
		return tn.orderBy
	}
	ob := g.orderByEnum()
	for _, c := range selColumns(t, p) {
		d.Fields = append(d.Fields, gqlField(colField(c), "", g.ref(ob)))
	}
	for _, r := range t.ObjectRelationships {
		if g.sel(r.Target) != nil {
			d.Fields = append(d.Fields, gqlField(r.Name, "", tNamed(g.orderBy(r.Target))))
		}
	}
	// Hasura orders by an array relationship's aggregates whether or not
	// the target allows aggregations (orderByExpInternal).
	for _, r := range t.ArrayRelationships {
		if g.sel(r.Target) != nil {
			name := g.n.fieldName(autoIdent(r.Name).plus("aggregate"))
			d.Fields = append(d.Fields, gqlField(name, "", tNamed(g.aggregateOrderBy(r.Target))))
		}
	}
	for _, cf := range t.ComputedFields {
		if len(cf.Args) > 0 || !g.cfSelectable(cf, p) {
			continue
		}
		if cf.ReturnTable != nil {
			name := g.n.fieldName(autoIdent(cf.Name).plus("aggregate"))
			d.Fields = append(d.Fields, gqlField(name, "", tNamed(g.aggregateOrderBy(cf.ReturnTable))))
			continue
		}
		d.Fields = append(d.Fields, gqlField(cf.Name, "", tNamed(ob)))
	}
	return tn.orderBy
}

// aggregateOrderBy makes <t>_aggregate_order_by.
func (g *roleGen) aggregateOrderBy(t *Table) string {
	name := g.typeWith(t, "aggregate_order_by")
	d, made := g.define(ast.InputObject, name, "order by aggregate values of table "+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	d.Fields = append(d.Fields, gqlField("count", "", tNamed(g.orderByEnum())))
	numeric, comparable := g.aggColumns(t)
	if len(numeric) > 0 {
		for _, op := range numericAggOps {
			d.Fields = append(d.Fields, gqlField(g.n.Field(op), "", tNamed(g.aggregateOpOrderBy(t, op, numeric))))
		}
	}
	if len(comparable) > 0 {
		for _, op := range comparisonAggOps {
			d.Fields = append(d.Fields, gqlField(g.n.Field(op), "", tNamed(g.aggregateOpOrderBy(t, op, comparable))))
		}
	}
	return name
}

// aggregateOpOrderBy makes <t>_<op>_order_by.
func (g *roleGen) aggregateOpOrderBy(t *Table, op string, cols []*Column) string {
	name := g.typeWith(t, op+"_order_by")
	desc := "order by " + g.n.Field(op) + "() on columns of table " + quoted(g.tn(t).sqlName)
	d, made := g.define(ast.InputObject, name, desc)
	if made {
		ob := g.orderByEnum()
		for _, c := range cols {
			d.Fields = append(d.Fields, gqlField(colField(c), columnDescription(t, c), g.ref(ob)))
		}
	}
	return name
}
