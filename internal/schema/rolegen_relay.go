package schema

import "github.com/vektah/gqlparser/v2/ast"

// This file makes the Relay schema of /v1beta1/relay (hasura/graphql-engine:
// server/src-lib/Hasura/GraphQL/Schema/Relay.hs, tableConnectionSelectionSet
// and tableConnectionArgs in Select.hs): query_root has a <t>_connection
// field per table with a primary key, <fn>_connection per function
// returning such a table, and node(id:); every such table's object type
// implements Node with an id: ID! field. As in Hasura, that holds also
// when the role may not select the primary key columns: the id and the
// cursors carry their values (relay/permissions/author_connection.yaml).

// relayQueryFields returns the fields of the Relay query_root and
// subscription_root.
func (g *roleGen) relayQueryFields() (query, subscription ast.FieldList) {
	for _, t := range g.m.Tables {
		p := g.sel(t)
		if p == nil || len(t.PrimaryKey) == 0 {
			continue
		}
		f := gqlField(g.n.RootFieldName(t, RootRelayConnection), "fetch data from the table: "+quoted(g.tn(t).sqlName),
			tNonNull(g.connectionObject(t)), g.connectionArgs(t)...)
		rf := &RootField{Kind: RootRelayConnection, Table: t}
		if rootFieldAllowed(p.QueryRootFields, "select") {
			query = append(query, f)
			g.rs.Query[f.Name] = rf
		}
		if rootFieldAllowed(p.SubscriptionRootFields, "select") {
			subscription = append(subscription, f)
			g.rs.Subscription[f.Name] = rf
		}
	}
	for _, fn := range g.m.Functions {
		t := fn.ReturnTable
		if fn.Mutation || !g.mayCallFunction(fn) || t == nil || len(t.PrimaryKey) == 0 || g.sel(t) == nil {
			continue
		}
		gqlName := g.n.FunctionFieldName(fn, false)
		desc := "execute function " + quoted(qualifiedText(fn.Name)) + " which returns " + quoted(g.tn(t).sqlName)
		f := gqlField(gqlName+"_connection", desc, tNonNull(g.connectionObject(t)), g.functionArgs(fn, gqlName, g.connectionArgs(t))...)
		rf := &RootField{Kind: RootRelayFunctionConnection, Table: t, Function: fn}
		query = append(query, f)
		subscription = append(subscription, f)
		g.rs.Query[f.Name] = rf
		g.rs.Subscription[f.Name] = rf
	}
	g.scalar("ID")
	node := gqlField("node", "", tNamed(g.nodeInterface()), gqlArg("id", "A globally unique id", tNonNull("ID")))
	query = append(query, node)
	subscription = append(subscription, node)
	g.rs.Query["node"] = &RootField{Kind: RootRelayNode}
	g.rs.Subscription["node"] = &RootField{Kind: RootRelayNode}
	return query, subscription
}

// nodeInterface makes the Node interface.
func (g *roleGen) nodeInterface() string {
	d, made := g.define(ast.Interface, "Node", "An object with globally unique ID")
	if made {
		g.scalar("ID")
		d.Fields = ast.FieldList{gqlField("id", "A globally unique identifier", tNonNull("ID"))}
	}
	return d.Name
}

// connectionArgs returns the arguments of a <t>_connection field.
func (g *roleGen) connectionArgs(t *Table) ast.ArgumentDefinitionList {
	args := ast.ArgumentDefinitionList{
		gqlArg("after", "", tNamed("String")),
		gqlArg("before", "", tNamed("String")),
	}
	if e := g.selectColumnEnum(t); e != "" {
		args = append(args, gqlArg(g.n.Field("distinct_on"), "distinct select on columns", tList(tNonNull(e))))
	}
	return append(args,
		gqlArg("first", "", tNamed("Int")),
		gqlArg("last", "", tNamed("Int")),
		gqlArg(g.n.Field("order_by"), "sort the rows by one or more columns", tList(tNonNull(g.orderBy(t)))),
		gqlArg("where", "filter the rows returned", tNamed(g.boolExp(t))),
	)
}

// connectionObject makes <t>Connection, <t>Edge and PageInfo.
func (g *roleGen) connectionObject(t *Table) string {
	name := g.n.ConnectionType(t)
	d, made := g.define(ast.Object, name, "A Relay connection object on "+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	edge := g.n.EdgeType(t)
	ed, made := g.define(ast.Object, edge, "")
	if made {
		ed.Fields = ast.FieldList{
			gqlField("cursor", "", tNonNull("String")),
			gqlField("node", "", tNonNull(g.tableObject(t))),
		}
	}
	d.Fields = ast.FieldList{
		gqlField("edges", "", listOfNonNull(edge)),
		gqlField("pageInfo", "", tNonNull(g.pageInfo())),
	}
	return name
}

func (g *roleGen) pageInfo() string {
	d, made := g.define(ast.Object, "PageInfo", "")
	if made {
		d.Fields = ast.FieldList{
			gqlField("endCursor", "", tNonNull("String")),
			gqlField("hasNextPage", "", tNonNull("Boolean")),
			gqlField("hasPreviousPage", "", tNonNull("Boolean")),
			gqlField("startCursor", "", tNonNull("String")),
		}
	}
	return d.Name
}
