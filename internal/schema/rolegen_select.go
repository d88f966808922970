package schema

import (
	"github.com/graftql/graft/internal/catalog"
	"github.com/vektah/gqlparser/v2/ast"
)

// This file makes the types that selecting from a table needs: the table's
// object type, its aggregates, its select arguments and the root fields of
// selects, streams and functions (hasura/graphql-engine:
// server/src-lib/Hasura/GraphQL/Schema/Select.hs, Build.hs,
// SubscriptionStream.hs, Backends/Postgres/Schema/Select.hs).

// numericAggOps and comparisonAggOps are Hasura's numericAggOperators and
// comparisonAggOperators, in its order.
var (
	numericAggOps    = []string{"sum", "avg", "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop"}
	comparisonAggOps = []string{"max", "min"}
)

// -----------------------------------------------------------------------------
// Descriptions

// tableDescription is the description of t's object type: the configured
// comment (an empty one means none), else the database comment, else
// Hasura's default.
func tableDescription(t *Table) string {
	if t.Meta != nil && t.Meta.Configuration != nil && t.Meta.Configuration.Comment != nil {
		return *t.Meta.Configuration.Comment
	}
	if t.Description != "" {
		return t.Description
	}
	if t.Info != nil && t.Info.Description != "" {
		return t.Info.Description
	}
	return "columns and relationships of " + quoted(qualifiedText(t.Name))
}

// columnDescription is the configured comment of c, else its database comment.
func columnDescription(t *Table, c *Column) string {
	if t.Meta != nil && t.Meta.Configuration != nil {
		if cc, ok := t.Meta.Configuration.ColumnConfig[c.Name]; ok && cc.Comment != nil {
			return *cc.Comment
		}
	}
	if c.Description != "" {
		return c.Description
	}
	if c.Info != nil {
		return c.Info.Description
	}
	return ""
}

// computedFieldDescription is the configured comment of cf, else the
// function's comment, else Hasura's default.
func computedFieldDescription(t *Table, cf *ComputedField) string {
	if t.Meta != nil {
		for _, m := range t.Meta.ComputedFields {
			if m.Name == cf.Name && m.Comment != nil {
				return *m.Comment
			}
		}
	}
	if cf.Description != "" {
		return cf.Description
	}
	if cf.Function != nil {
		if cf.Function.Description != "" {
			return cf.Function.Description
		}
		return "A computed field, executes function " + quoted(qualifiedText(cf.Function.Name))
	}
	return ""
}

// rootDescription is the description of one of t's root fields: the
// custom_root_fields comment (an empty one means none), else def.
func rootDescription(t *Table, key, def string) string {
	if rf := customRootField(t, key); rf != nil && rf.Comment != nil {
		return *rf.Comment
	}
	if c, ok := t.RootFields.Comments[key]; ok {
		return c
	}
	return def
}

func colField(c *Column) string {
	if c.Field != "" {
		return c.Field
	}
	return c.Name
}

// -----------------------------------------------------------------------------
// Scalars and column types

// scalar makes sure the scalar type name is defined.
func (g *roleGen) scalar(name string) {
	if _, ok := g.types[name]; ok {
		return
	}
	if d, ok := shared.scalars[name]; ok {
		g.types[name] = d
		return
	}
	g.types[name] = &ast.Definition{Kind: ast.Scalar, Name: name}
}

func isArrayColumn(c *Column) bool {
	return c.List > 0 || (c.Type != nil && c.Type.Kind == catalog.TypeArray)
}

// columnValue describes the values of a column for comparisons.
type columnValue struct {
	name  string // GraphQL scalar or enum
	kind  rgKind
	array bool
	enum  bool // a column referencing an enum table
}

func (g *roleGen) columnValue(c *Column) columnValue {
	if c.EnumTable != nil {
		return columnValue{name: g.enumType(c.EnumTable), kind: rgkText, enum: true}
	}
	k, arr := rgClassify(c.Type)
	name := c.Scalar
	if name == "" {
		name = rgScalarName(c.Type)
	}
	g.scalar(name)
	return columnValue{name: name, kind: k, array: arr || c.List > 0}
}

// valueType returns the GraphQL type of a value: S!, or [S!]! for arrays,
// nullable when nullable is set.
func (v columnValue) valueType(nullable bool) *ast.Type {
	t := tNonNull(v.name)
	if v.array {
		t = tNN(tList(t))
	}
	if nullable {
		t.NonNull = false
	}
	return t
}

// columnType returns the GraphQL type of c's values.
func (g *roleGen) columnType(c *Column, nullable bool) *ast.Type {
	return g.columnValue(c).valueType(nullable)
}

// enumType makes the GraphQL enum of enum table t (Hasura's enumParser).
func (g *roleGen) enumType(t *Table) string {
	name := g.n.EnumType(t)
	d, made := g.define(ast.Enum, name, "")
	if made {
		for _, v := range t.EnumValues {
			d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: g.n.EnumValue(v.Value), Description: v.Comment})
		}
	}
	return name
}

// pathArg is the argument of JSON columns.
func (g *roleGen) pathArg() *ast.ArgumentDefinition {
	return gqlArg("path", "JSON select path", tNamed("String"))
}

// -----------------------------------------------------------------------------
// Object types

// tableObject makes the object type of t's rows, or returns "" when the role
// may not select from t.
func (g *roleGen) tableObject(t *Table) string {
	p := g.sel(t)
	if p == nil {
		return ""
	}
	tn := g.tn(t)
	d, made := g.define(ast.Object, tn.object, tableDescription(t))
	if !made {
		return tn.object
	}
	relayNode := g.relay && len(t.PrimaryKey) > 0
	if relayNode {
		d.Fields = append(d.Fields, gqlField("id", "", tNonNull("ID")))
		d.Interfaces = []string{g.nodeInterface()}
		g.possible["Node"] = append(g.possible["Node"], d)
	}
	for _, c := range selColumns(t, p) {
		name := colField(c)
		if g.relay && name == "id" {
			// Node's id takes the place of a column named id.
			continue
		}
		nullable := c.Nullable || p.Columns[c.Name] != nil
		v := g.columnValue(c)
		f := gqlField(name, columnDescription(t, c), v.valueType(nullable))
		if v.kind.isJSON() {
			f.Arguments = ast.ArgumentDefinitionList{g.pathArg()}
		}
		d.Fields = append(d.Fields, f)
	}
	for _, r := range t.ObjectRelationships {
		if g.sel(r.Target) == nil {
			continue
		}
		typ := tNamed(g.tableObject(r.Target))
		typ.NonNull = !r.Nullable
		d.Fields = append(d.Fields, gqlField(r.Name, "An object relationship", typ))
	}
	for _, r := range t.ArrayRelationships {
		tp := g.sel(r.Target)
		if tp == nil {
			continue
		}
		args := g.selectArgs(r.Target)
		d.Fields = append(d.Fields, gqlField(r.Name, "An array relationship", listOfNonNull(g.tableObject(r.Target)), args...))
		if tp.AllowAggregations {
			d.Fields = append(d.Fields, gqlField(g.n.Field(r.Name+"_aggregate"), "An aggregate relationship", tNonNull(g.aggregateObject(r.Target)), args...))
		}
		if g.relay && len(r.Target.PrimaryKey) > 0 {
			d.Fields = append(d.Fields, gqlField(r.Name+"_connection", "An array relationship connection", tNonNull(g.connectionObject(r.Target)), g.connectionArgs(r.Target)...))
		}
	}
	for _, cf := range t.ComputedFields {
		if !g.cfSelectable(cf, p) {
			continue
		}
		args := g.computedFieldArgs(t, cf)
		desc := computedFieldDescription(t, cf)
		if cf.ReturnTable != nil {
			all := append(append(ast.ArgumentDefinitionList{}, args...), g.selectArgs(cf.ReturnTable)...)
			d.Fields = append(d.Fields, gqlField(cf.Name, desc, tList(tNonNull(g.tableObject(cf.ReturnTable))), all...))
			continue
		}
		v := g.computedFieldValue(cf)
		if v.kind.isJSON() {
			args = append(args, g.pathArg())
		}
		d.Fields = append(d.Fields, gqlField(cf.Name, desc, v.valueType(true), args...))
	}
	return tn.object
}

// computedFieldValue describes the values of a scalar computed field.
func (g *roleGen) computedFieldValue(cf *ComputedField) columnValue {
	k, arr := rgClassify(cf.ResultType)
	name := cf.Scalar
	if name == "" {
		name = rgScalarName(cf.ResultType)
	}
	g.scalar(name)
	return columnValue{name: name, kind: k, array: arr}
}

// computedFieldArgs returns the args argument of a computed field that takes
// arguments from the client (Hasura's functionArgs for FTAComputedField).
func (g *roleGen) computedFieldArgs(t *Table, cf *ComputedField) ast.ArgumentDefinitionList {
	if len(cf.Args) == 0 {
		return nil
	}
	id := append(ident{{s: cf.Name}}, g.tn(t).id...).plus("args")
	name := g.n.typeName(id)
	g.functionArgsObject(name, cf.Args)
	desc := "input parameters for computed field " + quoted(cf.Name) + " defined on table " + quoted(qualifiedText(t.Name))
	return ast.ArgumentDefinitionList{gqlArg("args", desc, g.argsType(name, cf.Args))}
}

// argsType is the type of an args argument: non-null when some argument has
// no default.
func (g *roleGen) argsType(name string, args []*FunctionArg) *ast.Type {
	for _, a := range args {
		if !a.HasDefault {
			return tNonNull(name)
		}
	}
	return tNamed(name)
}

// functionArgsObject makes the input object of a function's arguments: one
// nullable field per argument, named after it ("arg_1" when unnamed).
func (g *roleGen) functionArgsObject(name string, args []*FunctionArg) {
	d, made := g.define(ast.InputObject, name, "")
	if !made {
		return
	}
	for _, a := range args {
		k, arr := rgClassify(a.Type)
		scalar := a.Scalar
		if scalar == "" {
			scalar = rgScalarName(a.Type)
		}
		g.scalar(scalar)
		v := columnValue{name: scalar, kind: k, array: arr}
		d.Fields = append(d.Fields, gqlField(g.n.Field(a.Name), "", v.valueType(true)))
	}
}

// selectArgs returns the arguments of a field selecting rows of t:
// distinct_on, limit, offset, order_by and where. They are made once per
// table and shared by every such field.
func (g *roleGen) selectArgs(t *Table) ast.ArgumentDefinitionList {
	if a, ok := g.args[t]; ok {
		return a
	}
	var args ast.ArgumentDefinitionList
	if e := g.selectColumnEnum(t); e != "" {
		args = append(args, gqlArg(g.n.Field("distinct_on"), "distinct select on columns", tList(tNonNull(e))))
	}
	args = append(args,
		gqlArg("limit", "limit the number of rows returned", tNamed("Int")),
		gqlArg("offset", "skip the first n rows. Use only with order_by", tNamed("Int")),
		gqlArg(g.n.Field("order_by"), "sort the rows by one or more columns", tList(tNonNull(g.orderBy(t)))),
		gqlArg("where", "filter the rows returned", tNamed(g.boolExp(t))),
	)
	g.args[t] = args
	return args
}

// selectColumnEnum makes <t>_select_column, or returns "" when the role may
// select no column of t.
func (g *roleGen) selectColumnEnum(t *Table) string {
	cols := selColumns(t, g.sel(t))
	if len(cols) == 0 {
		return ""
	}
	tn := g.tn(t)
	d, made := g.define(ast.Enum, tn.selCol, "select columns of table "+quoted(tn.sqlName))
	if made {
		for _, c := range cols {
			d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: colField(c), Description: "column name"})
		}
	}
	return tn.selCol
}

// -----------------------------------------------------------------------------
// Aggregates

// aggregateObject makes <t>_aggregate.
func (g *roleGen) aggregateObject(t *Table) string {
	name := g.typeWith(t, "aggregate")
	d, made := g.define(ast.Object, name, "aggregated selection of "+quoted(g.tn(t).sqlName))
	if made {
		d.Fields = ast.FieldList{
			gqlField("aggregate", "", tNamed(g.aggregateFields(t))),
			gqlField("nodes", "", listOfNonNull(g.tableObject(t))),
		}
	}
	return name
}

// aggColumns returns the selectable columns numeric and comparable
// aggregates apply to (Hasura's isNumCol and isComparableCol).
func (g *roleGen) aggColumns(t *Table) (numeric, comparable []*Column) {
	for _, c := range selColumns(t, g.sel(t)) {
		if c.EnumTable != nil {
			continue
		}
		k, arr := rgClassify(c.Type)
		if k.isNum() && !arr {
			numeric = append(numeric, c)
		}
		if arr || k.isComparable() {
			comparable = append(comparable, c)
		}
	}
	return numeric, comparable
}

// aggregateFields makes <t>_aggregate_fields.
func (g *roleGen) aggregateFields(t *Table) string {
	name := g.typeWith(t, "aggregate_fields")
	d, made := g.define(ast.Object, name, "aggregate fields of "+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	var countArgs ast.ArgumentDefinitionList
	if e := g.selectColumnEnum(t); e != "" {
		countArgs = append(countArgs, gqlArg("columns", "", tList(tNonNull(e))))
	}
	countArgs = append(countArgs, gqlArg("distinct", "", tNamed("Boolean")))
	d.Fields = append(d.Fields, gqlField("count", "", tNonNull("Int"), countArgs...))
	numeric, comparable := g.aggColumns(t)
	if len(numeric) > 0 {
		for _, op := range numericAggOps {
			d.Fields = append(d.Fields, gqlField(g.n.Field(op), "", tNamed(g.aggregateOpFields(t, op, numeric))))
		}
	}
	if len(comparable) > 0 {
		for _, op := range comparisonAggOps {
			d.Fields = append(d.Fields, gqlField(g.n.Field(op), "", tNamed(g.aggregateOpFields(t, op, comparable))))
		}
	}
	return name
}

// aggregateOpFields makes <t>_<op>_fields: sum, max and min have the
// column's type, the statistical operators Float.
func (g *roleGen) aggregateOpFields(t *Table, op string, cols []*Column) string {
	name := g.typeWith(t, op+"_fields")
	d, made := g.define(ast.Object, name, "aggregate "+g.n.Field(op)+" on columns")
	if !made {
		return name
	}
	for _, c := range cols {
		var typ *ast.Type
		switch op {
		case "sum", "max", "min":
			typ = g.columnType(c, true)
		default:
			g.scalar("Float")
			typ = g.ref("Float")
		}
		d.Fields = append(d.Fields, gqlField(colField(c), columnDescription(t, c), typ))
	}
	return name
}

// -----------------------------------------------------------------------------
// Root fields

func (g *roleGen) selectField(t *Table) *ast.FieldDefinition {
	obj := g.tableObject(t)
	desc := rootDescription(t, "select", "fetch data from the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootSelect), desc, listOfNonNull(obj), g.selectArgs(t)...)
}

// pkArgs returns one argument per primary key column: non-null, or as
// nullable as the column when columnNullability is set (Hasura's
// selectTableByPk, where a view's configured key may be nullable).
func (g *roleGen) pkArgs(t *Table, columnNullability bool) ast.ArgumentDefinitionList {
	args := make(ast.ArgumentDefinitionList, 0, len(t.PrimaryKey))
	for _, c := range t.PrimaryKey {
		args = append(args, gqlArg(colField(c), columnDescription(t, c), g.columnType(c, columnNullability && c.Nullable)))
	}
	return args
}

func (g *roleGen) selectByPkField(t *Table) *ast.FieldDefinition {
	obj := g.tableObject(t)
	desc := rootDescription(t, "select_by_pk", "fetch data from the table: "+quoted(g.tn(t).sqlName)+" using primary key columns")
	return gqlField(g.n.RootFieldName(t, RootSelectByPk), desc, tNamed(obj), g.pkArgs(t, true)...)
}

func (g *roleGen) selectAggregateField(t *Table) *ast.FieldDefinition {
	agg := g.aggregateObject(t)
	desc := rootDescription(t, "select_aggregate", "fetch aggregated fields from the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootSelectAggregate), desc, tNonNull(agg), g.selectArgs(t)...)
}

// streamField returns <t>_stream, or nil when the role may select no column.
func (g *roleGen) streamField(t *Table) *ast.FieldDefinition {
	cols := selColumns(t, g.sel(t))
	if len(cols) == 0 {
		return nil
	}
	obj := g.tableObject(t)
	desc := rootDescription(t, "select_stream", "fetch data from the table in a streaming manner: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootSelectStream), desc, listOfNonNull(obj),
		gqlArg(g.n.Field("batch_size"), "maximum number of rows returned in a single batch", tNonNull("Int")),
		gqlArg("cursor", "cursor to stream the results returned by the query", tNN(tList(tNamed(g.streamCursorInput(t, cols))))),
		gqlArg("where", "filter the rows returned", tNamed(g.boolExp(t))),
	)
}

// streamCursorInput makes <t>_stream_cursor_input and its value input.
func (g *roleGen) streamCursorInput(t *Table, cols []*Column) string {
	name := g.typeWith(t, "stream_cursor_input")
	d, made := g.define(ast.InputObject, name, "Streaming cursor of the table "+quoted(g.tn(t).gqlName))
	if !made {
		return name
	}
	valueName := g.typeWith(t, "stream_cursor_value_input")
	vd, _ := g.define(ast.InputObject, valueName, "Initial value of the column from where the streaming should start")
	for _, c := range cols {
		vd.Fields = append(vd.Fields, gqlField(colField(c), columnDescription(t, c), g.columnType(c, true)))
	}
	d.Fields = ast.FieldList{
		gqlField(g.n.Field("initial_value"), "Stream column input with initial value", tNonNull(valueName)),
		gqlField("ordering", "cursor ordering", tNamed(g.cursorOrdering())),
	}
	return name
}

// cursorOrdering makes the cursor_ordering enum.
func (g *roleGen) cursorOrdering() string {
	name := g.n.TypePrefix + g.n.caseTypeName("cursor_ordering") + g.n.TypeSuffix
	d, made := g.define(ast.Enum, name, "ordering argument of a cursor")
	if made {
		d.EnumValues = ast.EnumValueList{
			{Name: "ASC", Description: "ascending ordering of the cursor"},
			{Name: "DESC", Description: "descending ordering of the cursor"},
		}
	}
	return name
}

// rootFieldDef is a root field and what it means.
type rootFieldDef struct {
	field *ast.FieldDefinition
	root  *RootField
}

// functionFields returns the root fields of function f: <fn> and, for
// queries, <fn>_aggregate.
func (g *roleGen) functionFields(f *Function, mutation bool) []rootFieldDef {
	t := f.ReturnTable
	if t == nil || g.sel(t) == nil {
		return nil
	}
	tn := g.tn(t)
	fn := quoted(qualifiedText(f.Name))
	obj := g.tableObject(t)
	name := g.n.FunctionFieldName(f, false)
	var desc string
	switch {
	case mutation:
		desc = "execute VOLATILE function " + fn + " which returns " + quoted(tn.sqlName)
	default:
		desc = functionDescription(f, "execute function "+fn+" which returns "+quoted(tn.sqlName))
	}
	typ := tNamed(obj)
	if f.ReturnsSet {
		typ = listOfNonNull(obj)
	}
	out := []rootFieldDef{{
		field: gqlField(name, desc, typ, g.functionArgs(f, name, g.selectArgs(t))...),
		root:  &RootField{Kind: RootFunction, Table: t, Function: f},
	}}
	if !mutation && g.sel(t).AllowAggregations {
		aggName := g.n.FunctionFieldName(f, true)
		aggDesc := "execute function " + fn + " and query aggregates on result of table type " + quoted(tn.sqlName)
		out = append(out, rootFieldDef{
			field: gqlField(aggName, aggDesc, tNonNull(g.aggregateObject(t)), g.functionArgs(f, aggName, g.selectArgs(t))...),
			root:  &RootField{Kind: RootFunctionAggregate, Table: t, Function: f},
		})
	}
	return out
}

// functionDescription is f's configured comment (an empty one means none),
// else its database comment, else def.
func functionDescription(f *Function, def string) string {
	if f.Meta != nil && f.Meta.Comment != nil {
		return *f.Meta.Comment
	}
	if f.Description != "" {
		return f.Description
	}
	if f.Info != nil && f.Info.Description != "" {
		return f.Info.Description
	}
	return def
}

// functionArgs returns the args argument of root field fieldName of f,
// followed by rest.
func (g *roleGen) functionArgs(f *Function, fieldName string, rest ast.ArgumentDefinitionList) ast.ArgumentDefinitionList {
	if len(f.Args) == 0 {
		return rest
	}
	name := f.ArgsTypeName
	if name == "" {
		name = g.n.FunctionArgsType(f)
	}
	g.functionArgsObject(name, f.Args)
	out := make(ast.ArgumentDefinitionList, 0, len(rest)+1)
	out = append(out, gqlArg("args", "input parameters for function "+quoted(fieldName), g.argsType(name, f.Args)))
	return append(out, rest...)
}
