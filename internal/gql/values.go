package gql

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Note [input value errors]: Hasura parses argument values, and the
// variables inside them, where they are used, so an ill-typed value is
// reported at its JSON path inside the operation
// ($.selectionSet.users.args.where.favorite_color._eq,
// ...args.objects[0].name), with the wording of Hasura's parsers
// (Hasura/GraphQL/Parser/Internal/Scalars.hs, Input.hs):
// "expected a 32-bit integer for type 'Int', but found a string". gqlparser
// checks the same things earlier, in graphql-js words; the functions here
// find the value it complains about and say it Hasura's way.

// node is a place in an operation: a field, an argument's name, an input
// object field's name, or a value, with its Hasura path.
type node struct {
	path  string
	pos   *ast.Position
	value *ast.Value // the value, for a value node
	arg   string     // the argument, for an argument's own value
	field string     // the input object field, for a field name node
}

// walkNodes visits the nodes of set, depth first in document order,
// following fragment spreads through fragment, until visit returns true.
// Each fragment is walked once, at its first spread (visited records them,
// across the walks that share it): the walk stays linear in the document's
// size however often fragments spread each other.
func walkNodes(set ast.SelectionSet, path string, fragment func(*ast.FragmentSpread) *ast.FragmentDefinition, visited map[string]bool, visit func(node) bool) bool {
	var value func(v *ast.Value, n node, depth int) bool
	value = func(v *ast.Value, n node, depth int) bool {
		if v == nil || depth > 64 {
			return false
		}
		n.value, n.pos = v, v.Position
		if visit(n) {
			return true
		}
		for i, c := range v.Children {
			if v.Kind == ast.ListValue {
				if value(c.Value, node{path: n.path + "[" + strconv.Itoa(i) + "]"}, depth+1) {
					return true
				}
				continue
			}
			p := n.path + "." + c.Name
			if visit(node{path: p, pos: c.Position, field: c.Name}) || value(c.Value, node{path: p}, depth+1) {
				return true
			}
		}
		return false
	}
	var walk func(set ast.SelectionSet, prefix string, depth int) bool
	walk = func(set ast.SelectionSet, prefix string, depth int) bool {
		if depth > 64 {
			return false
		}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				p := prefix + ".selectionSet." + s.Alias
				if visit(node{path: p, pos: s.Position}) {
					return true
				}
				for _, a := range s.Arguments {
					ap := p + ".args." + a.Name
					if visit(node{path: ap, pos: a.Position}) || value(a.Value, node{path: ap, arg: a.Name}, 0) {
						return true
					}
				}
				if walk(s.SelectionSet, p, depth+1) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet, prefix, depth+1) {
					return true
				}
			case *ast.FragmentSpread:
				if f := fragment(s); f != nil && !visited[s.Name] {
					visited[s.Name] = true
					if walk(f.SelectionSet, prefix, depth+1) {
						return true
					}
				}
			}
		}
		return false
	}
	return walk(set, path, 0)
}

// locate finds the node at line:col. A node inside a fragment gets the
// path of its first use in an operation; a fragment no operation uses is
// walked on its own.
func locate(doc *ast.QueryDocument, line, col int) (node, bool) {
	var found node
	at := func(n node) bool {
		if n.pos != nil && n.pos.Line == line && n.pos.Column == col {
			found = n
			return true
		}
		return false
	}
	fragment := func(s *ast.FragmentSpread) *ast.FragmentDefinition {
		if s.Definition != nil {
			return s.Definition
		}
		return doc.Fragments.ForName(s.Name)
	}
	visited := map[string]bool{}
	for _, op := range doc.Operations {
		if walkNodes(op.SelectionSet, "$", fragment, visited, at) {
			return found, true
		}
	}
	for _, f := range doc.Fragments {
		if !visited[f.Name] {
			visited[f.Name] = true
			if walkNodes(f.SelectionSet, "$", fragment, visited, at) {
				return found, true
			}
		}
	}
	return node{path: "$"}, false
}

// nonNegativeArgs are the arguments Hasura parses as non-negative Ints.
var nonNegativeArgs = map[string]bool{"limit": true, "batch_size": true, "first": true, "last": true}

// literalError rewrites gqlparser's complaint about the literal at n in
// Hasura's words; ok is false for errors of another kind.
func literalError(n node, msg string) (*apierr.Error, bool) {
	v := n.value
	if v == nil || v.ExpectedType == nil || v.Definition == nil {
		return nil, false
	}
	switch {
	case strings.HasPrefix(msg, "Int cannot represent non 32-bit"):
		return intOverflow(v.Raw), true
	case v.Kind == ast.NullValue && strings.HasPrefix(msg, "Expected value of type "):
		return unexpectedNull(v.Definition), true
	case strings.Contains(msg, " cannot represent "), strings.HasPrefix(msg, "Expected value of type "):
		if nonNegativeArgs[n.arg] && v.Definition.Name == "Int" {
			return errNonNegative(describeLiteral(v)), true
		}
		return typeMismatch(v.Definition, describeLiteral(v)), true
	case strings.HasPrefix(msg, "Value ") && strings.Contains(msg, " does not exist in "):
		return badEnumValue(v.Definition, v.Raw), true
	}
	return nil, false
}

// checkIntRange refuses Int literals outside 32 bits, which gqlparser lets
// through, as Hasura's Int parser does.
func checkIntRange(doc *ast.QueryDocument) error {
	var bad node
	check := func(n node) bool {
		v := n.value
		if v == nil || v.Kind != ast.IntValue || v.Definition == nil || v.Definition.Name != "Int" {
			return false
		}
		if _, err := strconv.ParseInt(v.Raw, 10, 32); err != nil {
			bad = n
			return true
		}
		return false
	}
	fragment := func(s *ast.FragmentSpread) *ast.FragmentDefinition { return s.Definition }
	visited := map[string]bool{}
	for _, op := range doc.Operations {
		if walkNodes(op.SelectionSet, "$", fragment, visited, check) {
			return intOverflow(bad.value.Raw).At(bad.path)
		}
	}
	return nil
}

func intOverflow(raw string) *apierr.Error {
	return apierr.New(apierr.ParseFailed, "The value %s lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?", scientific(raw))
}

// typeMismatch is Hasura's error for a value of the wrong kind for def.
func typeMismatch(def *ast.Definition, found string) *apierr.Error {
	return apierr.New(apierr.ValidationFailed, "expected %s for type '%s', but found %s", expectedKind(def), def.Name, found)
}

// badEnumValue is Hasura's error for a name that is not a value of enum def.
func badEnumValue(def *ast.Definition, got string) *apierr.Error {
	names := make([]string, len(def.EnumValues))
	for i, e := range def.EnumValues {
		names[i] = "'" + e.Name + "'"
	}
	return apierr.New(apierr.ValidationFailed, "expected one of the values [%s] for type '%s', but found '%s'", strings.Join(names, ", "), def.Name, got)
}

func expectedKind(def *ast.Definition) string {
	switch def.Kind {
	case ast.Enum:
		return "an enum value"
	case ast.InputObject:
		return "an object"
	}
	switch def.Name {
	case "Int":
		return "a 32-bit integer"
	case "Float":
		return "a float"
	case "String":
		return "a string"
	case "Boolean":
		return "a boolean"
	case "ID":
		return "a String or a 32-bit integer"
	}
	return "a value"
}

func describeLiteral(v *ast.Value) string {
	switch v.Kind {
	case ast.IntValue:
		return "an integer"
	case ast.FloatValue:
		return "a float"
	case ast.StringValue, ast.BlockValue:
		return "a string"
	case ast.BooleanValue:
		return "a boolean"
	case ast.NullValue:
		return "null"
	case ast.EnumValue:
		return "an enum value"
	case ast.ListValue:
		return "a list"
	case ast.ObjectValue:
		return "an object"
	}
	return "a variable"
}

func describeJSON(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64, int64, int:
		return "a number"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "a value"
}

// scientific writes an integer literal as Haskell's Scientific shows it
// (2147483648 → 2.147483648e9), the form Hasura's overflow message uses.
func scientific(digits string) string {
	neg := strings.HasPrefix(digits, "-")
	digits = strings.TrimLeft(strings.TrimPrefix(digits, "-"), "0")
	if digits == "" {
		return "0.0"
	}
	exp := len(digits) - 1
	mant := strings.TrimRight(digits[1:], "0")
	if mant == "" {
		mant = "0"
	}
	s := fmt.Sprintf("%c.%se%d", digits[0], mant, exp)
	if neg {
		s = "-" + s
	}
	return s
}

// varError rewrites gqlparser's complaint about a variable's value: the
// path is where the variable is used in op (Note [input value errors]),
// followed by the path inside the value; the message is Hasura's.
func varError(s *ast.Schema, op *ast.OperationDefinition, given map[string]any, ge *gqlerror.Error, name string) error {
	def := op.VariableDefinitions.ForName(name)
	if def == nil || len(ge.Path) < 2 {
		return nil
	}
	usage, ok := variableUse(op, name)
	if !ok {
		return nil
	}
	path := usage.path
	t := def.Type
	v := given[name]
	for _, el := range ge.Path[2:] {
		switch el := el.(type) {
		case ast.PathName:
			d := s.Types[t.Name()]
			path += "." + string(el)
			if d == nil || d.Kind != ast.InputObject {
				return nil
			}
			f := d.Fields.ForName(string(el))
			if f == nil {
				return apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s'", string(el), d.Name).At(path)
			}
			if ge.Message == "must be defined" {
				return apierr.New(apierr.ValidationFailed, "missing required field '%s'", string(el)).At(path)
			}
			t = f.Type
			m, _ := v.(map[string]any)
			v = m[string(el)]
		case ast.PathIndex:
			path += "[" + strconv.Itoa(int(el)) + "]"
			if t.Elem != nil {
				t = t.Elem
			}
			if l, ok := v.([]any); ok && int(el) < len(l) {
				v = l[el]
			}
		}
	}
	d := s.Types[t.Name()]
	if d == nil {
		return nil
	}
	switch str, isString := v.(string); {
	case v == nil:
		return unexpectedNull(d).At(path)
	case isString && d.Kind == ast.Enum:
		return badEnumValue(d, str).At(path)
	case len(ge.Path) == 2 && nonNegativeArgs[usage.arg] && d.Name == "Int":
		return errNonNegative(describeJSON(v)).At(path)
	}
	return typeMismatch(d, describeJSON(v)).At(path)
}

// unexpectedNull is Hasura's error for null where def's value is required.
func unexpectedNull(def *ast.Definition) *apierr.Error {
	return apierr.New(apierr.ValidationFailed, "unexpected null value for type '%s'", def.Name)
}

// errNonNegative is Hasura's error for a count (limit, ...) that is not a
// non-negative Int.
func errNonNegative(found string) *apierr.Error {
	return apierr.New(apierr.ValidationFailed, "expected a non-negative 32-bit integer for type 'Int', but found %s", found)
}

// variableUse returns the first argument value that uses variable name in
// op, following fragment spreads (whose definitions validation has filled
// in).
func variableUse(op *ast.OperationDefinition, name string) (node, bool) {
	var found node
	ok := walkNodes(op.SelectionSet, "$", func(s *ast.FragmentSpread) *ast.FragmentDefinition { return s.Definition }, map[string]bool{}, func(n node) bool {
		if n.value != nil && n.value.Kind == ast.Variable && n.value.Raw == name {
			found = n
			return true
		}
		return false
	})
	return found, ok
}

// checkVarInts refuses Int values beyond 32 bits anywhere in the
// variables (given, or defaults), which gqlparser lets through, as Hasura's
// Int parser does; the error is at the variable's use.
func checkVarInts(s *ast.Schema, op *ast.OperationDefinition, vars map[string]any) error {
	for _, def := range op.VariableDefinitions {
		v, ok := vars[def.Variable]
		if !ok || v == nil {
			continue
		}
		digits, inner, bad := intRange(s, def.Type, v, 0)
		if !bad {
			continue
		}
		// Only now look for where the variable is used: the walk is for
		// errors, not for every request.
		path := "$.variableValues." + def.Variable
		if use, ok := variableUse(op, def.Variable); ok {
			path = use.path
		}
		return intOverflow(digits).At(path + inner)
	}
	return nil
}

// intRange finds an Int beyond 32 bits in v, of type t: its digits and its
// path inside v.
func intRange(s *ast.Schema, t *ast.Type, v any, depth int) (digits, path string, bad bool) {
	if v == nil || depth > 64 {
		return "", "", false
	}
	if t.Elem != nil {
		l, ok := v.([]any)
		if !ok { // a single value for a list
			return intRange(s, t.Elem, v, depth+1)
		}
		for i, e := range l {
			if digits, path, bad := intRange(s, t.Elem, e, depth+1); bad {
				return digits, "[" + strconv.Itoa(i) + "]" + path, true
			}
		}
		return "", "", false
	}
	if t.NamedType == "Int" {
		digits, bad := outsideInt32(v)
		return digits, "", bad
	}
	d := s.Types[t.NamedType]
	m, ok := v.(map[string]any)
	if d == nil || d.Kind != ast.InputObject || !ok {
		return "", "", false
	}
	for _, f := range d.Fields {
		if e, ok := m[f.Name]; ok {
			if digits, path, bad := intRange(s, f.Type, e, depth+1); bad {
				return digits, "." + f.Name + path, true
			}
		}
	}
	return "", "", false
}

// outsideInt32 reports a number beyond 32 bits, with its integer digits.
func outsideInt32(v any) (string, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		if _, err := strconv.ParseInt(string(n), 10, 32); err == nil {
			return "", false
		}
		var err error
		if f, err = strconv.ParseFloat(string(n), 64); err != nil {
			return "", false
		}
	case int64:
		f = float64(n)
	case int:
		f = float64(n)
	case float64:
		f = n
	default:
		return "", false
	}
	if f >= math.MinInt32 && f <= math.MaxInt32 {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', 0, 64), true
}
