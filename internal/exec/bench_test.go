package exec

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The benchmarks use the blog schema of the pgsql golden tests and a query
// shaped like the benchmark harness's Q2 (a list with an object and an
// array relationship).
const benchQuery = `query Q2($limit: Int!) {
  article(limit: $limit, order_by: {id: asc}, where: {is_published: {_eq: true}}) {
    id title views
    author { id name }
  }
  author(order_by: {id: asc}) { id name articles(order_by: {id: asc}) { id title } }
}`

type benchEnv struct {
	pool *pgxpool.Pool
	snap *schema.Snapshot
	req  *gql.Request
	sess *session.Session
}

func newBenchEnv(b testing.TB) *benchEnv {
	b.Helper()
	ddl, err := os.ReadFile("../pgsql/testdata/blog/schema.sql")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile("../pgsql/testdata/blog/metadata.json")
	if err != nil {
		b.Fatal(err)
	}
	var md metadata.Metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		b.Fatal(err)
	}
	db := pgtest.New(b, string(ddl))
	cat, err := catalog.Introspect(context.Background(), db.Pool)
	if err != nil {
		b.Fatal(err)
	}
	m := schema.Build(schema.Input{Metadata: &md, Source: "default", Catalog: cat, Options: schema.Options{InferFunctionPermissions: true}})
	return &benchEnv{
		pool: db.Pool,
		snap: schema.NewSnapshot(m, 1),
		req:  &gql.Request{Query: benchQuery, Variables: map[string]any{"limit": json.Number("50")}},
		sess: session.New("user", map[string]string{"x-hasura-user-id": "1"}),
	}
}

func BenchmarkParse(b *testing.B) {
	env := newBenchEnv(b)
	rs := env.snap.Role("user")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := gql.Parse(rs.Schema, benchQuery); err != nil {
			b.Fatal(err)
		}
	}
}

func (env *benchEnv) planInput(b *testing.B) plan.Input {
	rs := env.snap.Role("user")
	doc, err := gql.Parse(rs.Schema, benchQuery)
	if err != nil {
		b.Fatal(err)
	}
	op, err := gql.Operation(doc, "")
	if err != nil {
		b.Fatal(err)
	}
	vars, err := gql.Variables(rs.Schema, op, env.req.Variables)
	if err != nil {
		b.Fatal(err)
	}
	return plan.Input{Schema: rs, Model: env.snap.Model, Op: op, Vars: vars}
}

func BenchmarkPlan(b *testing.B) {
	env := newBenchEnv(b)
	in := env.planInput(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := plan.Build(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrint(b *testing.B) {
	env := newBenchEnv(b)
	root, err := plan.Build(env.planInput(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := pgsql.Compile(root); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile is parse + validate + plan + SQL: the cost of a plan
// cache miss.
func BenchmarkCompile(b *testing.B) {
	env := newBenchEnv(b)
	rs := env.snap.Role("user")
	b.ReportAllocs()
	for b.Loop() {
		doc, err := gql.Parse(rs.Schema, benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		op, _ := gql.Operation(doc, "")
		vars, _ := gql.Variables(rs.Schema, op, env.req.Variables)
		root, err := plan.Build(plan.Input{Schema: rs, Model: env.snap.Model, Op: op, Vars: vars})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pgsql.Compile(root); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanCache is the per-request work on a cache hit before the
// database: document lookup, variable coercion, plan lookup, binding.
func BenchmarkPlanCache(b *testing.B) {
	env := newBenchEnv(b)
	e := New(Options{Pool: env.pool})
	run := func() {
		d, err := e.document(env.snap, env.sess, env.req, ModeGraphQL)
		if err != nil {
			b.Fatal(err)
		}
		vars, err := gql.Variables(d.rs.Schema, d.op, env.req.Variables)
		if err != nil {
			b.Fatal(err)
		}
		p, err := e.plan(env.snap, d, vars)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bind(p.stmt.Params, env.sess, vars); err != nil {
			b.Fatal(err)
		}
	}
	run()
	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			run()
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				run()
			}
		})
	})
}

// BenchmarkExecute runs the whole request on PostgreSQL (cache hit).
func BenchmarkExecute(b *testing.B) {
	env := newBenchEnv(b)
	e := New(Options{Pool: env.pool})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := e.Execute(ctx, env.snap, env.sess, env.req, ModeGraphQL, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}
