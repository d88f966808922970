package plan

import (
	"encoding/json"
	"sort"
	"strconv"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/vektah/gqlparser/v2/ast"
)

// val is an argument value: a node of the document, or a JSON value that
// came from a variable. Reading a variable's value through val marks the
// variable structural (its value shapes the plan).
type val struct {
	a *ast.Value // nil when the value came from a variable
	j any        // JSON value (nil, bool, json.Number, string, []any, map[string]any)
}

func astVal(a *ast.Value) val { return val{a: a} }

// resolve replaces a variable reference by the variable's value.
func (b *builder) resolve(v val) val {
	if v.a != nil && v.a.Kind == ast.Variable {
		b.structural(v.a.Raw)
		return val{j: normalizeJSON(b.vars[v.a.Raw])}
	}
	return v
}

func (b *builder) structural(name string) {
	for _, n := range b.root.StructuralVars {
		if n == name {
			return
		}
	}
	b.root.StructuralVars = append(b.root.StructuralVars, name)
}

func (b *builder) isNull(v val) bool {
	v = b.resolve(v)
	if v.a != nil {
		return v.a.Kind == ast.NullValue
	}
	return v.j == nil
}

type kv struct {
	name string
	v    val
}

// fields returns an input object's fields in document order (sorted by
// name for JSON objects, as Hasura's JSON decoding orders them). A value
// that is not an object yields an error.
func (b *builder) fields(v val, path string) ([]kv, error) {
	v = b.resolve(v)
	if v.a != nil {
		if v.a.Kind != ast.ObjectValue {
			return nil, apierr.New(apierr.ValidationFailed, "expected an object, but found %s", kindName(v)).At(path)
		}
		out := make([]kv, 0, len(v.a.Children))
		for _, c := range v.a.Children {
			out = append(out, kv{c.Name, astVal(c.Value)})
		}
		return out, nil
	}
	m, ok := v.j.(map[string]any)
	if !ok {
		return nil, apierr.New(apierr.ValidationFailed, "expected an object, but found %s", kindName(v)).At(path)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]kv, 0, len(keys))
	for _, k := range keys {
		out = append(out, kv{k, val{j: m[k]}})
	}
	return out, nil
}

// items returns a list's elements; a non-list value is a one-element list
// (GraphQL input coercion).
func (b *builder) items(v val) []val {
	v = b.resolve(v)
	if v.a != nil {
		if v.a.Kind != ast.ListValue {
			if v.a.Kind == ast.NullValue {
				return nil
			}
			return []val{v}
		}
		out := make([]val, 0, len(v.a.Children))
		for _, c := range v.a.Children {
			out = append(out, astVal(c.Value))
		}
		return out
	}
	switch l := v.j.(type) {
	case nil:
		return nil
	case []any:
		out := make([]val, len(l))
		for i, e := range l {
			out[i] = val{j: e}
		}
		return out
	}
	return []val{v}
}

// name returns an enum value or string.
func (b *builder) name(v val) (string, bool) {
	v = b.resolve(v)
	if v.a != nil {
		switch v.a.Kind {
		case ast.EnumValue, ast.StringValue, ast.BlockValue:
			return v.a.Raw, true
		}
		return "", false
	}
	s, ok := v.j.(string)
	return s, ok
}

// boolean returns a Boolean value.
func (b *builder) boolean(v val) (bool, bool) {
	v = b.resolve(v)
	if v.a != nil {
		if v.a.Kind == ast.BooleanValue {
			return v.a.Raw == "true", true
		}
		return false, false
	}
	x, ok := v.j.(bool)
	return x, ok
}

// integer returns an Int value known at plan time.
func (b *builder) integer(v val) (int64, bool) {
	v = b.resolve(v)
	if v.a != nil {
		if v.a.Kind != ast.IntValue {
			return 0, false
		}
		n, err := strconv.ParseInt(v.a.Raw, 10, 64)
		return n, err == nil
	}
	switch n := v.j.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// operand returns v as a parameter of type t: a variable stays a variable
// (bound per request); anything else becomes a constant. A variable nested
// in a list or object literal is read structurally.
func (b *builder) operand(v val, t boolexp.Type) boolexp.Operand {
	if v.a != nil && v.a.Kind == ast.Variable {
		return boolexp.Operand{Value: boolexp.Var{Name: v.a.Raw}, Type: t}
	}
	return boolexp.Operand{Value: boolexp.Const{V: b.jsonOf(v)}, Type: t}
}

// jsonOf converts a value to decoded JSON, resolving nested variables.
func (b *builder) jsonOf(v val) any {
	v = b.resolve(v)
	if v.a == nil {
		return v.j
	}
	a := v.a
	switch a.Kind {
	case ast.NullValue:
		return nil
	case ast.IntValue, ast.FloatValue:
		return json.Number(a.Raw)
	case ast.BooleanValue:
		return a.Raw == "true"
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		return a.Raw
	case ast.ListValue:
		out := make([]any, len(a.Children))
		for i, c := range a.Children {
			out[i] = b.jsonOf(astVal(c.Value))
		}
		return out
	case ast.ObjectValue:
		out := make(map[string]any, len(a.Children))
		for _, c := range a.Children {
			out[c.Name] = b.jsonOf(astVal(c.Value))
		}
		return out
	}
	return nil
}

// normalizeJSON turns float64s (from variables decoded without UseNumber,
// or from gqlparser's coercion of Int/Float) into json.Number so that every
// number has one form.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	case float32:
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case int:
		return json.Number(strconv.Itoa(x))
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeJSON(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalizeJSON(e)
		}
		return out
	}
	return v
}

func kindName(v val) string {
	if v.a != nil {
		switch v.a.Kind {
		case ast.ListValue:
			return "a list"
		case ast.ObjectValue:
			return "an object"
		case ast.NullValue:
			return "null"
		case ast.StringValue, ast.BlockValue:
			return "a string"
		case ast.IntValue, ast.FloatValue:
			return "a number"
		case ast.BooleanValue:
			return "a boolean"
		case ast.EnumValue:
			return "an enum value"
		}
		return "a value"
	}
	switch v.j.(type) {
	case nil:
		return "null"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a value"
}
