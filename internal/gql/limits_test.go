package gql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestParse_SizeLimits checks Note [query size limits]: documents whose
// validation or planning would take quadratic or exponential time are
// refused with a validation error before validation runs, and documents
// at the limits still pass.
func TestParse_SizeLimits(t *testing.T) {
	s := gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { t: [T] }
		type T { id: Int, name: String, u: [T] }`})
	repeat := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(f(i))
			b.WriteByte(' ')
		}
		return b.String()
	}
	chain := func(n int) string {
		q := fmt.Sprintf("{ t { ...F%d } } fragment F0 on T { id name } ", n-1)
		for i := 1; i < n; i++ {
			q += fmt.Sprintf("fragment F%d on T { ...F%d ...F%d } ", i, i-1, i-1)
		}
		return q
	}
	for _, tc := range []struct {
		name, query, err string
	}{
		{"SameNameAtLimit", "{ " + repeat(maxSameName, func(int) string { return "t { id }" }) + "}", ""},
		{"SameNameOverLimit", "{ " + repeat(maxSameName+1, func(int) string { return "t { id }" }) + "}",
			`the query selects "t" more than 100 times in one selection set`},
		{"SameNameThroughFragments", "{ t { " + repeat(maxSameName+1, func(i int) string { return fmt.Sprintf("...F%d", i) }) + "} } " +
			repeat(maxSameName+1, func(i int) string { return fmt.Sprintf("fragment F%d on T { id }", i) }),
			`the query selects "id" more than 100 times in one selection set`},
		// 20 t fields with 20 u fields each: 20 and 20 as written, but
		// 400 u fields once the t fields merge.
		{"SameNameAfterMerging", "{ " + repeat(20, func(int) string { return "t { " + repeat(20, func(int) string { return "u { id }" }) + "}" }) + "}",
			`the query selects "u" more than 100 times in one selection set`},
		// A fragment spread twice at one level is expanded once, as
		// CollectFields does: a chain of 40 doublings is 40 fragments.
		{"FragmentChain", chain(40), ""},
		{"ManyFields", "{ t { " + repeat(maxMergedFields, func(i int) string { return fmt.Sprintf("a%d: id", i) }) + "} }",
			"the query selects more than 100000 fields once its fragments are expanded"},
		{"FragmentCycle", "{ t { ...A } } fragment A on T { u { ...B } } fragment B on T { u { ...A } }",
			"the fragment definition(s) A and B form a cycle"},
		// Finding where the cycle is walks each fragment once: behind a
		// chain of 40 doublings, a walk that expanded them would not end.
		{"FragmentCycleBehindChain", "{ t { ...F39 ...C } } fragment C on T { u { ...C } } " + strings.TrimPrefix(chain(40), "{ t { ...F39 } } "),
			"the fragment definition(s) C form a cycle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(s, tc.query)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.err {
				t.Errorf("Parse error = %q, want %q", got, tc.err)
			}
		})
	}
}
