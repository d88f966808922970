package exec

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
)

// TestExecute_NegativeCountVariable checks that a negative limit or offset
// given in a variable is refused with Hasura's validation error at the
// argument, before PostgreSQL sees it, also when the plan for the query
// is already cached from a request with a valid value.
func TestExecute_NegativeCountVariable(t *testing.T) {
	env := newMutEnv(t)
	const q = `query($l: Int, $o: Int) { author(limit: $l) { id articles(offset: $o) { id } } }`
	run := func(vars map[string]any) (string, error) {
		var out bytes.Buffer
		err := env.e.Execute(context.Background(), env.snap, admin, &gql.Request{Query: q, Variables: vars}, ModeGraphQL, &out)
		return out.String(), err
	}
	if out, err := run(map[string]any{"l": 2, "o": 0}); err != nil {
		t.Fatalf("valid values: %v", err)
	} else if !bytes.HasPrefix([]byte(out), []byte(`{"data":{"author":[`)) {
		t.Fatalf("valid values: %s", out)
	}
	for _, tc := range []struct {
		vars map[string]any
		path string
	}{
		{map[string]any{"l": -1, "o": 0}, "$.selectionSet.author.args.limit"},
		{map[string]any{"l": 1, "o": -5}, "$.selectionSet.author.selectionSet.articles.args.offset"},
	} {
		_, err := run(tc.vars)
		var e *apierr.Error
		if !errors.As(err, &e) || e.Code != apierr.ValidationFailed || e.Path != tc.path ||
			e.Message != "expected a non-negative 32-bit integer for type 'Int', but found a number" {
			t.Errorf("%v: error = %v, want validation-failed at %s", tc.vars, err, tc.path)
		}
	}
}
