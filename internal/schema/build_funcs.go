package schema

import (
	"errors"
	"fmt"
	"strings"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Note [function permissions]
//
// A role may call a tracked function when it has a function permission;
// an inherited role has one when a parent has (mkBooleanPermissionMap).
// With inferred function permissions (the default), a role may also call a
// function exposed as a query when it may select from the function's
// return table; mutation functions always need an explicit permission
// (hasura/graphql-engine: GraphQL/Schema.hs, "we don't expose the mutation
// functions for non-admin roles" when permissions are inferred).

// buildFunctions runs phase 5 (Note [building the model]).
func (b *builder) buildFunctions() {
	seen := map[catalog.QualifiedName]bool{}
	for _, mf := range b.src.Functions {
		q := mf.Function.QualifiedName
		id := metadata.FunctionID(b.in.Source, q)
		// Metadata keys functions by name: the first entry counts.
		if seen[q] {
			continue
		}
		seen[q] = true
		f, err := b.function(mf)
		if err != nil {
			var de *depError
			reason := fmt.Sprintf("in function %s: %s", quoteQN(q), err)
			if errors.As(err, &de) {
				reason = de.msg
			}
			b.fail(id, reason, qn(q))
			continue
		}
		b.m.Functions = append(b.m.Functions, f)
	}
}

func (b *builder) function(mf *metadata.Function) (*Function, error) {
	q := mf.Function.QualifiedName
	fn, err := b.singleFunction(q)
	if err != nil {
		return nil, err
	}
	cfg := mf.Configuration
	if cfg == nil {
		cfg = &metadata.FunctionConfig{}
	}
	var errs []string
	if !isGraphQLName(qualifiedSnake(q)) {
		errs = append(errs, "function name is not a legal GraphQL identifier")
	}
	if fn.HasVariadic {
		errs = append(errs, `function with "VARIADIC" parameters are not supported`)
	}
	if fn.ReturnType == nil || fn.ReturnType.Kind != catalog.TypeComposite {
		errs = append(errs, `the function does not return a "COMPOSITE" type`)
	}
	if fn.ReturnTable == nil {
		errs = append(errs, "the function does not return a table")
	}
	if fn.Volatility != 'v' && cfg.ExposedAs == "mutation" {
		errs = append(errs, "the function was requested to be exposed as a mutation, but is not marked VOLATILE. "+
			"Maybe the function was given the wrong volatility when it was defined?")
	}
	mutation := fn.Volatility == 'v'
	switch cfg.ExposedAs {
	case "query":
		mutation = false
	case "mutation":
		mutation = true
	}
	args := functionArgs(fn)
	var badNames []string
	for _, a := range args {
		if a.name != "" && !isGraphQLName(a.name) {
			badNames = append(badNames, a.name)
		}
	}
	if len(badNames) > 0 {
		errs = append(errs, "the function arguments "+strings.Join(badNames, ",")+" are not in compliance with GraphQL spec")
	}
	sessionArg := -1
	if sa := cfg.SessionArgument; sa != "" {
		for i, a := range args {
			if a.name == sa {
				sessionArg = i
			}
		}
		switch {
		case sessionArg < 0:
			errs = append(errs, fmt.Sprintf("given session argument %q not the input argument of the function", sa))
		case baseType(args[sessionArg].typ).Name != "json":
			// refute: no further errors are collected.
			errs = append(errs, fmt.Sprintf("given session argument %q is not of type json", sa))
			return nil, fmt.Errorf("the function %s cannot be tracked %s", quoteQN(q), reasonMessage(errs))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("the function %s cannot be tracked %s", quoteQN(q), reasonMessage(errs))
	}
	// The return table is a dependency, resolved like Hasura's.
	rt, ok := b.tables[*fn.ReturnTable]
	if !ok {
		return nil, &depError{fmt.Sprintf("table %s is not tracked", quoteQN(*fn.ReturnTable))}
	}
	f := &Function{
		Name:        q,
		Info:        fn,
		Meta:        mf,
		ReturnTable: rt.t,
		ReturnsSet:  fn.ReturnsSet,
		Mutation:    mutation,
		SessionArg:  sessionArg,
		Args:        userArgs(args, -1, sessionArg, b.scalarName),
		Roles:       map[string]bool{},
	}
	switch {
	case mf.Comment != nil:
		f.Description = *mf.Comment
	default:
		f.Description = fn.Description
	}
	n := b.m.Naming()
	f.FieldName = n.FunctionFieldName(f, false)
	f.AggregateFieldName = n.FunctionFieldName(f, true)
	f.ArgsTypeName = n.FunctionArgsType(f)
	b.functionRoles(f)
	return f, nil
}

// functionRoles fills f.Roles (Note [function permissions]).
func (b *builder) functionRoles(f *Function) {
	for _, p := range f.Meta.Permissions {
		if p.Role != "admin" {
			f.Roles[p.Role] = true
		}
	}
	for _, ir := range b.roleOrder {
		for _, p := range ir.parents {
			if f.Roles[p] {
				f.Roles[ir.name] = true
				break
			}
		}
	}
	if b.in.Options.InferFunctionPermissions && !f.Mutation {
		for role := range f.ReturnTable.Select {
			f.Roles[role] = true
		}
	}
}
