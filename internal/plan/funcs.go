package plan

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// callArgs builds the argument list of a function call from the client's
// `args` object. The row and session arguments go at their positions.
// Arguments are positional up to the first omitted one (which must have a
// default); the rest use named notation, as PostgreSQL requires.
func (b *builder) callArgs(nargs, tableArg, sessionArg int, params []*schema.FunctionArg, args *ast.Argument, path string) ([]FunctionArg, error) {
	given := map[string]val{}
	if args != nil && !b.isNull(astVal(args.Value)) {
		kvs, err := b.fields(astVal(args.Value), path+".args.args")
		if err != nil {
			return nil, err
		}
		for _, e := range kvs {
			given[e.name] = e.v
		}
	}
	byIndex := map[int]*schema.FunctionArg{}
	for _, p := range params {
		byIndex[p.Index] = p
		if _, ok := given[p.Name]; !ok && !p.HasDefault {
			return nil, apierr.New(apierr.ValidationFailed, "missing required field '%s'", p.Name).At(path + ".args.args")
		}
	}
	for name := range given {
		found := false
		for _, p := range params {
			if p.Name == name {
				found = true
			}
		}
		if !found {
			return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in the function arguments", name).At(path + ".args.args")
		}
	}
	var out []FunctionArg
	named := false
	for i := 0; i < nargs; i++ {
		switch {
		case i == tableArg:
			out = append(out, FunctionArg{Row: true, Name: nameIf(named, "")})
		case i == sessionArg:
			out = append(out, FunctionArg{Session: true, Name: nameIf(named, "")})
		default:
			p := byIndex[i]
			if p == nil {
				continue
			}
			v, ok := given[p.Name]
			if !ok {
				named = true
				continue
			}
			op := b.operand(v, boolexp.TypeOf(p.Type))
			out = append(out, FunctionArg{Value: &op, Name: nameIf(named, p.Name)})
		}
	}
	return out, nil
}

func nameIf(named bool, name string) string {
	if named {
		return name
	}
	return ""
}

// computedField plans a computed field of t.
func (b *builder) computedField(t *schema.Table, cfd *schema.ComputedField, cond boolexp.Expr, cf *collectedField, path string) (*Field, error) {
	args, err := b.callArgs(len(cfd.Function.Args), cfd.TableArg, cfd.SessionArg, cfd.Args, cf.field.Arguments.ForName("args"), path)
	if err != nil {
		return nil, err
	}
	call := &FunctionCall{Name: cfd.Function.Name, Args: args}
	if cfd.ReturnTable == nil {
		out := OutputJSON
		if cfd.ResultType != nil {
			out = b.output(cfd.ResultType.Name, cfd.ResultType)
		}
		return &Field{Alias: cf.alias, Kind: FieldComputed, Call: call, Cond: cond, Output: out}, nil
	}
	shape := One
	if cfd.ReturnsSet {
		shape = Many
	}
	sel, err := b.tableSelect(cfd.ReturnTable, shape, cf.field.Arguments, cf.merged, path)
	if err != nil {
		return nil, err
	}
	sel.Function = call
	return &Field{Alias: cf.alias, Kind: FieldComputedSet, Select: sel, Cond: cond}, nil
}

// functionSelect plans a tracked function's root field.
func (b *builder) functionSelect(bind *schema.RootField, args ast.ArgumentList, set ast.SelectionSet, path string) (*Select, error) {
	fn := bind.Function
	callArgs, err := b.callArgs(len(fn.Info.Args), -1, fn.SessionArg, fn.Args, args.ForName("args"), path)
	if err != nil {
		return nil, err
	}
	shape := Many
	switch {
	case bind.Kind == schema.RootFunctionAggregate:
		shape = Aggregate
	case !fn.ReturnsSet:
		shape = One
	}
	t := fn.ReturnTable
	var sel *Select
	if shape == One {
		p, err := b.perm(t, path)
		if err != nil {
			return nil, err
		}
		sel = &Select{Shape: One, Table: t, Perm: permFilter(p)}
		if err := b.listArgs(sel, t, args, path); err != nil {
			return nil, err
		}
		sel.Fields, err = b.rowFields(t, p, set, path)
		if err != nil {
			return nil, err
		}
	} else {
		sel, err = b.tableSelect(t, shape, args, set, path)
		if err != nil {
			return nil, err
		}
	}
	sel.Function = &FunctionCall{Name: fn.Name, Args: callArgs}
	return sel, nil
}

// jsonPath parses the path argument of a json/jsonb column into a text[]
// operand ("$.a.b[0]", ".a", "a", "['k']", "a[\"k\"]").
func (b *builder) jsonPath(v val, path string) (*boolexp.Operand, error) {
	s, ok := b.name(v)
	if !ok {
		return nil, apierr.New(apierr.ValidationFailed, "expected a string for the path argument").At(path)
	}
	elems, err := parseJSONPath(s)
	if err != nil {
		return nil, apierr.New(apierr.ValidationFailed, "parse json path error: %s", err.Error()).At(path)
	}
	list := make([]any, len(elems))
	for i, e := range elems {
		list[i] = e
	}
	return &boolexp.Operand{Value: boolexp.Const{V: list}, Type: boolexp.Type{SQL: "text", Dims: 1}}, nil
}

type pathError string

func (e pathError) Error() string { return string(e) }

// parseJSONPath parses Hasura's JSON path syntax (Hasura.Base.JSONPath /
// Data.Parser.JSONPath): an optional leading "$", then keys separated by
// "." or in brackets (['key'], ["key"]), and array indices ([0]).
func parseJSONPath(s string) ([]string, error) {
	s = strings.TrimPrefix(s, "$")
	var out []string
	i := 0
	first := true
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			if i < len(s) && s[i] == '[' {
				continue
			}
			k, n := readKey(s[i:])
			if n == 0 {
				return nil, pathError("expected a key after '.'")
			}
			out = append(out, k)
			i += n
		case '[':
			i++
			if i >= len(s) {
				return nil, pathError("unterminated '['")
			}
			if s[i] == '\'' || s[i] == '"' {
				q := s[i]
				j := strings.IndexByte(s[i+1:], q)
				if j < 0 {
					return nil, pathError("unterminated quoted key")
				}
				out = append(out, s[i+1:i+1+j])
				i += j + 2
			} else {
				j := strings.IndexByte(s[i:], ']')
				if j < 0 {
					return nil, pathError("unterminated '['")
				}
				idx := s[i : i+j]
				if _, err := strconv.Atoi(idx); err != nil {
					return nil, pathError("invalid array index " + strconv.Quote(idx))
				}
				out = append(out, idx)
				i += j
			}
			if i >= len(s) || s[i] != ']' {
				return nil, pathError("expected ']'")
			}
			i++
		default:
			if !first {
				return nil, pathError("unexpected " + strconv.Quote(string(s[i])))
			}
			k, n := readKey(s[i:])
			if n == 0 {
				return nil, pathError("unexpected " + strconv.Quote(string(s[i])))
			}
			out = append(out, k)
			i += n
		}
		first = false
	}
	return out, nil
}

func readKey(s string) (string, int) {
	n := 0
	for n < len(s) {
		r, w := utf8.DecodeRuneInString(s[n:])
		if r == '.' || r == '[' {
			break
		}
		n += w
	}
	return s[:n], n
}
