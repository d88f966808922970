package gql

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/graftql/graft/internal/apierr"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestInputValueErrors checks Note [input value errors]: an ill-typed
// literal or variable value is reported at its path inside the operation,
// in Hasura's words, whether it is written in the query, inside a
// fragment, or given as a variable.
func TestInputValueErrors(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: `
		enum color { red green }
		input int_exp { _eq: Int, _in: [Int!] }
		input color_exp { _eq: color }
		input t_bool_exp { n: int_exp, c: color_exp, _and: [t_bool_exp!] }
		input t_insert_input { n: Int, name: String, c: color }
		input pk_input { id: Int! }
		type T { id: Int, n: Int, u(limit: Int): [T] }
		type Query { t(where: t_bool_exp, limit: Int, offset: Int): [T], t_by_pk(pk: pk_input): T }
		type Mutation { insert_t(objects: [t_insert_input!]!): Int }`})
	for _, tc := range []struct {
		name, query, vars string
		code              apierr.Code
		path, message     string
	}{
		{"StringForInt", `{ t(where: {n: {_eq: "x"}}) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.where.n._eq", "expected a 32-bit integer for type 'Int', but found a string"},
		{"InList", `{ t(where: {_and: [{n: {_eq: 1}}, {n: {_in: [1, true]}}]}) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.where._and[1].n._in[1]", "expected a 32-bit integer for type 'Int', but found a boolean"},
		{"InFragment", `{ t { ...F } } fragment F on T { u(limit: 1.5) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.selectionSet.u.args.limit", "expected a non-negative 32-bit integer for type 'Int', but found a float"},
		{"StringLimit", `{ t(limit: "1") { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.limit", "expected a non-negative 32-bit integer for type 'Int', but found a string"},
		{"StringOffsetIsAnInteger", `{ t(offset: "x") { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.offset", "expected a 32-bit integer for type 'Int', but found a string"},
		{"Overflow", `mutation { insert_t(objects: [{n: 1}, {n: 2147483648}]) }`, ``,
			apierr.ParseFailed, "$.selectionSet.insert_t.args.objects[1].n", "The value 2.147483648e9 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?"},
		{"UnknownEnumValue", `{ t(where: {c: {_eq: blue}}) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.where.c._eq", "expected one of the values ['red', 'green'] for type 'color', but found 'blue'"},
		{"StringForEnum", `{ t(where: {c: {_eq: "red"}}) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.where.c._eq", "expected an enum value for type 'color', but found a string"},
		{"UnknownInputField", `mutation { insert_t(objects: [{nope: 1}]) }`, ``,
			apierr.ValidationFailed, "$.selectionSet.insert_t.args.objects[0].nope", "field 'nope' not found in type: 't_insert_input'"},
		{"MissingInputField", `{ t_by_pk(pk: {}) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t_by_pk.args.pk.id", "missing required field 'id'"},
		{"ScalarForObject", `{ t(where: 3) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.args.where", "expected an object for type 't_bool_exp', but found an integer"},
		{"VariableDeepType", `query($w: t_bool_exp) { t(where: $w) { id } }`, `{"w": {"n": {"_in": [1, "a"]}}}`,
			apierr.ValidationFailed, "$.selectionSet.t.args.where.n._in[1]", "expected a 32-bit integer for type 'Int', but found a string"},
		{"VariableEnum", `query($c: color) { t(where: {c: {_eq: $c}}) { id } }`, `{"c": "blue"}`,
			apierr.ValidationFailed, "$.selectionSet.t.args.where.c._eq", "expected one of the values ['red', 'green'] for type 'color', but found 'blue'"},
		{"VariableUnknownField", `mutation($o: [t_insert_input!]!) { insert_t(objects: $o) }`, `{"o": [{"n": 1}, {"nope": 1}]}`,
			apierr.ValidationFailed, "$.selectionSet.insert_t.args.objects[1].nope", "field 'nope' not found in type: 't_insert_input'"},
		{"VariableInFragment", `query($n: Int) { t { ...F } } fragment F on T { u(limit: $n) { id } }`, `{"n": "x"}`,
			apierr.ValidationFailed, "$.selectionSet.t.selectionSet.u.args.limit", "expected a non-negative 32-bit integer for type 'Int', but found a string"},
		{"NullForRequired", `{ t_by_pk(pk: {id: null}) { id } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t_by_pk.args.pk.id", "unexpected null value for type 'Int'"},
		{"VariableNullForRequired", `query($p: pk_input) { t_by_pk(pk: $p) { id } }`, `{"p": {"id": null}}`,
			apierr.ValidationFailed, "$.selectionSet.t_by_pk.args.pk.id", "unexpected null value for type 'Int'"},
		{"VariableOverflow", `query($l: Int) { t(limit: $l) { id } }`, `{"l": 3000000000}`,
			apierr.ParseFailed, "$.selectionSet.t.args.limit", "The value 3.0e9 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?"},
		{"VariableOverflowInside", `mutation($o: [t_insert_input!]!) { insert_t(objects: $o) }`, `{"o": [{"n": 1}, {"n": -2147483649}]}`,
			apierr.ParseFailed, "$.selectionSet.insert_t.args.objects[1].n", "The value -2.147483649e9 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?"},
		{"DefaultOverflow", `query($l: Int = 99999999999) { t(limit: $l) { id } }`, `{}`,
			apierr.ParseFailed, "$.selectionSet.t.args.limit", "The value 9.9999999999e10 lies outside the bounds or is not an integer. Maybe it is a float, or is there integer overflow?"},
		{"VariableMissing", `query($n: Int!) { t(limit: $n) { id } }`, `{}`,
			apierr.ValidationFailed, "$", `expecting a value for non-nullable variable: "n"`},
		{"FragmentCycle", `{ t { ...A } } fragment A on T { u { ...B } } fragment B on T { u { ...A } }`, ``,
			apierr.ValidationFailed, "$.selectionSet.t.selectionSet.A.selectionSet.u.selectionSet.B.selectionSet.u.selectionSet", "the fragment definition(s) A and B form a cycle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := parseAndCoerce(s, tc.query, tc.vars)
			var e *apierr.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want a %s error", err, tc.code)
			}
			if e.Code != tc.code || e.Path != tc.path || e.Message != tc.message {
				t.Errorf("got %s at %s: %q\nwant %s at %s: %q", e.Code, e.Path, e.Message, tc.code, tc.path, tc.message)
			}
		})
	}
}

func parseAndCoerce(s *ast.Schema, query, vars string) error {
	doc, err := Parse(s, query)
	if err != nil {
		return err
	}
	op, err := Operation(doc, "")
	if err != nil {
		return err
	}
	given := map[string]any{}
	if vars != "" {
		d := json.NewDecoder(strings.NewReader(vars))
		d.UseNumber()
		if err := d.Decode(&given); err != nil {
			return err
		}
	}
	_, err = Variables(s, op, given)
	return err
}

func TestScientific(t *testing.T) {
	for in, want := range map[string]string{
		"2147483648": "2.147483648e9", "3000000000": "3.0e9", "-2147483649": "-2.147483649e9", "10": "1.0e1",
	} {
		if got := scientific(in); got != want {
			t.Errorf("scientific(%s) = %s, want %s", in, got, want)
		}
	}
}
