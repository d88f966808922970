package pgsql

import (
	"fmt"

	"github.com/graftql/graft/internal/plan"
)

// Note [multiplexed statements]: live queries with the same document and
// role share one poller; every poll runs one statement for a batch of
// cohorts (subscribers with equal variables and session), as Hasura does
// (hasura/graphql-engine: architecture/live-queries.md). Each cohort is a
// row of
//
//	unnest($1::text[], $2::json[], $3::json[])
//	  AS "_subs"("result_id", "result_session", "result_vars")
//
// joined laterally to the compiled query: session variables read
// "_subs"."result_session", and each GraphQL variable the plan binds reads
// its slot of "result_vars", a JSON array of the values' parameter texts
// (encoded in Go by [Encode] with the slot's type, exactly as a parameter
// would be), cast in SQL. Constants of the plan stay ordinary parameters,
// from $4 on.

const cohortAlias = "_subs"

// Multiplexed is a statement that evaluates a plan for many cohorts at
// once. It takes $1 (text[] of cohort ids), $2 (json[] of cohort session
// objects), $3 (json[] of cohort variable slots, see CohortVars), then
// Params from $4. Each result row is (result_id text, result json), result
// being the object of the plan's database root fields by alias.
type Multiplexed struct {
	SQL string
	// Params are the plan's constants, $4 onwards.
	Params []ParamSpec
	// CohortVars describe the slots of a cohort's variables array: slot i
	// holds the parameter text of variable CohortVars[i].Var encoded with
	// CohortVars[i].Type (or JSON null).
	CohortVars []ParamSpec
	// Fields are the aliases of the database root fields in the result object.
	Fields []string
}

// CompileMultiplexed compiles root's database fields for many cohorts at
// once; it returns nil when no root field needs the database.
func CompileMultiplexed(root *plan.Root) (*Multiplexed, error) {
	c := &compiler{params: params{offset: 3, multiplexed: true}}
	var keys []string
	var vals []Expr
	for _, f := range root.Fields {
		if f.Select == nil {
			continue
		}
		q, err := c.selectJSON(f.Select, "")
		if err != nil {
			return nil, fmt.Errorf("compile %s: %w", f.Alias, err)
		}
		keys = append(keys, f.Alias)
		vals = append(vals, SubQuery{Select: q})
	}
	if len(keys) == 0 {
		return nil, nil
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
			{Expr: jsonObject(keys, vals, c.alias), Alias: "result"},
		},
		From: []FromItem{cohorts},
	}
	sql, err := c.print(sel)
	if err != nil {
		return nil, err
	}
	return &Multiplexed{SQL: sql, Params: c.params.specs, CohortVars: c.params.cohortVars, Fields: keys}, nil
}
