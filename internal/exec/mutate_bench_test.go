package exec

import (
	"context"
	"io"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/session"
	"github.com/jackc/pgx/v5"
)

// The mutation benchmarks compare a request through graft (parse, plan
// cache, bind, transaction, response) with the same compiled statements
// sent directly through pgx in the same transaction shape, so the
// difference is graft's own cost.

var benchMutations = []struct {
	name, query string
}{
	{"InsertOne", `mutation ($name: String!) { insert_author_one(object: {name: $name}) { id name } }`},
	{"Nested", `mutation ($name: String!) {
		insert_author_one(object: {name: $name, articles: {data: [{title: "a"}, {title: "b", views: 3}]}}) {
			id name articles { id title }
		}
	}`},
}

var benchSeq atomic.Int64

func benchName() string { return "bench-" + strconv.FormatInt(benchSeq.Add(1), 10) }

func BenchmarkMutation(b *testing.B) {
	env := newMutEnv(b)
	ctx := context.Background()
	for _, bm := range benchMutations {
		b.Run(bm.name+"/graft", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := &gql.Request{Query: bm.query, Variables: map[string]any{"name": benchName()}}
				if err := env.e.Execute(ctx, env.snap, admin, req, ModeGraphQL, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bm.name+"/pgx", func(b *testing.B) {
			p := compiledMutation(b, env, bm.query)
			b.ReportAllocs()
			for b.Loop() {
				vars := map[string]any{"name": benchName()}
				if err := rawMutation(ctx, env, p, admin, vars); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func compiledMutation(b *testing.B, env *mutEnv, query string) *prepared {
	b.Helper()
	req := &gql.Request{Query: query, Variables: map[string]any{"name": "warm"}}
	d, err := env.e.document(env.snap, admin, req, ModeGraphQL)
	if err != nil {
		b.Fatal(err)
	}
	vars, err := gql.Variables(d.rs.Schema, d.op, req.Variables)
	if err != nil {
		b.Fatal(err)
	}
	p, err := env.e.plan(env.snap, d, vars)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// rawMutation sends a prepared mutation's statements straight through pgx:
// the same BEGIN, set_config, writes, response statement and COMMIT.
func rawMutation(ctx context.Context, env *mutEnv, p *prepared, sess *session.Session, vars map[string]any) error {
	conn, err := env.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	batch := &pgx.Batch{}
	batch.Queue("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
	batch.Queue("SELECT set_config('hasura.user', $1, true)", string(sess.JSON()))
	var respond *pgsql.MutationStep
	for _, st := range p.steps {
		for _, w := range st.Writes {
			args, err := bind(w.Params, sess, vars)
			if err != nil {
				return err
			}
			batch.Queue(w.SQL, args...)
		}
		if st.Respond != nil {
			respond = st
		}
	}
	if respond == nil {
		batch.Queue("COMMIT")
	}
	br := conn.SendBatch(ctx, batch)
	var written []byte
	for i := 0; i < batch.Len(); i++ {
		if i >= 2 && i < batch.Len()-1 || respond != nil && i >= 2 {
			var ok bool
			if err := br.QueryRow().Scan(&written, &ok); err != nil {
				br.Close()
				return err
			}
			continue
		}
		if _, err := br.Exec(); err != nil {
			br.Close()
			return err
		}
	}
	if err := br.Close(); err != nil {
		return err
	}
	if respond != nil {
		var out []byte
		if err := conn.QueryRow(ctx, respond.Respond.SQL, string(written)).Scan(&out); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			return err
		}
	}
	return nil
}
