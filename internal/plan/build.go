package plan

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// Input is what Build plans.
type Input struct {
	Schema *schema.RoleSchema
	Model  *schema.Model
	// Op is the operation to run, validated against Schema.Schema.
	Op *ast.OperationDefinition
	// Vars are the coerced variable values.
	Vars map[string]any
	// Introspect computes the value of a __schema or __type field.
	Introspect func(field *ast.Field) ([]byte, error)
	// BackendOnly enables backend_only insert, update and delete
	// permissions (admin secret plus x-hasura-use-backend-only-permissions).
	BackendOnly bool
}

type builder struct {
	in   Input
	role string
	vars map[string]any
	root *Root
	// sessionVars collects the session variables of permissions used.
	sessionVars map[string]bool
	// extTypes caches extension type spellings (see extType).
	extTypes map[string]string
	// varChecks holds root.VarChecks as a set.
	varChecks map[VarCheck]bool
}

// Build plans a validated operation.
func Build(in Input) (*Root, error) {
	b := &builder{in: in, role: in.Schema.Role, vars: in.Vars, root: &Root{}, sessionVars: map[string]bool{}}
	var roots map[string]*schema.RootField
	var typeName string
	switch in.Op.Operation {
	case ast.Query, "":
		roots, typeName = in.Schema.Query, "query_root"
	case ast.Subscription:
		roots, typeName = in.Schema.Subscription, "subscription_root"
	case ast.Mutation:
		b.root.Mutation = true
		roots, typeName = in.Schema.Mutation, "mutation_root"
	}
	if in.Schema.Schema != nil {
		switch in.Op.Operation {
		case ast.Mutation:
			if in.Schema.Schema.Mutation != nil {
				typeName = in.Schema.Schema.Mutation.Name
			}
		case ast.Subscription:
			if in.Schema.Schema.Subscription != nil {
				typeName = in.Schema.Schema.Subscription.Name
			}
		default:
			if in.Schema.Schema.Query != nil {
				typeName = in.Schema.Schema.Query.Name
			}
		}
	}
	fields, err := b.collect(in.Op.SelectionSet, typeName)
	if err != nil {
		return nil, err
	}
	for _, cf := range fields {
		rf, err := b.rootField(roots, typeName, cf)
		if err != nil {
			return nil, err
		}
		b.root.Fields = append(b.root.Fields, rf)
	}
	for v := range b.sessionVars {
		b.root.SessionVars = append(b.root.SessionVars, v)
	}
	slices.Sort(b.root.StructuralVars)
	return b.root, nil
}

// collectedField is a response key with the fields that share it (merged,
// as GraphQL's CollectFields does).
type collectedField struct {
	alias  string
	field  *ast.Field
	merged ast.SelectionSet
}

// collect flattens fragments and applies @skip/@include.
func (b *builder) collect(set ast.SelectionSet, typeName string) ([]*collectedField, error) {
	var out []*collectedField
	index := map[string]*collectedField{}
	// A fragment spread twice at one level adds nothing the second time
	// (CollectFields' visitedFragments in the GraphQL spec); expanding it
	// again would double the work per fragment of a chain.
	var spread map[string]bool
	var walk func(set ast.SelectionSet) error
	walk = func(set ast.SelectionSet) error {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				ok, err := b.included(s.Directives)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				alias := s.Alias
				if alias == "" {
					alias = s.Name
				}
				if cf, seen := index[alias]; seen {
					cf.merged = append(cf.merged, s.SelectionSet...)
					continue
				}
				cf := &collectedField{alias: alias, field: s, merged: append(ast.SelectionSet(nil), s.SelectionSet...)}
				index[alias] = cf
				out = append(out, cf)
			case *ast.InlineFragment:
				ok, err := b.included(s.Directives)
				if err != nil {
					return err
				}
				if !ok || !b.typeApplies(s.TypeCondition, typeName) {
					continue
				}
				if err := walk(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				ok, err := b.included(s.Directives)
				if err != nil {
					return err
				}
				if !ok || s.Definition == nil || spread[s.Name] || !b.typeApplies(s.Definition.TypeCondition, typeName) {
					continue
				}
				if spread == nil {
					spread = map[string]bool{}
				}
				spread[s.Name] = true
				if err := walk(s.Definition.SelectionSet); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(set); err != nil {
		return nil, err
	}
	return out, nil
}

func (b *builder) typeApplies(cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	s := b.in.Schema.Schema
	if s == nil {
		return false
	}
	for _, impl := range s.GetImplements(s.Types[typeName]) {
		if impl.Name == cond {
			return true
		}
	}
	return false
}

func (b *builder) included(ds ast.DirectiveList) (bool, error) {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, ok := b.boolean(astVal(arg.Value))
		if !ok {
			return false, apierr.New(apierr.ValidationFailed, "expected a boolean for argument 'if' of directive '%s'", d.Name)
		}
		if d.Name == "skip" && v || d.Name == "include" && !v {
			return false, nil
		}
	}
	return true, nil
}

func (b *builder) rootField(roots map[string]*schema.RootField, typeName string, cf *collectedField) (*RootField, error) {
	f := cf.field
	path := "$.selectionSet." + cf.alias
	switch f.Name {
	case "__typename":
		return &RootField{Alias: cf.alias, Static: jsonString(typeName)}, nil
	case "__schema", "__type":
		if b.in.Introspect == nil {
			return nil, apierr.New(apierr.NotSupported, "introspection is not available").At(path)
		}
		mf := *f
		mf.SelectionSet = cf.merged
		out, err := b.in.Introspect(&mf)
		if err != nil {
			return nil, apierr.Wrap(err, apierr.ValidationFailed, err.Error()).At(path)
		}
		return &RootField{Alias: cf.alias, Static: out}, nil
	}
	bind := roots[f.Name]
	if bind == nil {
		return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s'", f.Name, typeName).At(path)
	}
	if bind.Kind == schema.RootNoQueries {
		return &RootField{Alias: cf.alias, Static: []byte("null")}, nil
	}
	args := f.Arguments
	var sel *Select
	var err error
	switch bind.Kind {
	case schema.RootSelect:
		sel, err = b.tableSelect(bind.Table, Many, args, cf.merged, path)
	case schema.RootSelectAggregate:
		sel, err = b.tableSelect(bind.Table, Aggregate, args, cf.merged, path)
	case schema.RootSelectByPk:
		sel, err = b.byPk(bind.Table, args, cf.merged, path)
	case schema.RootFunction, schema.RootFunctionAggregate:
		sel, err = b.functionSelect(bind, args, cf.merged, path)
	case schema.RootRelayConnection:
		sel, err = b.connection(bind.Table, nil, args, cf.merged, path)
	case schema.RootRelayFunctionConnection:
		fn := bind.Function
		var callArgs []FunctionArg
		callArgs, err = b.callArgs(len(fn.Info.Args), -1, fn.SessionArg, fn.Args, args.ForName("args"), path)
		if err == nil {
			sel, err = b.connection(fn.ReturnTable, &FunctionCall{Name: fn.Name, Args: callArgs}, args, cf.merged, path)
		}
	case schema.RootRelayNode:
		sel, err = b.node(args, cf.merged, path)
	case schema.RootSelectStream:
		sel, err = b.streamSelect(bind.Table, args, cf.merged, path)
	case schema.RootInsert, schema.RootInsertOne, schema.RootUpdate, schema.RootUpdateByPk,
		schema.RootUpdateMany, schema.RootDelete, schema.RootDeleteByPk:
		m, err := b.mutation(bind, cf, path)
		if err != nil {
			return nil, err
		}
		return &RootField{Alias: cf.alias, Mutation: m}, nil
	default:
		return nil, apierr.New(apierr.NotSupported, "the root field '%s' is not supported yet", f.Name).At(path)
	}
	if err != nil {
		return nil, err
	}
	return &RootField{Alias: cf.alias, Select: sel}, nil
}

// perm returns the role's select permission on t, noting its session variables.
func (b *builder) perm(t *schema.Table, path string) (*schema.SelectPerm, error) {
	p, ok := t.SelectPermission(b.role)
	if !ok {
		// The schema only exposes tables the role may select; reaching here
		// means schema and model disagree.
		return nil, apierr.New(apierr.ValidationFailed, "no select permission on table %q for role %q", t.Name.String(), b.role).At(path)
	}
	for _, v := range p.SessionVars {
		b.sessionVars[v] = true
	}
	return p, nil
}

// visible returns column c of t as the role sees it: with the condition
// under which an inherited role may see it (nil for an ordinary role), so
// that filters, sort keys and aggregates read NULL where the output would
// (hasura/graphql-engine: Test/Auth/Authorization/InheritedRoles/
// ColumnRedactionSpec.hs).
func (b *builder) visible(t *schema.Table, c *schema.Column) boolexp.Column {
	col := c.BoolexpColumn()
	if p, ok := t.SelectPermission(b.role); ok {
		col.Cond = p.Columns[c.Name]
	}
	return col
}

func permFilter(p *schema.SelectPerm) boolexp.Expr {
	if p == nil || boolexp.IsTrue(p.Filter) {
		return nil
	}
	return p.Filter
}

// tableSelect plans a select of t's rows with the list arguments (where,
// order_by, distinct_on, limit, offset).
func (b *builder) tableSelect(t *schema.Table, shape Shape, args ast.ArgumentList, set ast.SelectionSet, path string) (*Select, error) {
	p, err := b.perm(t, path)
	if err != nil {
		return nil, err
	}
	s := &Select{Shape: shape, Table: t, Perm: permFilter(p), PermLimit: p.Limit}
	if err := b.listArgs(s, t, args, path); err != nil {
		return nil, err
	}
	if shape == Aggregate {
		err = b.aggregateFields(s, t, p, set, path)
	} else {
		s.Fields, err = b.rowFields(t, p, set, path)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func (b *builder) listArgs(s *Select, t *schema.Table, args ast.ArgumentList, path string) error {
	for _, a := range args {
		apath := path + ".args." + a.Name
		v := astVal(a.Value)
		switch a.Name {
		case "where":
			if b.isNull(v) {
				continue
			}
			w, err := b.boolExp(t, v, apath)
			if err != nil {
				return err
			}
			if !boolexp.IsTrue(w) {
				s.Where = w
			}
		case "order_by":
			ob, err := b.orderBy(t, v, apath)
			if err != nil {
				return err
			}
			s.OrderBy = ob
		case "distinct_on":
			for _, it := range b.items(v) {
				n, ok := b.name(it)
				if !ok {
					return apierr.New(apierr.ValidationFailed, "expected a column name for distinct_on").At(apath)
				}
				c, ok := t.ColumnByField(n)
				if !ok {
					return apierr.New(apierr.ValidationFailed, "unexpected value '%s' for distinct_on", n).At(apath)
				}
				s.DistinctOn = append(s.DistinctOn, b.visible(t, c))
			}
		case "limit", "offset":
			if b.isNullLiteral(v) {
				continue
			}
			kind := kindNonNegative
			if a.Name == "offset" {
				kind = kindOffset
			}
			if err := b.nonNegative(v, apath, kind); err != nil {
				return err
			}
			op := b.operand(v, intType)
			if a.Name == "offset" {
				op.Type = bigintType
			}
			if a.Name == "limit" {
				s.Limit = &op
			} else {
				s.Offset = &op
			}
		case "args":
			// Function arguments are handled by functionSelect.
		}
	}
	if len(s.DistinctOn) > 0 {
		if err := checkDistinctOn(s); err != nil {
			return apierr.Wrap(err, apierr.ValidationFailed, err.Error()).At(path + ".args")
		}
	}
	return nil
}

// isNullLiteral reports a null literal (not a variable: a null variable is
// bound as NULL, which LIMIT and OFFSET ignore).
func (b *builder) isNullLiteral(v val) bool { return v.a != nil && v.a.Kind == ast.NullValue }

// nonNegative refuses a negative integer literal given for a count
// (limit, offset, batch_size, first, last), and records a variable given
// for one in Root.VarChecks, so that each request's value is checked
// before PostgreSQL sees it (Root.CheckVars).
func (b *builder) nonNegative(v val, path string, kind valueKind) error {
	if v.a != nil && v.a.Kind == ast.Variable {
		b.checkVar(VarCheck{Var: v.a.Raw, Path: path, kind: kind})
		return nil
	}
	if n, ok := b.integer(v); ok && n < 0 {
		return errNegative(path, "an integer")
	}
	return nil
}

// errNegative is Hasura's error for a negative count; found describes the
// value as Hasura does ("an integer" literal, "a number" variable).
func errNegative(path, found string) error {
	return apierr.New(apierr.ValidationFailed, "expected a non-negative 32-bit integer for type 'Int', but found %s", found).At(path)
}

var (
	intType    = boolexp.Type{SQL: "int4"}
	bigintType = boolexp.Type{SQL: "int8"}
)

// checkDistinctOn enforces Hasura's rule that distinct_on columns come first
// in order_by (when order_by is given).
func checkDistinctOn(s *Select) error {
	if len(s.OrderBy) == 0 {
		return nil
	}
	for i, d := range s.DistinctOn {
		if i >= len(s.OrderBy) {
			break
		}
		ob := s.OrderBy[i]
		if ob.Column == nil || len(ob.Path) > 0 || ob.Column.Name != d.Name {
			return apierr.New(apierr.ValidationFailed, `"distinct_on" columns must match initial "order_by" columns`)
		}
	}
	return nil
}

// byPk plans <t>_by_pk(pk columns...).
func (b *builder) byPk(t *schema.Table, args ast.ArgumentList, set ast.SelectionSet, path string) (*Select, error) {
	p, err := b.perm(t, path)
	if err != nil {
		return nil, err
	}
	var and boolexp.And
	for _, c := range t.PrimaryKey {
		a := args.ForName(c.Field)
		if a == nil {
			return nil, apierr.New(apierr.ValidationFailed, "missing required field '%s'", c.Field).At(path + ".args")
		}
		op := b.operand(astVal(a.Value), c.Operand())
		and = append(and, &boolexp.Compare{Column: b.visible(t, c), Op: boolexp.OpEq, Args: []boolexp.Operand{op}})
	}
	s := &Select{Shape: One, Table: t, Perm: permFilter(p), Where: and}
	s.Fields, err = b.rowFields(t, p, set, path)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// rowFields plans the selection set of a row object of t.
func (b *builder) rowFields(t *schema.Table, p *schema.SelectPerm, set ast.SelectionSet, path string) ([]*Field, error) {
	cfs, err := b.collect(set, t.TypeName)
	if err != nil {
		return nil, err
	}
	out := make([]*Field, 0, len(cfs))
	for _, cf := range cfs {
		f, err := b.rowField(t, p, cf, path+".selectionSet."+cf.alias)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (b *builder) rowField(t *schema.Table, p *schema.SelectPerm, cf *collectedField, path string) (*Field, error) {
	f := cf.field
	name := f.Name
	if name == "__typename" {
		// A row is always of its table's type, also when selected through
		// the Node interface.
		return &Field{Alias: cf.alias, Kind: FieldTypename, Typename: t.TypeName}, nil
	}
	if name == "id" && b.in.Schema.Relay && len(t.PrimaryKey) > 0 {
		fld := &Field{Alias: cf.alias, Kind: FieldRelayID, RelayTable: t.Name}
		for _, c := range t.PrimaryKey {
			fld.RelayKey = append(fld.RelayKey, c.BoolexpColumn())
		}
		return fld, nil
	}
	if c, ok := t.ColumnByField(name); ok {
		cond, allowed := p.Columns[c.Name]
		if !allowed {
			return nil, notFound(name, parentType(f, t.TypeName), path)
		}
		fld := &Field{Alias: cf.alias, Kind: FieldColumn, Column: c.BoolexpColumn(), Cond: cond, Output: b.output(c.Type.Name, c.Type)}
		if a := f.Arguments.ForName("path"); a != nil && !b.isNullLiteral(astVal(a.Value)) {
			op, err := b.jsonPath(astVal(a.Value), path+".args.path")
			if err != nil {
				return nil, err
			}
			fld.JSONPath = op
		}
		return fld, nil
	}
	if r, ok := t.Relationship(name); ok {
		return b.relField(r, cf, path)
	}
	if cfd, ok := t.ComputedField(name); ok {
		// Scalar computed fields are listed in the select permission; those
		// returning rows follow the returned table's select permission.
		cond, allowed := p.ComputedFields[cfd.Name]
		if cfd.ReturnTable != nil {
			_, allowed = cfd.ReturnTable.SelectPermission(b.role)
		}
		if !allowed {
			return nil, notFound(name, parentType(f, t.TypeName), path)
		}
		return b.computedField(t, cfd, cond, cf, path)
	}
	if strings.HasSuffix(name, "_connection") && b.in.Schema.Relay {
		if r, ok := t.Relationship(strings.TrimSuffix(name, "_connection")); ok && r.Kind == schema.ArrayRel {
			sel, err := b.connection(r.Target, nil, f.Arguments, cf.merged, path)
			if err != nil {
				return nil, err
			}
			sel.Join = r.Mapping
			return &Field{Alias: cf.alias, Kind: FieldConnection, Select: sel}, nil
		}
	}
	if strings.HasSuffix(name, "_aggregate") {
		if r, ok := t.Relationship(strings.TrimSuffix(name, "_aggregate")); ok && r.Kind == schema.ArrayRel {
			sel, err := b.tableSelectJoined(r, Aggregate, cf, path)
			if err != nil {
				return nil, err
			}
			return &Field{Alias: cf.alias, Kind: FieldArrayAgg, Select: sel}, nil
		}
	}
	return nil, notFound(name, parentType(f, t.TypeName), path)
}

func notFound(field, typeName, path string) *apierr.Error {
	return apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s'", field, typeName).At(path)
}

// parentType is the type a field was selected on, as validation resolved it.
func parentType(f *ast.Field, fallback string) string {
	if f.ObjectDefinition != nil {
		return f.ObjectDefinition.Name
	}
	return fallback
}

// output decides how a value of type t becomes JSON.
func (b *builder) output(typeName string, t interface{ IsArray() bool }) Output {
	switch typeName {
	case "geometry", "geography":
		return OutputGeoJSON
	case "int8", "numeric", "float8", "money":
		if b.in.Model != nil && b.in.Model.Options.StringifyNumericTypes {
			return OutputText
		}
	}
	return OutputJSON
}

func (b *builder) relField(r *schema.Relationship, cf *collectedField, path string) (*Field, error) {
	if r.Kind == schema.ObjectRel {
		sel, err := b.tableSelectJoined(r, One, cf, path)
		if err != nil {
			return nil, err
		}
		return &Field{Alias: cf.alias, Kind: FieldObjectRel, Select: sel}, nil
	}
	sel, err := b.tableSelectJoined(r, Many, cf, path)
	if err != nil {
		return nil, err
	}
	return &Field{Alias: cf.alias, Kind: FieldArrayRel, Select: sel}, nil
}

// tableSelectJoined plans the related rows of a relationship.
func (b *builder) tableSelectJoined(r *schema.Relationship, shape Shape, cf *collectedField, path string) (*Select, error) {
	var s *Select
	var err error
	if shape == One {
		p, perr := b.perm(r.Target, path)
		if perr != nil {
			return nil, perr
		}
		s = &Select{Shape: One, Table: r.Target, Perm: permFilter(p)}
		s.Fields, err = b.rowFields(r.Target, p, cf.merged, path)
	} else {
		s, err = b.tableSelect(r.Target, shape, cf.field.Arguments, cf.merged, path)
	}
	if err != nil {
		return nil, err
	}
	s.Join = r.Mapping
	return s, nil
}

// aggregateFields plans the selection set of <t>_aggregate.
func (b *builder) aggregateFields(s *Select, t *schema.Table, p *schema.SelectPerm, set ast.SelectionSet, path string) error {
	cfs, err := b.collect(set, t.TypeName+"_aggregate")
	if err != nil {
		return err
	}
	for _, cf := range cfs {
		fpath := path + ".selectionSet." + cf.alias
		switch cf.field.Name {
		case "__typename":
			s.Fields = append(s.Fields, &Field{Alias: cf.alias, Kind: FieldTypename, Typename: parentType(cf.field, t.TypeName+"_aggregate")})
		case "nodes":
			rows, err := b.rowFields(t, p, cf.merged, fpath)
			if err != nil {
				return err
			}
			s.Fields = append(s.Fields, &Field{Alias: cf.alias, Kind: FieldNodes, Children: rows})
		case "aggregate":
			agg, err := b.aggregateObject(t, p, cf, fpath)
			if err != nil {
				return err
			}
			s.Fields = append(s.Fields, agg)
		default:
			return notFound(cf.field.Name, parentType(cf.field, t.TypeName+"_aggregate"), fpath)
		}
	}
	return nil
}

func (b *builder) aggregateObject(t *schema.Table, p *schema.SelectPerm, cf *collectedField, path string) (*Field, error) {
	out := &Field{Alias: cf.alias, Kind: FieldAggregate}
	subs, err := b.collect(cf.merged, t.TypeName+"_aggregate_fields")
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		spath := path + ".selectionSet." + sub.alias
		switch sub.field.Name {
		case "__typename":
			out.Children = append(out.Children, &Field{Alias: sub.alias, Kind: FieldTypename, Typename: parentType(sub.field, t.TypeName+"_aggregate_fields")})
		case "count":
			f := &Field{Alias: sub.alias, Kind: FieldCount}
			for _, a := range sub.field.Arguments {
				switch a.Name {
				case "columns":
					for _, it := range b.items(astVal(a.Value)) {
						n, _ := b.name(it)
						c, ok := t.ColumnByField(n)
						if !ok {
							return nil, apierr.New(apierr.ValidationFailed, "unexpected value '%s' for columns", n).At(spath + ".args.columns")
						}
						f.CountColumns = append(f.CountColumns, b.visible(t, c))
					}
				case "distinct":
					d, _ := b.boolean(astVal(a.Value))
					f.CountDistinct = d
				}
			}
			out.Children = append(out.Children, f)
		default:
			op := sub.field.Name
			f := &Field{Alias: sub.alias, Kind: FieldAggOp, AggOp: op}
			cols, err := b.collect(sub.merged, "")
			if err != nil {
				return nil, err
			}
			for _, cc := range cols {
				if cc.field.Name == "__typename" {
					f.Children = append(f.Children, &Field{Alias: cc.alias, Kind: FieldTypename, Typename: parentType(cc.field, "")})
					continue
				}
				c, ok := t.ColumnByField(cc.field.Name)
				if !ok {
					return nil, notFound(cc.field.Name, parentType(cc.field, ""), spath+".selectionSet."+cc.alias)
				}
				cond := p.Columns[c.Name]
				// Hasura stringifies by the column's type, whatever the
				// operator returns (Translate/Select aggregateFieldToExp).
				outp := b.output(c.Type.Name, c.Type)
				if outp == OutputGeoJSON {
					outp = OutputJSON
				}
				f.Children = append(f.Children, &Field{Alias: cc.alias, Kind: FieldColumn, Column: c.BoolexpColumn(), Cond: cond, Output: outp})
			}
			out.Children = append(out.Children, f)
		}
	}
	return out, nil
}

func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}
