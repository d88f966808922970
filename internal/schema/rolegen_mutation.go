package schema

import (
	"strings"

	"github.com/graftql/graft/internal/catalog"
	"github.com/vektah/gqlparser/v2/ast"
)

// This file makes the mutation root fields and their types
// (hasura/graphql-engine: server/src-lib/Hasura/GraphQL/Schema/Mutation.hs,
// Update.hs, Update/Batch.hs, Backends/Postgres/Schema/OnConflict.hs and the
// update operators of Backends/Postgres/Instances/Schema.hs).

// columnInsertable and columnUpdatable are Hasura's column mutability: a
// generated column and a GENERATED ALWAYS identity column take no value.
func columnInsertable(c *Column) bool {
	return c.Info == nil || !(c.Info.IsGenerated || c.Info.IdentityAlways)
}

func columnUpdatable(c *Column) bool { return columnInsertable(c) }

// insertColumns returns the columns p lets the role insert, presets left out.
func insertColumns(t *Table, p *InsertPerm) []*Column {
	var cols []*Column
	for _, c := range t.Columns {
		if _, preset := p.Set[c.Name]; columnInsertable(c) && p.Columns[c.Name] && !preset {
			cols = append(cols, c)
		}
	}
	return cols
}

// updateColumns returns the columns the role may update, presets left out
// (Hasura's tableUpdateColumns).
func (g *roleGen) updateColumns(t *Table) []*Column {
	p := g.upd(t)
	if p == nil {
		return nil
	}
	var cols []*Column
	for _, c := range t.Columns {
		if _, preset := p.Set[c.Name]; columnUpdatable(c) && p.Columns[c.Name] && !preset {
			cols = append(cols, c)
		}
	}
	return cols
}

// uniqueConstraints returns t's primary key and unique constraints.
func tableUniqueConstraints(t *Table) []*catalog.Constraint {
	if len(t.UniqueConstraints) > 0 || t.Info == nil {
		return t.UniqueConstraints
	}
	var cs []*catalog.Constraint
	if t.Info.PrimaryKey != nil {
		cs = append(cs, t.Info.PrimaryKey)
	}
	return append(cs, t.Info.UniqueConstraints...)
}

// -----------------------------------------------------------------------------
// Insert

func (g *roleGen) insertField(t *Table) *ast.FieldDefinition {
	args := ast.ArgumentDefinitionList{
		gqlArg("objects", "the rows to be inserted", listOfNonNull(g.insertInput(t))),
	}
	if oc := g.onConflictArg(t); oc != nil {
		args = append(args, oc)
	}
	desc := rootDescription(t, "insert", "insert data into the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootInsert), desc, tNamed(g.mutationResponse(t)), args...)
}

func (g *roleGen) insertOneField(t *Table) *ast.FieldDefinition {
	args := ast.ArgumentDefinitionList{
		gqlArg("object", "the row to be inserted", tNonNull(g.insertInput(t))),
	}
	if oc := g.onConflictArg(t); oc != nil {
		args = append(args, oc)
	}
	desc := rootDescription(t, "insert_one", "insert a single row into the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootInsertOne), desc, tNamed(g.tableObject(t)), args...)
}

// onConflictArg returns the on_conflict argument, or nil when t has no
// unique constraint. Hasura offers it whether or not the role may update
// (Note in Backends/Postgres/Schema/OnConflict.hs): without update
// permission only update_columns: [] (DO NOTHING) is possible.
func (g *roleGen) onConflictArg(t *Table) *ast.ArgumentDefinition {
	if len(tableUniqueConstraints(t)) == 0 {
		return nil
	}
	return gqlArg(g.n.Field("on_conflict"), "upsert condition", tNamed(g.onConflict(t)))
}

// insertInput makes <t>_insert_input.
func (g *roleGen) insertInput(t *Table) string {
	name := g.typeWith(t, "insert_input")
	d, made := g.define(ast.InputObject, name, "input type for inserting data into table "+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	if p := g.ins(t); p != nil {
		for _, c := range insertColumns(t, p) {
			d.Fields = append(d.Fields, gqlField(colField(c), columnDescription(t, c), g.columnType(c, true)))
		}
	}
	for _, r := range t.ObjectRelationships {
		if g.ins(r.Target) != nil {
			d.Fields = append(d.Fields, gqlField(r.Name, "", tNamed(g.relInsertInput(r.Target, false))))
		}
	}
	for _, r := range t.ArrayRelationships {
		if g.ins(r.Target) != nil {
			d.Fields = append(d.Fields, gqlField(r.Name, "", tNamed(g.relInsertInput(r.Target, true))))
		}
	}
	return name
}

// relInsertInput makes <t>_obj_rel_insert_input or <t>_arr_rel_insert_input.
func (g *roleGen) relInsertInput(t *Table, array bool) string {
	suffix, desc := "obj_rel_insert_input", "input type for inserting object relation for remote table "
	if array {
		suffix, desc = "arr_rel_insert_input", "input type for inserting array relation for remote table "
	}
	name := g.typeWith(t, suffix)
	d, made := g.define(ast.InputObject, name, desc+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	data := tNonNull(g.insertInput(t))
	if array {
		data = tNN(tList(data))
	}
	d.Fields = ast.FieldList{gqlField("data", "", data)}
	if len(tableUniqueConstraints(t)) > 0 {
		d.Fields = append(d.Fields, gqlField(g.n.Field("on_conflict"), "upsert condition", tNamed(g.onConflict(t))))
	}
	return name
}

// onConflict makes <t>_on_conflict.
func (g *roleGen) onConflict(t *Table) string {
	name := g.typeWith(t, "on_conflict")
	d, made := g.define(ast.InputObject, name, "on_conflict condition type for table "+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	d.Fields = ast.FieldList{
		gqlField("constraint", "", tNonNull(g.constraintEnum(t))),
		{
			Name:         g.n.Field("update_columns"),
			Type:         listOfNonNull(g.updateColumnEnum(t)),
			DefaultValue: &ast.Value{Kind: ast.ListValue},
		},
		gqlField("where", "", tNamed(g.boolExp(t))),
	}
	return name
}

// constraintEnum makes <t>_constraint.
func (g *roleGen) constraintEnum(t *Table) string {
	name := g.typeWith(t, "constraint")
	d, made := g.define(ast.Enum, name, "unique or primary key constraints on table "+quoted(g.tn(t).sqlName))
	if made {
		for _, c := range tableUniqueConstraints(t) {
			cols := make([]string, len(c.Columns))
			for i, col := range c.Columns {
				cols[i] = quoted(col)
			}
			d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{
				Name:        c.Name,
				Description: "unique or primary key constraint on columns " + strings.Join(cols, ", "),
			})
		}
	}
	return name
}

// updateColumnEnum makes <t>_update_column; without updatable columns it
// holds only _PLACEHOLDER.
func (g *roleGen) updateColumnEnum(t *Table) string {
	name := g.typeWith(t, "update_column")
	cols := g.updateColumns(t)
	desc := "update columns of table " + quoted(g.tn(t).sqlName)
	if len(cols) == 0 {
		desc = "placeholder for update columns of table " + quoted(g.tn(t).sqlName) + " (current role has no relevant permissions)"
	}
	d, made := g.define(ast.Enum, name, desc)
	if !made {
		return name
	}
	for _, c := range cols {
		d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: colField(c), Description: "column name"})
	}
	if len(cols) == 0 {
		d.EnumValues = ast.EnumValueList{{Name: "_PLACEHOLDER", Description: "placeholder (do not use)"}}
	}
	return name
}

// mutationResponse makes <t>_mutation_response; returning needs select
// permission.
func (g *roleGen) mutationResponse(t *Table) string {
	name := g.typeWith(t, "mutation_response")
	d, made := g.define(ast.Object, name, "response of any mutation on the table "+quoted(g.tn(t).sqlName))
	if !made {
		return name
	}
	d.Fields = ast.FieldList{gqlField(g.n.Field("affected_rows"), "number of rows affected by the mutation", tNonNull("Int"))}
	if obj := g.tableObject(t); obj != "" {
		d.Fields = append(d.Fields, gqlField("returning", "data from the rows affected by the mutation", listOfNonNull(obj)))
	}
	return name
}

// -----------------------------------------------------------------------------
// Update

// updateOperator is one of Hasura's Postgres update operators.
type updateOperator struct {
	name    string // the argument, e.g. "_set"
	input   string // the input type's suffix, e.g. "set" for <t>_set_input
	desc    string // of the argument
	objDesc string // of the input type, "" for desc
	applies func(c *Column, k rgKind, array bool) bool
	// typ is the type of a column's field; nil for the column's own type.
	typ func() *ast.Type
}

func isJSONBColumn(c *Column, k rgKind, array bool) bool {
	return k == rgkJSONB && !array && c.EnumTable == nil
}

var updateOperators = []updateOperator{
	{
		name: "_set", input: "set",
		desc:    "sets the columns of the filtered rows to the given values",
		objDesc: "input type for updating data in table ",
		applies: func(*Column, rgKind, bool) bool { return true },
	},
	{
		name: "_inc", input: "inc",
		desc:    "increments the numeric columns with given value of the filtered values",
		objDesc: "input type for incrementing numeric columns in table ",
		applies: func(c *Column, k rgKind, array bool) bool { return k.isNum() && !array && c.EnumTable == nil },
	},
	{
		name: "_prepend", input: "prepend",
		desc:    "prepend existing jsonb value of filtered columns with new jsonb value",
		applies: isJSONBColumn,
	},
	{
		name: "_append", input: "append",
		desc:    "append existing jsonb value of filtered columns with new jsonb value",
		applies: isJSONBColumn,
	},
	{
		name: "_delete_key", input: "delete_key",
		desc:    "delete key/value pair or string element. key/value pairs are matched based on their key value",
		applies: isJSONBColumn,
		typ:     func() *ast.Type { return tNamed("String") },
	},
	{
		name: "_delete_elem", input: "delete_elem",
		desc:    "delete the array element with specified index (negative integers count from the end). throws an error if top level container is not an array",
		applies: isJSONBColumn,
		typ:     func() *ast.Type { return tNamed("Int") },
	},
	{
		name: "_delete_at_path", input: "delete_at_path",
		desc:    "delete the field or element with specified path (for JSON arrays, negative integers count from the end)",
		applies: isJSONBColumn,
		typ:     func() *ast.Type { return tList(tNonNull("String")) },
	},
}

// updateArgs returns the update operators that apply to the columns the
// role may update, as arguments.
func (g *roleGen) updateArgs(t *Table) ast.ArgumentDefinitionList {
	cols := g.updateColumns(t)
	var args ast.ArgumentDefinitionList
	for i := range updateOperators {
		op := &updateOperators[i]
		var applicable []*Column
		for _, c := range cols {
			if k, arr := rgClassify(c.Type); op.applies(c, k, arr) {
				applicable = append(applicable, c)
			}
		}
		if len(applicable) == 0 {
			continue
		}
		args = append(args, gqlArg(g.n.Field(op.name), op.desc, tNamed(g.updateOperatorInput(t, op, applicable))))
	}
	return args
}

// updateOperatorInput makes <t>_<op>_input.
func (g *roleGen) updateOperatorInput(t *Table, op *updateOperator, cols []*Column) string {
	name := g.typeWith(t, op.input+"_input")
	desc := op.desc
	if op.objDesc != "" {
		desc = op.objDesc + quoted(g.tn(t).sqlName)
	}
	d, made := g.define(ast.InputObject, name, desc)
	if !made {
		return name
	}
	for _, c := range cols {
		var typ *ast.Type
		if op.typ != nil {
			typ = op.typ()
		} else {
			typ = g.columnType(c, true)
		}
		d.Fields = append(d.Fields, gqlField(colField(c), columnDescription(t, c), typ))
	}
	return name
}

func (g *roleGen) updateField(t *Table) *ast.FieldDefinition {
	args := append(g.updateArgs(t), gqlArg("where", "filter the rows which have to be updated", tNonNull(g.boolExp(t))))
	desc := rootDescription(t, "update", "update data of the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootUpdate), desc, tNamed(g.mutationResponse(t)), args...)
}

func (g *roleGen) updateByPkField(t *Table) *ast.FieldDefinition {
	args := append(g.updateArgs(t), gqlArg(g.n.Field("pk_columns"), "", tNonNull(g.pkColumnsInput(t))))
	desc := rootDescription(t, "update_by_pk", "update single row of the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootUpdateByPk), desc, tNamed(g.tableObject(t)), args...)
}

func (g *roleGen) updateManyField(t *Table) *ast.FieldDefinition {
	desc := rootDescription(t, "update_many", "update multiples rows of table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootUpdateMany), desc, tList(tNamed(g.mutationResponse(t))),
		gqlArg("updates", "updates to execute, in order", listOfNonNull(g.updatesInput(t))))
}

// pkColumnsInput makes <t>_pk_columns_input.
func (g *roleGen) pkColumnsInput(t *Table) string {
	name := g.typeWith(t, "pk_columns_input")
	d, made := g.define(ast.InputObject, name, "primary key columns input for table: "+g.tn(t).sqlName)
	if made {
		for _, c := range t.PrimaryKey {
			d.Fields = append(d.Fields, gqlField(colField(c), columnDescription(t, c), g.columnType(c, false)))
		}
	}
	return name
}

// updatesInput makes <t>_updates, one update of update_<t>_many.
func (g *roleGen) updatesInput(t *Table) string {
	name := g.typeWith(t, "updates")
	d, made := g.define(ast.InputObject, name, "")
	if !made {
		return name
	}
	for _, a := range g.updateArgs(t) {
		d.Fields = append(d.Fields, gqlField(a.Name, a.Description, a.Type))
	}
	d.Fields = append(d.Fields, gqlField("where", "filter the rows which have to be updated", tNonNull(g.boolExp(t))))
	return name
}

// -----------------------------------------------------------------------------
// Delete

func (g *roleGen) deleteField(t *Table) *ast.FieldDefinition {
	desc := rootDescription(t, "delete", "delete data from the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootDelete), desc, tNamed(g.mutationResponse(t)),
		gqlArg("where", "filter the rows which have to be deleted", tNonNull(g.boolExp(t))))
}

func (g *roleGen) deleteByPkField(t *Table) *ast.FieldDefinition {
	desc := rootDescription(t, "delete_by_pk", "delete single row from the table: "+quoted(g.tn(t).sqlName))
	return gqlField(g.n.RootFieldName(t, RootDeleteByPk), desc, tNamed(g.tableObject(t)), g.pkArgs(t, false)...)
}
