package pgsql_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
)

// TestCompileMultiplexed runs one statement for two cohorts that differ in
// session (x-hasura-user-id) and variables, and checks each cohort gets
// its own result.
func TestCompileMultiplexed(t *testing.T) {
	a := newArea(t, "testdata/blog")
	rs := a.snap.Role("user")
	doc, err := gql.Parse(rs.Schema, `query ($min: Int!) { article(where: {id: {_gte: $min}}, order_by: {id: asc}) { id } }`)
	if err != nil {
		t.Fatal(err)
	}
	op, _ := gql.Operation(doc, "")
	vars, err := gql.Variables(rs.Schema, op, map[string]any{"min": json.Number("1")})
	if err != nil {
		t.Fatal(err)
	}
	root, err := plan.Build(plan.Input{Schema: rs, Model: a.snap.Model, Op: op, Vars: vars})
	if err != nil {
		t.Fatal(err)
	}
	m, err := pgsql.CompileMultiplexed(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.CohortVars) != 1 || m.CohortVars[0].Var != "min" {
		t.Fatalf("CohortVars = %+v, want one slot for $min", m.CohortVars)
	}
	slot := func(v any) string {
		s, err := pgsql.Encode(v, m.CohortVars[0].Type)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal([]any{*s})
		return string(b)
	}
	args := []any{
		[]string{"c1", "c2"},
		[]string{`{"x-hasura-role":"user","x-hasura-user-id":"1"}`, `{"x-hasura-role":"user","x-hasura-user-id":"3"}`},
		[]string{slot(json.Number("1")), slot(json.Number("3"))},
	}
	for _, p := range m.Params {
		args = append(args, *p.Const)
	}
	rows, err := a.pool.Query(context.Background(), m.SQL, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, m.SQL)
	}
	got := map[string]any{}
	for rows.Next() {
		var id string
		var res json.RawMessage
		if err := rows.Scan(&id, &res); err != nil {
			t.Fatal(err)
		}
		var v any
		json.Unmarshal(res, &v)
		got[id] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// User 1 sees published articles and their own draft (2); user 3 sees
	// published ones from id 3 on.
	want := map[string]any{
		"c1": map[string]any{"article": []any{map[string]any{"id": 1.0}, map[string]any{"id": 2.0}, map[string]any{"id": 3.0}, map[string]any{"id": 4.0}}},
		"c2": map[string]any{"article": []any{map[string]any{"id": 3.0}, map[string]any{"id": 4.0}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

// TestCompileStream runs a streaming statement for two cohorts whose
// cursors differ and checks each gets the rows past its cursor, in order,
// with the last row's cursor value.
func TestCompileStream(t *testing.T) {
	a := newArea(t, "testdata/blog")
	for _, tc := range []struct {
		name, query string
		cursors     []string
		want        map[string]string // cohort id -> "result cursor"
	}{
		{"Asc", `subscription { article_stream(batch_size: 2, cursor: {initial_value: {id: 0}}) { id } }`,
			[]string{"0", "2"},
			map[string]string{
				"c1": `{"article_stream":[{"id":1},{"id":2}]} 2`,
				"c2": `{"article_stream":[{"id":3},{"id":4}]} 4`,
			}},
		{"Desc", `subscription { article_stream(batch_size: 10, cursor: {initial_value: {published_on: "2030-01-01T00:00:00Z"}, ordering: DESC}) { id } }`,
			[]string{"2030-01-01T00:00:00Z", "2024-01-02T03:04:05+00:00"},
			map[string]string{
				"c1": `{"article_stream":[{"id":4},{"id":3},{"id":1}]} 2024-01-02T03:04:05+00:00`,
				"c2": `{"article_stream":[]} <nil>`,
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := a.snap.Role("user")
			doc, err := gql.Parse(rs.Schema, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			op, _ := gql.Operation(doc, "")
			root, err := plan.Build(plan.Input{Schema: rs, Model: a.snap.Model, Op: op, Vars: map[string]any{}})
			if err != nil {
				t.Fatal(err)
			}
			if root.Stream == nil {
				t.Fatal("no stream in the plan")
			}
			m, err := pgsql.CompileStream(root)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.CohortVars) != 1 || m.CohortVars[0].Var != plan.CursorVar {
				t.Fatalf("CohortVars = %+v, want the cursor slot only", m.CohortVars)
			}
			var slots []string
			for _, c := range tc.cursors {
				b, _ := json.Marshal([]string{c})
				slots = append(slots, string(b))
			}
			sess := `{"x-hasura-role":"user","x-hasura-user-id":"1"}`
			args := []any{[]string{"c1", "c2"}, []string{sess, sess}, slots}
			for _, p := range m.Params {
				args = append(args, *p.Const)
			}
			rows, err := a.pool.Query(context.Background(), m.SQL, args...)
			if err != nil {
				t.Fatalf("%v\n%s", err, m.SQL)
			}
			got := map[string]string{}
			for rows.Next() {
				var id string
				var res json.RawMessage
				var cursor *string
				if err := rows.Scan(&id, &res, &cursor); err != nil {
					t.Fatal(err)
				}
				c := "<nil>"
				if cursor != nil {
					c = *cursor
				}
				var v any
				json.Unmarshal(res, &v)
				b, _ := json.Marshal(v)
				got[id] = string(b) + " " + c
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}
