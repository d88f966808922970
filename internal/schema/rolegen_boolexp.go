package schema

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// This file makes the filter types: <t>_bool_exp, the <S>_comparison_exp of
// each scalar and the aggregation predicates <t>_aggregate_bool_exp
// (hasura/graphql-engine: server/src-lib/Hasura/GraphQL/Schema/BoolExp.hs,
// BoolExp/AggregationPredicates.hs, Backends/Postgres/Instances/Schema.hs
// comparisonExps).

// boolExp makes <t>_bool_exp. A role without select permission on t still
// gets it (for the where of its updates and deletes), with only _and, _or
// and _not.
func (g *roleGen) boolExp(t *Table) string {
	tn := g.tn(t)
	desc := "Boolean expression to filter rows from the table " + quoted(tn.sqlName) + ". All fields are combined with a logical 'AND'."
	d, made := g.define(ast.InputObject, tn.boolExp, desc)
	if !made {
		return tn.boolExp
	}
	d.Fields = ast.FieldList{
		gqlField("_and", "", tList(tNonNull(tn.boolExp))),
		gqlField("_not", "", tNamed(tn.boolExp)),
		gqlField("_or", "", tList(tNonNull(tn.boolExp))),
	}
	if p := g.sel(t); p != nil {
		for _, c := range selColumns(t, p) {
			d.Fields = append(d.Fields, gqlField(colField(c), "", g.ref(g.comparisonExp(g.columnValue(c)))))
		}
		for _, r := range t.ObjectRelationships {
			if g.sel(r.Target) != nil {
				d.Fields = append(d.Fields, gqlField(r.Name, "", tNamed(g.boolExp(r.Target))))
			}
		}
		for _, r := range t.ArrayRelationships {
			if g.sel(r.Target) != nil {
				d.Fields = append(d.Fields, gqlField(r.Name, "", tNamed(g.boolExp(r.Target))))
			}
		}
		// Only computed fields without arguments from the client qualify.
		for _, cf := range t.ComputedFields {
			if len(cf.Args) > 0 || !g.cfSelectable(cf, p) {
				continue
			}
			var typ string
			if cf.ReturnTable != nil {
				typ = g.boolExp(cf.ReturnTable)
			} else {
				typ = g.comparisonExp(g.computedFieldValue(cf))
			}
			d.Fields = append(d.Fields, gqlField(cf.Name, "", tNamed(typ)))
		}
	}
	// Hasura builds the aggregation predicates of t's array relationships
	// from the permissions on their targets alone.
	for _, r := range t.ArrayRelationships {
		rp := g.sel(r.Target)
		if rp == nil || !rp.AllowAggregations {
			continue
		}
		if agg := g.aggregateBoolExp(r.Target); agg != "" {
			name := g.n.fieldName(ident{{s: r.Name, custom: true}}.plus("aggregate"))
			d.Fields = append(d.Fields, gqlField(name, "", tNamed(agg)))
		}
	}
	return tn.boolExp
}

// comparisonExp makes the comparison expression of values v
// (<S>_comparison_exp, <S>_array_comparison_exp, <t>_enum_comparison_exp).
func (g *roleGen) comparisonExp(v columnValue) string {
	suffix := "_comparison_exp"
	if v.array {
		suffix = "_array_comparison_exp"
	}
	name := g.n.caseTypeName(v.name + suffix)
	desc := "Boolean expression to compare columns of type " + quoted(v.name) + ". All fields are combined with logical 'AND'."
	d, made := g.define(ast.InputObject, name, desc)
	if !made {
		return name
	}
	g.scalar(v.name)
	one := v.valueType(true)
	list := tList(v.valueType(false))
	op := func(name, desc string, typ *ast.Type) {
		d.Fields = append(d.Fields, gqlField(g.n.Field(name), desc, typ))
	}
	// The kind-specific operators apply to scalar columns only, not to
	// arrays or enum-table references (Hasura's isScalarColumnWhere).
	kind := v.kind
	scalarKind := !v.array && !v.enum
	if scalarKind {
		if cast := g.castExp(kind); cast != "" {
			op("_cast", "", tNamed(cast))
		}
	}
	op("_eq", "", one)
	op("_in", "", list)
	op("_is_null", "", tNamed("Boolean"))
	op("_neq", "", one)
	op("_nin", "", list)
	if !v.enum && (v.array || kind != rgkRaster) {
		op("_gt", "", one)
		op("_gte", "", one)
		op("_lt", "", one)
		op("_lte", "", one)
	}
	if v.array {
		op("_contains", "does the array contain the given value", one)
		op("_contained_in", "is the array contained in the given array value", one)
	}
	if !scalarKind {
		return name
	}
	switch {
	case kind == rgkRaster:
		op("_st_intersects_rast", "", one)
		op("_st_intersects_nband_geom", "", tNamed(g.stIntersectsNbandGeomInput()))
		op("_st_intersects_geom_nband", "", tNamed(g.stIntersectsGeomNbandInput()))
	case kind.isString():
		op("_like", "does the column match the given pattern", one)
		op("_nlike", "does the column NOT match the given pattern", one)
		op("_ilike", "does the column match the given case-insensitive pattern", one)
		op("_nilike", "does the column NOT match the given case-insensitive pattern", one)
		op("_similar", "does the column match the given SQL regular expression", one)
		op("_nsimilar", "does the column NOT match the given SQL regular expression", one)
		op("_regex", "does the column match the given POSIX regular expression, case sensitive", one)
		op("_iregex", "does the column match the given POSIX regular expression, case insensitive", one)
		op("_nregex", "does the column NOT match the given POSIX regular expression, case sensitive", one)
		op("_niregex", "does the column NOT match the given POSIX regular expression, case insensitive", one)
	case kind == rgkJSONB:
		op("_contains", "does the column contain the given json value at the top level", one)
		op("_contained_in", "is the column contained in the given json value", one)
		op("_has_key", "does the string exist as a top-level key in the column", tNamed("String"))
		op("_has_keys_any", "do any of these strings exist as top-level keys in the column", tList(tNonNull("String")))
		op("_has_keys_all", "do all of these strings exist as top-level keys in the column", tList(tNonNull("String")))
	case kind == rgkGeography:
		op("_st_intersects", "does the column spatially intersect the given geography value", one)
		op("_st_d_within", "is the column within a given distance from the given geography value", tNamed(g.stDWithinGeographyInput()))
	case kind == rgkGeometry:
		op("_st_contains", "does the column contain the given geometry value", one)
		op("_st_crosses", "does the column cross the given geometry value", one)
		op("_st_equals", "is the column equal to given geometry value (directionality is ignored)", one)
		op("_st_overlaps", "does the column 'spatially overlap' (intersect but not completely contain) the given geometry value", one)
		op("_st_touches", "does the column have atleast one point in common with the given geometry value", one)
		op("_st_within", "is the column contained in the given geometry value", one)
		op("_st_intersects", "does the column spatially intersect the given geometry value", one)
		op("_st_3d_intersects", "does the column spatially intersect the given geometry value in 3D", one)
		op("_st_d_within", "is the column within a given distance from the given geometry value", tNamed(g.stDWithinInput()))
		op("_st_3d_d_within", "is the column within a given 3D distance from the given geometry value", tNamed(g.stDWithinInput()))
	case kind == rgkLtree:
		g.scalar("lquery")
		g.scalar("ltxtquery")
		op("_ancestor", "is the left argument an ancestor of right (or equal)?", one)
		op("_ancestor_any", "does array contain an ancestor of `ltree`?", list)
		op("_descendant", "is the left argument a descendant of right (or equal)?", one)
		op("_descendant_any", "does array contain a descendant of `ltree`?", list)
		op("_matches", "does `ltree` match `lquery`?", tNamed("lquery"))
		op("_matches_any", "does `ltree` match any `lquery` in array?", tList(tNonNull("String")))
		op("_matches_fulltext", "does `ltree` match `ltxtquery`?", tNamed("ltxtquery"))
	}
	return name
}

// castExp makes the _cast input of jsonb, geometry and geography
// comparisons, or returns "".
func (g *roleGen) castExp(k rgKind) string {
	var source string
	var target columnValue
	switch k {
	case rgkJSONB:
		source, target = "jsonb", columnValue{name: "String", kind: rgkText}
	case rgkGeometry:
		source, target = "geometry", columnValue{name: "geography", kind: rgkGeography}
	case rgkGeography:
		source, target = "geography", columnValue{name: "geometry", kind: rgkGeometry}
	default:
		return ""
	}
	name := g.n.caseTypeName(source + "_cast_exp")
	d, made := g.define(ast.InputObject, name, "")
	if made {
		g.scalar(target.name)
		d.Fields = ast.FieldList{gqlField(target.name, "", tNamed(g.comparisonExp(target)))}
	}
	return name
}

func (g *roleGen) stDWithinInput() string {
	d, made := g.define(ast.InputObject, "st_d_within_input", "")
	if made {
		g.scalar("Float")
		g.scalar("geometry")
		d.Fields = ast.FieldList{
			gqlField("distance", "", tNonNull("Float")),
			gqlField("from", "", tNonNull("geometry")),
		}
	}
	return d.Name
}

func (g *roleGen) stDWithinGeographyInput() string {
	d, made := g.define(ast.InputObject, "st_d_within_geography_input", "")
	if made {
		g.scalar("Float")
		g.scalar("geography")
		d.Fields = ast.FieldList{
			gqlField("distance", "", tNonNull("Float")),
			gqlField("from", "", tNonNull("geography")),
			{Name: "use_spheroid", Type: tNamed("Boolean"), DefaultValue: &ast.Value{Kind: ast.BooleanValue, Raw: "true"}},
		}
	}
	return d.Name
}

func (g *roleGen) stIntersectsNbandGeomInput() string {
	d, made := g.define(ast.InputObject, "st_intersects_nband_geom_input", "")
	if made {
		g.scalar("geometry")
		d.Fields = ast.FieldList{
			gqlField("geommin", "", tNonNull("geometry")),
			gqlField("nband", "", tNonNull("Int")),
		}
	}
	return d.Name
}

func (g *roleGen) stIntersectsGeomNbandInput() string {
	d, made := g.define(ast.InputObject, "st_intersects_geom_nband_input", "")
	if made {
		g.scalar("geometry")
		d.Fields = ast.FieldList{
			gqlField("geommin", "", tNonNull("geometry")),
			gqlField("nband", "", tNamed("Int")),
		}
	}
	return d.Name
}

// aggPredicateFunctions are the aggregation functions of Postgres
// aggregation predicates (Hasura's aggregationFunctions in
// Backends/Postgres/Instances/Schema.hs): their argument count (0 for *,
// 2 for the Y, X pairs), argument kind and result scalar.
var aggPredicateFunctions = []struct {
	name   string
	args   int
	arg    rgKind
	result columnValue
}{
	{"avg", 1, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"bool_and", 1, rgkBoolean, columnValue{name: "Boolean", kind: rgkBoolean}},
	{"bool_or", 1, rgkBoolean, columnValue{name: "Boolean", kind: rgkBoolean}},
	{"count", 0, 0, columnValue{name: "Int", kind: rgkInteger}},
	{"max", 1, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"min", 1, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"sum", 1, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"corr", 2, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"covar_samp", 2, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"stddev_samp", 1, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
	{"var_samp", 1, rgkDouble, columnValue{name: "float8", kind: rgkDouble}},
}

// aggregateBoolExp makes <t>_aggregate_bool_exp, the aggregation predicates
// over rows of t, or returns "" when no aggregation function applies to
// the columns the role may select.
func (g *roleGen) aggregateBoolExp(t *Table) string {
	tn := g.tn(t)
	if _, ok := g.types[tn.aggBool]; ok {
		return tn.aggBool
	}
	cols := selColumns(t, g.sel(t))
	// Which functions have arguments: count needs any column, the others
	// columns of their argument's type.
	byKind := make(map[rgKind][]*Column)
	for _, c := range cols {
		if k, arr := rgClassify(c.Type); !arr && c.EnumTable == nil {
			byKind[k] = append(byKind[k], c)
		}
	}
	usable := func(args int, k rgKind) bool {
		if args == 0 {
			return len(cols) > 0
		}
		return len(byKind[k]) > 0
	}
	some := false
	for _, fn := range aggPredicateFunctions {
		if usable(fn.args, fn.arg) {
			some = true
			break
		}
	}
	if !some {
		return ""
	}
	aggID := tn.id.plus("aggregate_bool_exp")
	d, _ := g.define(ast.InputObject, tn.aggBool, "")
	for _, fn := range aggPredicateFunctions {
		if !usable(fn.args, fn.arg) {
			continue
		}
		fnID := append(append(ident{}, aggID...), namePart{s: fn.name, custom: true})
		var arguments *ast.FieldDefinition
		switch fn.args {
		case 0:
			arguments = gqlField("arguments", "", tList(tNonNull(g.selectColumnEnum(t))))
		case 1:
			arguments = gqlField("arguments", "", tNonNull(g.predicateColumnEnum(t, fnID, byKind[fn.arg])))
		case 2:
			enum := g.predicateColumnEnum(t, fnID, byKind[fn.arg])
			argsName := g.n.caseFieldIdent(fnID.plus("arguments"))
			ad, made := g.define(ast.InputObject, argsName, "")
			if made {
				ad.Fields = ast.FieldList{
					gqlField("X", "", tNonNull(enum)),
					gqlField("Y", "", tNonNull(enum)),
				}
			}
			arguments = gqlField("arguments", "", tNonNull(argsName))
		}
		fnName := g.n.caseFieldIdent(fnID)
		fd, made := g.define(ast.InputObject, fnName, "")
		if made {
			fd.Fields = ast.FieldList{
				arguments,
				gqlField("distinct", "", tNamed("Boolean")),
				gqlField("filter", "", tNamed(g.boolExp(t))),
				gqlField("predicate", "", tNonNull(g.comparisonExp(fn.result))),
			}
		}
		d.Fields = append(d.Fields, gqlField(fn.name, "", tNamed(fnName)))
	}
	return tn.aggBool
}

// predicateColumnEnum makes the enum of the columns an aggregation function
// takes: <t>_select_column_<t>_aggregate_bool_exp_<fn>_arguments_columns.
func (g *roleGen) predicateColumnEnum(t *Table, fnID ident, cols []*Column) string {
	tn := g.tn(t)
	pred := fnID.plus("arguments_columns")
	id := append(tn.id.plus("select_column"), pred...)
	name := g.n.typeName(id)
	desc := "select " + quoted(g.n.caseFieldIdent(pred)) + " columns of table " + quoted(tn.sqlName)
	d, made := g.define(ast.Enum, name, desc)
	if made {
		for _, c := range cols {
			d.EnumValues = append(d.EnumValues, &ast.EnumValueDefinition{Name: colField(c), Description: "column name"})
		}
	}
	return name
}
