package plan

import (
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// Note [permissions on relationship filters]: a where-argument that goes
// through a relationship only sees related rows the role may select, so
// the target's select filter is added (boolexp.Relationship.Permission).
// Permission filters themselves are evaluated as admin and carry none.

// boolExp parses a where-argument (<t>_bool_exp) over t's rows.
func (b *builder) boolExp(t *schema.Table, v val, path string) (boolexp.Expr, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	and := make(boolexp.And, 0, len(kvs))
	for _, e := range kvs {
		fpath := path + "." + e.name
		switch e.name {
		case "_and", "_or":
			var parts []boolexp.Expr
			for _, it := range b.items(e.v) {
				if b.isNull(it) {
					continue
				}
				x, err := b.boolExp(t, it, fpath)
				if err != nil {
					return nil, err
				}
				parts = append(parts, x)
			}
			if e.name == "_and" {
				and = append(and, boolexp.And(parts))
			} else {
				and = append(and, boolexp.Or(parts))
			}
		case "_not":
			if b.isNull(e.v) {
				continue
			}
			x, err := b.boolExp(t, e.v, fpath)
			if err != nil {
				return nil, err
			}
			and = append(and, boolexp.Not{Expr: x})
		default:
			x, err := b.fieldExp(t, e.name, e.v, fpath)
			if err != nil {
				return nil, err
			}
			if x != nil {
				and = append(and, x)
			}
		}
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

func (b *builder) fieldExp(t *schema.Table, name string, v val, path string) (boolexp.Expr, error) {
	if b.isNull(v) {
		if b.nullCollapse() {
			return nil, nil
		}
		return nil, apierr.New(apierr.ValidationFailed, "unexpected null value for type '%s'", name).At(path)
	}
	if c, ok := t.ColumnByField(name); ok {
		ops, err := b.columnOps(b.visible(t, c), nil, v, path)
		if err != nil {
			return nil, err
		}
		return andOf(ops), nil
	}
	if r, ok := t.Relationship(name); ok {
		w, err := b.boolExp(r.Target, v, path)
		if err != nil {
			return nil, err
		}
		p, err := b.perm(r.Target, path)
		if err != nil {
			return nil, err
		}
		return &boolexp.Relationship{Name: r.Name, Target: r.Target.Name, Mapping: r.Mapping, Where: w, Permission: permFilter(p)}, nil
	}
	if cfd, ok := t.ComputedField(name); ok {
		return b.computedFieldExp(t, cfd, v, path)
	}
	if strings.HasSuffix(name, "_aggregate") {
		if r, ok := t.Relationship(strings.TrimSuffix(name, "_aggregate")); ok && r.Kind == schema.ArrayRel {
			return b.aggregatePredicate(r, v, path)
		}
	}
	return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_bool_exp'", name, t.TypeName).At(path)
}

func (b *builder) nullCollapse() bool {
	return b.in.Model != nil && b.in.Model.Options.BooleanNullCollapse
}

func andOf(xs []boolexp.Expr) boolexp.Expr {
	if len(xs) == 1 {
		return xs[0]
	}
	return boolexp.And(xs)
}

// columnOps parses a <S>_comparison_exp over column c (cast to cast, if set).
func (b *builder) columnOps(c boolexp.Column, cast *boolexp.Type, v val, path string) ([]boolexp.Expr, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	colType := boolexp.TypeOf(c.Type)
	if cast != nil {
		colType = *cast
	}
	var out []boolexp.Expr
	for _, e := range kvs {
		opath := path + "." + e.name
		if e.name == "_cast" {
			casts, err := b.fields(e.v, opath)
			if err != nil {
				return nil, err
			}
			for _, ce := range casts {
				ct, ok := b.castType(ce.name)
				if !ok {
					return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_cast_exp'", ce.name, c.Type.Name).At(opath)
				}
				inner, err := b.columnOps(c, &ct, ce.v, opath+"."+ce.name)
				if err != nil {
					return nil, err
				}
				out = append(out, inner...)
			}
			continue
		}
		op, ok := boolexp.Ops[e.name]
		if !ok {
			return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_comparison_exp'", e.name, c.Type.Name).At(opath)
		}
		if op == boolexp.OpIsNull {
			isNull, ok := b.boolean(e.v)
			if !ok {
				if b.isNull(e.v) && b.nullCollapse() {
					continue
				}
				return nil, apierr.New(apierr.ValidationFailed, "expected a boolean for type 'Boolean'").At(opath)
			}
			out = append(out, &boolexp.Compare{Column: c, Cast: cast, Op: op, Args: []boolexp.Operand{{Value: boolexp.Const{V: isNull}, Type: boolexp.Type{SQL: "bool"}}}})
			continue
		}
		if b.isNullLiteral(e.v) || (e.v.a == nil && e.v.j == nil) {
			if b.nullCollapse() {
				continue
			}
			return nil, apierr.New(apierr.ValidationFailed, "unexpected null value for type '%s'", c.Type.Name).At(opath)
		}
		args, err := b.checkedOpArgs(op, colType, e.v, opath)
		if err != nil {
			return nil, err
		}
		out = append(out, &boolexp.Compare{Column: c, Cast: cast, Op: op, Args: args})
	}
	return out, nil
}

// castType is the type a _cast target names.
func (b *builder) castType(name string) (boolexp.Type, bool) {
	switch name {
	case "String":
		return boolexp.Type{SQL: "text"}, true
	case "geometry", "geography":
		if t := b.extType(name); t != "" {
			return boolexp.Type{SQL: t, Encoding: boolexp.EncodeGeoJSON}, true
		}
	}
	return boolexp.Type{}, false
}

// extType returns the cast spelling of a type installed by an extension
// (ltree, lquery, geometry, ...), or "".
func (b *builder) extType(name string) string {
	if b.in.Model == nil || b.in.Model.Catalog == nil {
		return name
	}
	if b.extTypes == nil {
		b.extTypes = map[string]string{}
		for _, t := range b.in.Model.Catalog.Types {
			if t.Kind != catalog.TypeArray && t.Schema != "pg_catalog" {
				if _, dup := b.extTypes[t.Name]; !dup {
					b.extTypes[t.Name] = t.SQL()
				}
			}
		}
	}
	return b.extTypes[name]
}

// checkedOpArgs is opArgs with its operands' values checked (Note [input
// value checks]).
func (b *builder) checkedOpArgs(op boolexp.Op, colType boolexp.Type, v val, path string) ([]boolexp.Operand, error) {
	args, err := b.opArgs(op, colType, v, path)
	if err != nil {
		return nil, err
	}
	switch op {
	case boolexp.OpSTDWithin, boolexp.OpST3DDWithin, boolexp.OpSTIntersectsNbandGeom, boolexp.OpSTIntersectsGeomNband:
		return args, nil // opArgs checked each operand at its own path
	}
	for _, a := range args {
		if err := b.checkValue(a, path); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// opArgs builds the operands of op applied to a column of type colType.
func (b *builder) opArgs(op boolexp.Op, colType boolexp.Type, v val, path string) ([]boolexp.Operand, error) {
	one := func(t boolexp.Type) []boolexp.Operand { return []boolexp.Operand{b.operand(v, t)} }
	switch op {
	case boolexp.OpIn, boolexp.OpNin:
		return []boolexp.Operand{b.listOperand(v, colType)}, nil
	case boolexp.OpHasKey:
		return one(boolexp.Type{SQL: "text"}), nil
	case boolexp.OpHasKeysAny, boolexp.OpHasKeysAll:
		return []boolexp.Operand{b.listOperand(v, boolexp.Type{SQL: "text"})}, nil
	case boolexp.OpAncestorAny, boolexp.OpDescendantAny:
		return []boolexp.Operand{b.listOperand(v, colType)}, nil
	case boolexp.OpMatches:
		return one(boolexp.Type{SQL: b.extType("lquery")}), nil
	case boolexp.OpMatchesAny:
		return []boolexp.Operand{b.listOperand(v, boolexp.Type{SQL: b.extType("lquery")})}, nil
	case boolexp.OpMatchesFulltext:
		return one(boolexp.Type{SQL: b.extType("ltxtquery")}), nil
	case boolexp.OpSTDWithin, boolexp.OpST3DDWithin:
		kvs, err := b.fields(v, path)
		if err != nil {
			return nil, err
		}
		var dist, from, sph *boolexp.Operand
		for _, e := range kvs {
			switch e.name {
			case "distance":
				o := b.operand(e.v, boolexp.Type{SQL: "float8"})
				dist = &o
			case "from":
				o := b.operand(e.v, colType)
				if err := b.checkValue(o, path+".from"); err != nil {
					return nil, err
				}
				from = &o
			case "use_spheroid":
				o := b.operand(e.v, boolexp.Type{SQL: "bool"})
				sph = &o
			}
		}
		if dist == nil || from == nil {
			return nil, apierr.New(apierr.ValidationFailed, "missing required field 'distance' or 'from'").At(path)
		}
		args := []boolexp.Operand{*dist, *from}
		if sph != nil {
			args = append(args, *sph)
		} else if strings.HasSuffix(colType.SQL, `"geography"`) {
			args = append(args, boolexp.Operand{Value: boolexp.Const{V: true}, Type: boolexp.Type{SQL: "bool"}})
		}
		return args, nil
	case boolexp.OpSTIntersectsNbandGeom, boolexp.OpSTIntersectsGeomNband:
		kvs, err := b.fields(v, path)
		if err != nil {
			return nil, err
		}
		var nband, geom *boolexp.Operand
		for _, e := range kvs {
			switch e.name {
			case "nband":
				o := b.operand(e.v, boolexp.Type{SQL: "int4"})
				nband = &o
			case "geommin":
				o := b.operand(e.v, boolexp.Type{SQL: b.extType("geometry"), Encoding: boolexp.EncodeGeoJSON})
				if err := b.checkValue(o, path+".geommin"); err != nil {
					return nil, err
				}
				geom = &o
			}
		}
		if geom == nil {
			return nil, apierr.New(apierr.ValidationFailed, "missing required field 'geommin'").At(path)
		}
		if nband == nil {
			nband = &boolexp.Operand{Value: boolexp.Const{V: nil}, Type: boolexp.Type{SQL: "int4"}}
		}
		if op == boolexp.OpSTIntersectsNbandGeom {
			return []boolexp.Operand{*nband, *geom}, nil
		}
		return []boolexp.Operand{*geom, *nband}, nil
	}
	return one(colType), nil
}

// listOperand is the operand of _in-like operators: a list literal, a
// variable holding a list, or a single value coerced to a list.
func (b *builder) listOperand(v val, elem boolexp.Type) boolexp.Operand {
	t := elem.ArrayOf()
	if v.a != nil && v.a.Kind == ast.Variable {
		// A variable declared as a list binds as an array; declared as a
		// single value it is read structurally and wrapped.
		if v.a.VariableDefinition != nil && v.a.VariableDefinition.Type.Elem != nil {
			return boolexp.Operand{Value: boolexp.Var{Name: v.a.Raw}, Type: t}
		}
	}
	j := b.jsonOf(v)
	if _, ok := j.([]any); !ok {
		j = []any{j}
	}
	return boolexp.Operand{Value: boolexp.Const{V: j}, Type: t}
}

// aggregatePredicate parses <arr_rel>_aggregate: {count|bool_and|bool_or: {...}}.
func (b *builder) aggregatePredicate(r *schema.Relationship, v val, path string) (boolexp.Expr, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	p, err := b.perm(r.Target, path)
	if err != nil {
		return nil, err
	}
	var out boolexp.And
	for _, e := range kvs {
		fpath := path + "." + e.name
		ap := &boolexp.AggregatePredicate{
			Relationship: boolexp.Relationship{Name: r.Name, Target: r.Target.Name, Mapping: r.Mapping, Permission: permFilter(p)},
			Function:     e.name,
		}
		args, err := b.fields(e.v, fpath)
		if err != nil {
			return nil, err
		}
		resultType := boolexp.Type{SQL: "int4"}
		if e.name != "count" {
			resultType = boolexp.Type{SQL: "bool"}
		}
		for _, a := range args {
			apath := fpath + "." + a.name
			switch a.name {
			case "arguments":
				for _, it := range b.items(a.v) {
					n, _ := b.name(it)
					c, ok := r.Target.ColumnByField(n)
					if !ok {
						return nil, apierr.New(apierr.ValidationFailed, "unexpected value '%s' for arguments", n).At(apath)
					}
					ap.Columns = append(ap.Columns, b.visible(r.Target, c))
				}
			case "distinct":
				d, _ := b.boolean(a.v)
				ap.Distinct = d
			case "filter":
				if b.isNull(a.v) {
					continue
				}
				w, err := b.boolExp(r.Target, a.v, apath)
				if err != nil {
					return nil, err
				}
				ap.Relationship.Where = w
			case "predicate":
				ops, err := b.fields(a.v, apath)
				if err != nil {
					return nil, err
				}
				for _, o := range ops {
					op, ok := boolexp.Ops[o.name]
					if !ok {
						return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in the predicate", o.name).At(apath)
					}
					var operands []boolexp.Operand
					if op == boolexp.OpIsNull {
						isNull, _ := b.boolean(o.v)
						operands = []boolexp.Operand{{Value: boolexp.Const{V: isNull}, Type: boolexp.Type{SQL: "bool"}}}
					} else {
						operands, err = b.checkedOpArgs(op, resultType, o.v, apath+"."+o.name)
						if err != nil {
							return nil, err
						}
					}
					ap.Predicate = append(ap.Predicate, boolexp.Compare{Op: op, Args: operands})
				}
			}
		}
		out = append(out, ap)
	}
	return andOf(out), nil
}

// computedFieldExp filters by a computed field.
func (b *builder) computedFieldExp(t *schema.Table, cfd *schema.ComputedField, v val, path string) (boolexp.Expr, error) {
	x := &boolexp.ComputedField{
		Name: cfd.Name, Function: cfd.Function.Name,
		TableArg: cfd.TableArg, SessionArg: cfd.SessionArg, NumArgs: len(cfd.Function.Args),
	}
	if cfd.ReturnTable != nil {
		w, err := b.boolExp(cfd.ReturnTable, v, path)
		if err != nil {
			return nil, err
		}
		p, err := b.perm(cfd.ReturnTable, path)
		if err != nil {
			return nil, err
		}
		q := cfd.ReturnTable.Name
		x.Table, x.Where, x.Permission = &q, w, permFilter(p)
		return x, nil
	}
	rt := boolexp.TypeOf(cfd.ResultType)
	x.ResultType = &rt
	col := boolexp.Column{Type: cfd.ResultType}
	ops, err := b.columnOps(col, nil, v, path)
	if err != nil {
		return nil, err
	}
	for _, o := range ops {
		if c, ok := o.(*boolexp.Compare); ok {
			x.Ops = append(x.Ops, *c)
		}
	}
	return x, nil
}
