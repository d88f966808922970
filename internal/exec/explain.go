package exec

import (
	"context"
	"encoding/json"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
)

// ExplainedField is one entry of /v1/graphql/explain's answer.
type ExplainedField struct {
	Field string   `json:"field"`
	SQL   string   `json:"sql"`
	Plan  []string `json:"plan"`
}

// Explain plans req for sess and returns, for each database root field, its
// SQL and PostgreSQL's plan of it (EXPLAIN (FORMAT TEXT), never ANALYZE),
// as Hasura's /v1/graphql/explain does. Mutations are refused.
func (e *Engine) Explain(ctx context.Context, snap *schema.Snapshot, sess *session.Session, req *gql.Request, mode Mode) ([]ExplainedField, error) {
	doc, err := e.document(snap, sess, req, mode)
	if err != nil {
		return nil, err
	}
	vars, err := gql.Variables(doc.rs.Schema, doc.op, req.Variables)
	if err != nil {
		return nil, err
	}
	p, err := e.plan(snap, doc, vars)
	if err != nil {
		return nil, err
	}
	if err := p.root.CheckVars(vars); err != nil {
		return nil, err
	}
	if p.root.Mutation {
		return nil, apierr.New(apierr.NotSupported, "only queries can be explained").At("$")
	}
	out := []ExplainedField{}
	for _, f := range p.root.Fields {
		if f.Select == nil {
			continue
		}
		// One statement per field, so that each plan stands alone.
		st, err := pgsql.Compile(&plan.Root{Fields: []*plan.RootField{f}})
		if err != nil {
			return nil, apierr.Wrap(err, apierr.Unexpected, "failed to compile the query").At("$")
		}
		args, err := bind(st.Params, sess, vars)
		if err != nil {
			return nil, err
		}
		rows, err := e.pool.Query(ctx, "EXPLAIN (FORMAT TEXT) "+st.SQL, args...)
		if err != nil {
			return nil, e.dbError(err, st, args)
		}
		ef := ExplainedField{Field: f.Alias, SQL: st.SQL, Plan: []string{}}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return nil, e.dbError(err, st, args)
			}
			ef.Plan = append(ef.Plan, line)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, e.dbError(err, st, args)
		}
		out = append(out, ef)
	}
	return out, nil
}

// ExplainRequest is the body of /v1/graphql/explain.
type ExplainRequest struct {
	Query   json.RawMessage   `json:"query"`
	User    map[string]string `json:"user"`
	IsRelay bool              `json:"is_relay"`
}
