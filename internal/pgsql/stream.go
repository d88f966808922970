package pgsql

import (
	"errors"
	"fmt"

	"github.com/graftql/graft/internal/plan"
)

const streamAlias = "_stream"

// CompileStream compiles a streaming subscription (root.Stream set, one
// database root field) for many cohorts at once, as CompileMultiplexed
// does for live queries (Note [multiplexed statements]). Each result row
// is (result_id text, result json, cursor text): cursor is the cursor
// column's value in the last row of the batch, as text that casts back to
// the column's type, or NULL when the batch is empty (Note [streaming
// cursor]). The cursor is read from the cohort's slot of [plan.CursorVar]
// in CohortVars:
//
//	SELECT "_subs"."result_id", json_build_object('alias', "_stream"."root") AS "result", "_stream"."cursor"
//	FROM unnest($1::text[], $2::json[], $3::json[]) AS "_subs"(...)
//	LEFT OUTER JOIN LATERAL (
//	  SELECT coalesce(json_agg(<row> ORDER BY "_0"."id"), '[]') AS "root",
//	         (json_agg("_0"."id" ORDER BY "_0"."id" DESC) ->> 0) AS "cursor"
//	  FROM (SELECT * FROM t AS "_0" WHERE ... AND "_0"."id" > <cursor slot>
//	        ORDER BY "_0"."id" LIMIT <batch_size>) AS "_0") AS "_stream" ON true
//
// The last value is taken through json_agg rather than max() so that any
// ordered type (uuid included) can be a cursor.
func CompileStream(root *plan.Root) (*Multiplexed, error) {
	if root.Stream == nil {
		return nil, errors.New("compile stream: the plan has no stream")
	}
	var f *plan.RootField
	for _, rf := range root.Fields {
		if rf.Select != nil {
			if f != nil {
				return nil, errors.New("compile stream: more than one root field")
			}
			f = rf
		}
	}
	if f == nil {
		return nil, errors.New("compile stream: no root field")
	}
	c := &compiler{params: params{offset: 3, multiplexed: true}}
	s := f.Select
	alias := c.alias()
	base, err := c.base(s, alias, "")
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
	}
	obj, err := c.rowObject(s.Fields, alias)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
	}
	keys, err := c.orderItems(s, alias)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
	}
	col, err := c.column(root.Stream.Column, alias)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
	}
	last := &BinOp{Op: "->>",
		L: &Func{Name: "json_agg", Args: []Expr{col}, OrderBy: []OrderItem{{Expr: col, Desc: !root.Stream.Desc}}},
		R: Keyword("0"),
	}
	batch := &Select{
		Columns: []SelectItem{{Expr: jsonArray(obj, keys), Alias: "root"}, {Expr: last, Alias: "cursor"}},
		From:    []FromItem{&FromSelect{Select: base, Alias: alias}},
	}
	cohorts := &FromFunc{
		Func: &Func{Name: "unnest", Args: []Expr{
			Param{N: 1, Type: "text[]"}, Param{N: 2, Type: "json[]"}, Param{N: 3, Type: "json[]"},
		}},
		Alias:   cohortAlias,
		Columns: []string{"result_id", "result_session", "result_vars"},
	}
	sel := &Select{
		Columns: []SelectItem{
			{Expr: Col{Table: cohortAlias, Name: "result_id"}, Alias: "result_id"},
			{Expr: jsonObject([]string{f.Alias}, []Expr{Col{Table: streamAlias, Name: "root"}}, c.alias), Alias: "result"},
			{Expr: Col{Table: streamAlias, Name: "cursor"}, Alias: "cursor"},
		},
		From: []FromItem{&FromJoin{
			Kind:  "LEFT OUTER",
			Left:  cohorts,
			Right: &FromSelect{Select: batch, Alias: streamAlias, Lateral: true},
			On:    Keyword("true"),
		}},
	}
	return &Multiplexed{SQL: Print(sel), Params: c.params.specs, CohortVars: c.params.cohortVars, Fields: []string{f.Alias}}, nil
}
