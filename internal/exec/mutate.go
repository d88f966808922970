package exec

import (
	"context"
	"errors"
	"io"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/session"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Note [mutation transactions]: all root fields of a mutation run in one
// transaction, in order (hasura.md §5.6, §5.7): BEGIN, set_config of
// hasura.user to the session JSON (what event triggers and other
// triggers read with current_setting('hasura.user')), each field's
// statements, COMMIT. The statements go out pipelined in pgx batches: a
// mutation of fields without permission checks or nested inserts takes
// one round trip, COMMIT included; a check that can fail is read before
// COMMIT is sent (one more round trip), and a nested insert's response
// statement waits for its write. Any failure rolls everything back.

// ErrOutcomeUnknown is the code of a mutation whose connection failed
// after COMMIT was sent: graft cannot tell whether it was applied.
const ErrOutcomeUnknown apierr.Code = "graft-outcome-unknown"

const checkFailed = "check constraint of an insert/update permission has failed"

// mutate runs a mutation's fields in one transaction and writes the response.
func (e *Engine) mutate(ctx context.Context, p *prepared, sess *session.Session, vars map[string]any, w io.Writer) error {
	conn, err := e.pool.Acquire(ctx)
	if err != nil {
		return apierr.Wrap(err, apierr.ConnectionNotEstablished, "could not connect to the database").At("$")
	}
	defer conn.Release()

	m := &mutationRun{e: e, conn: conn, sess: sess, vars: vars, p: p, values: map[string][]byte{}}
	if err := m.run(ctx); err != nil {
		if m.inTx {
			// A failed statement aborted the transaction; end it so the
			// connection goes back to the pool clean.
			_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
		return err
	}
	if e.committed != nil {
		e.committed(p.root.Writes())
	}

	buf := bufPool.Get().(*[]byte)
	out := appendData((*buf)[:0], p.root.Fields, func(i int) []byte { return m.values[p.root.Fields[i].Alias] })
	_, err = w.Write(out)
	putBuf(buf, out)
	return err
}

type mutationRun struct {
	e    *Engine
	conn *pgxpool.Conn
	sess *session.Session
	vars map[string]any
	p    *prepared
	inTx bool
	// values holds each field's JSON by alias.
	values map[string][]byte
}

// queued is a write waiting in a batch.
type queued struct {
	step  *pgsql.MutationStep
	index int // the write's index in step.Writes
	sql   string
	args  []any
}

func (m *mutationRun) run(ctx context.Context) error {
	batch := &pgx.Batch{}
	batch.Queue("BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE")
	batch.Queue("SELECT set_config('hasura.user', $1, true)", string(m.sess.JSON()))
	m.inTx = true
	var pending []queued
	checked := false
	for _, st := range m.p.steps {
		for i, wr := range st.Writes {
			args, err := bind(wr.Params, m.sess, m.vars)
			if err != nil {
				return err
			}
			batch.Queue(wr.SQL, args...)
			pending = append(pending, queued{step: st, index: i, sql: wr.SQL, args: args})
		}
		checked = checked || st.Checked
		if st.Respond != nil {
			// The response needs the write's result: send what is queued.
			if err := m.send(ctx, batch, pending, false); err != nil {
				return err
			}
			batch, pending = &pgx.Batch{}, nil
			if err := m.respond(ctx, st); err != nil {
				return err
			}
			checked = true // COMMIT goes on its own now
		}
	}
	if !checked {
		// Nothing can fail after the statements: commit in the same round trip.
		return m.send(ctx, batch, pending, true)
	}
	if err := m.send(ctx, batch, pending, false); err != nil {
		return err
	}
	return m.commit(ctx)
}

// send sends a batch (with COMMIT when commit is set) and reads the writes'
// results, failing on the first error or failed check.
func (m *mutationRun) send(ctx context.Context, batch *pgx.Batch, pending []queued, commit bool) error {
	if commit {
		batch.Queue("COMMIT")
	}
	if batch.Len() == 0 {
		return nil
	}
	br := m.conn.SendBatch(ctx, batch)
	defer br.Close()
	// BEGIN and set_config lead the first batch.
	for i := 0; i < batch.Len()-len(pending)-boolInt(commit); i++ {
		if _, err := br.Exec(); err != nil {
			return m.dbError(err, nil)
		}
	}
	for _, q := range pending {
		var value []byte
		var ok bool
		if err := br.QueryRow().Scan(&value, &ok); err != nil {
			return m.dbError(err, &q)
		}
		if !ok {
			return apierr.New(apierr.PermissionError, checkFailed).At(m.errorPath(q.step))
		}
		m.store(q.step, q.index, value)
	}
	if commit {
		if _, err := br.Exec(); err != nil {
			return m.commitError(err)
		}
		m.inTx = false
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// store keeps a write's JSON as its field's value (or appends it to the
// list of update_many).
func (m *mutationRun) store(st *pgsql.MutationStep, index int, value []byte) {
	if !st.List {
		m.values[st.Alias] = value
		return
	}
	cur := m.values[st.Alias]
	if index == 0 {
		cur = append(cur[:0], '[')
	} else {
		cur = cur[:len(cur)-1]
		cur = append(cur, ',')
	}
	cur = append(cur, value...)
	m.values[st.Alias] = append(cur, ']')
}

// respond runs a nested insert's response statement.
func (m *mutationRun) respond(ctx context.Context, st *pgsql.MutationStep) error {
	args := make([]any, len(st.Respond.Params))
	consts, err := bind(st.Respond.Params, m.sess, m.vars)
	if err != nil {
		return err
	}
	for i, ps := range st.Respond.Params {
		if ps.Written {
			args[i] = string(m.values[st.Alias])
		} else {
			args[i] = consts[i]
		}
	}
	var value []byte
	if err := m.conn.QueryRow(ctx, st.Respond.SQL, args...).Scan(&value); err != nil {
		return m.dbError(err, &queued{step: st, sql: st.Respond.SQL, args: args})
	}
	m.values[st.Alias] = value
	return nil
}

func (m *mutationRun) commit(ctx context.Context) error {
	if _, err := m.conn.Exec(ctx, "COMMIT"); err != nil {
		return m.commitError(err)
	}
	m.inTx = false
	return nil
}

// commitError reports a failed COMMIT: a database error (a deferred
// constraint) rolled back; a lost connection leaves the outcome unknown.
func (m *mutationRun) commitError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return apierr.FromPg(pe, nil).At("$")
	}
	m.inTx = false
	return apierr.Wrap(err, ErrOutcomeUnknown, "the connection to the database failed after COMMIT was sent; the mutation may or may not have been applied").At("$")
}

// errorPath is where Hasura reports a failed mutation field: the objects
// argument of an insert, else the root.
func (m *mutationRun) errorPath(st *pgsql.MutationStep) string {
	for _, f := range m.p.root.Fields {
		if f.Alias == st.Alias && f.Mutation != nil && f.Mutation.Kind == plan.Insert {
			arg := "objects"
			if f.Mutation.Output == plan.OutputRow {
				arg = "object"
			}
			return "$.selectionSet." + st.Alias + ".args." + arg
		}
	}
	return "$"
}

func (m *mutationRun) dbError(err error, q *queued) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		var stmt *apierr.Statement
		path := "$"
		if q != nil {
			stmt = &apierr.Statement{SQL: q.sql, Prepared: true, Arguments: q.args}
			path = m.errorPath(q.step)
		}
		return apierr.FromPg(pe, stmt).At(path)
	}
	if errors.Is(err, context.Canceled) {
		return apierr.Wrap(err, apierr.Unexpected, "request cancelled").At("$")
	}
	return apierr.Wrap(err, apierr.Unexpected, "database query error").At("$")
}
