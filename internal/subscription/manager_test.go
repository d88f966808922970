package subscription_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/metaapi"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/session"
	"github.com/graftql/graft/internal/subscription"
)

const fixture = `
CREATE TABLE note (id serial PRIMARY KEY, owner int, body text NOT NULL);
INSERT INTO note (owner, body) SELECT i % 5, 'n' || i FROM generate_series(1, 10) i;
`

const setupMetadata = `{"type": "bulk", "args": [
 {"type": "pg_track_table", "args": {"source": "default", "table": "note"}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "note", "role": "user", "permission": {"columns": ["id", "owner", "body"], "filter": {"owner": {"_eq": "X-Hasura-User-Id"}}}}}
]}`

// statementCounter counts the statements a pool runs, by SQL prefix.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "unnest") {
		c.n.Add(1)
	}
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

type env struct {
	db      *pgtest.DB
	pool    *pgxpool.Pool
	meta    *metaapi.Service
	counter *statementCounter
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t, fixture)
	ctx := context.Background()
	meta := metaapi.New(metaapi.Options{MetadataPool: db.Pool, SourcePool: db.Pool,
		Getenv: func(k string) string { return map[bool]string{true: db.URL}[k == "HASURA_GRAPHQL_DATABASE_URL"] }})
	if err := meta.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(meta.Close)
	if _, err := meta.Metadata(ctx, []byte(setupMetadata)); err != nil {
		t.Fatal(err)
	}
	counter := &statementCounter{}
	pc, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	pc.ConnConfig.Tracer = counter
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &env{db: db, pool: pool, meta: meta, counter: counter}
}

func (e *env) manager(t *testing.T, o subscription.Options) *subscription.Manager {
	o.Pool, o.Snapshot = e.pool, e.meta.Snapshot
	m := subscription.New(o)
	t.Cleanup(m.Close)
	return m
}

// sink records what a subscription receives.
type sink struct {
	mu     sync.Mutex
	got    []string
	failed error
	ch     chan struct{}
}

func newSink() *sink { return &sink{ch: make(chan struct{}, 100)} }

func (s *sink) Next(p []byte) {
	var v any
	json.Unmarshal(p, &v)
	b, _ := json.Marshal(v)
	s.mu.Lock()
	s.got = append(s.got, string(b))
	s.mu.Unlock()
	s.ch <- struct{}{}
}

func (s *sink) Fail(err error) {
	s.mu.Lock()
	s.failed = err
	s.mu.Unlock()
	s.ch <- struct{}{}
}

// wait waits for n calls in total.
func (s *sink) wait(t *testing.T, n int) {
	t.Helper()
	for {
		s.mu.Lock()
		have := len(s.got)
		if s.failed != nil {
			have++
		}
		s.mu.Unlock()
		if have >= n {
			return
		}
		select {
		case <-s.ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("got %d results, want %d", have, n)
		}
	}
}

func (s *sink) results() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.got...), s.failed
}

func userReq(id, query, vars string) *subscription.Request {
	req := &gql.Request{Query: query}
	if vars != "" {
		dec := json.NewDecoder(strings.NewReader(vars))
		dec.UseNumber()
		dec.Decode(&req.Variables)
	}
	return &subscription.Request{Session: session.New("user", map[string]string{session.VarUserID: id, "x-hasura-org": "o" + id}), Query: req}
}

const ownNotes = `subscription { note(order_by: {id: asc}) { id } }`

// TestManager_Batching: five cohorts, batches of two: three statements per
// poll, each cohort its own result.
func TestManager_Batching(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{LiveInterval: 200 * time.Millisecond, LiveBatchSize: 2})
	sinks := map[string]*sink{}
	for i := range 5 {
		id := fmt.Sprint(i)
		sinks[id] = newSink()
		if _, err := m.Subscribe(e.meta.Snapshot(), userReq(id, ownNotes, ""), sinks[id]); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]string{}
	for id, s := range sinks {
		s.wait(t, 1)
		r, _ := s.results()
		got[id] = r[0]
	}
	want := map[string]string{
		"0": `{"data":{"note":[{"id":5},{"id":10}]}}`,
		"1": `{"data":{"note":[{"id":1},{"id":6}]}}`,
		"2": `{"data":{"note":[{"id":2},{"id":7}]}}`,
		"3": `{"data":{"note":[{"id":3},{"id":8}]}}`,
		"4": `{"data":{"note":[{"id":4},{"id":9}]}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first results (-want +got):\n%s", diff)
	}
	if st := m.Stats(); st != (subscription.Stats{Pollers: 1, Cohorts: 5, Subscribers: 5}) {
		t.Errorf("stats %+v", st)
	}
	// Count the statements of two full polls.
	time.Sleep(250 * time.Millisecond)
	before := e.counter.n.Load()
	time.Sleep(400 * time.Millisecond)
	if n := e.counter.n.Load() - before; n < 3 || n > 6 || n%3 != 0 {
		t.Errorf("%d statements in two polls, want 3 per poll", n)
	}
	// Nothing changed: nothing more was sent.
	for id, s := range sinks {
		if r, _ := s.results(); len(r) != 1 {
			t.Errorf("cohort %s got %d results, want 1", id, len(r))
		}
	}
}

// TestManager_Cohorts: equal variables and equal values of the session
// variables the plan reads share a cohort, whatever the other session
// variables; different variables do not.
func TestManager_Cohorts(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{})
	q := `subscription ($min: Int!) { note(where: {id: {_gte: $min}}) { id } }`
	reqs := []*subscription.Request{userReq("1", q, `{"min": 1}`), userReq("1", q, `{"min": 1}`), userReq("1", q, `{"min": 6}`), userReq("2", q, `{"min": 1}`)}
	reqs[1].Session.Vars["x-hasura-org"] = "other"
	for _, r := range reqs {
		s := newSink()
		if _, err := m.Subscribe(e.meta.Snapshot(), r, s); err != nil {
			t.Fatal(err)
		}
		s.wait(t, 1)
	}
	if st := m.Stats(); st != (subscription.Stats{Pollers: 1, Cohorts: 3, Subscribers: 4}) {
		t.Errorf("stats %+v, want 1 poller, 3 cohorts, 4 subscribers", st)
	}
}

// TestManager_Changes: a result is re-sent only when it changes; Stop
// ends the deliveries and the poller.
func TestManager_Changes(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{LiveInterval: 50 * time.Millisecond})
	s := newSink()
	sub, err := m.Subscribe(e.meta.Snapshot(), userReq("1", ownNotes, ""), s)
	if err != nil {
		t.Fatal(err)
	}
	s.wait(t, 1)
	time.Sleep(200 * time.Millisecond)
	if _, err := e.db.Pool.Exec(t.Context(), `INSERT INTO note (id, owner, body) VALUES (100, 1, 'x')`); err != nil {
		t.Fatal(err)
	}
	s.wait(t, 2)
	time.Sleep(200 * time.Millisecond)
	got, _ := s.results()
	want := []string{`{"data":{"note":[{"id":1},{"id":6}]}}`, `{"data":{"note":[{"id":1},{"id":6},{"id":100}]}}`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	sub.Stop()
	if st := m.Stats(); st.Pollers != 0 {
		t.Errorf("stats after Stop %+v, want no poller", st)
	}
}

// TestManager_BadCohort: a session value that makes the statement fail
// ends that cohort with the error; the other cohorts of its batch go on.
func TestManager_BadCohort(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{LiveInterval: 50 * time.Millisecond})
	good, bad := newSink(), newSink()
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", ownNotes, ""), good); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("one", ownNotes, ""), bad); err != nil {
		t.Fatal(err)
	}
	good.wait(t, 1)
	bad.wait(t, 1)
	_, err := bad.results()
	if ae := apierr.From(err); ae.Code != apierr.DataException || ae.Message != `invalid input syntax for type integer: "one"` {
		t.Errorf("bad cohort ended with %v, want the data exception", err)
	}
	if _, err := good.results(); err != nil {
		t.Errorf("good cohort failed: %v", err)
	}
	if st := m.Stats(); st.Cohorts != 1 {
		t.Errorf("stats %+v, want the good cohort only", st)
	}
}

// TestManager_Stream: each row once, in order; cohorts that reach the same
// cursor merge.
func TestManager_Stream(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{StreamInterval: 50 * time.Millisecond})
	q := `subscription ($from: Int!) { note_stream(batch_size: 3, cursor: {initial_value: {id: $from}}) { id } }`
	a, b := newSink(), newSink()
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", q, `{"from": 0}`), a); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", q, `{"from": 1}`), b); err != nil {
		t.Fatal(err)
	}
	a.wait(t, 1)
	b.wait(t, 1)
	if _, err := e.db.Pool.Exec(t.Context(), `INSERT INTO note (id, owner, body) VALUES (101, 1, 'x'), (102, 2, 'y'), (103, 1, 'z')`); err != nil {
		t.Fatal(err)
	}
	a.wait(t, 2)
	b.wait(t, 2)
	time.Sleep(200 * time.Millisecond)
	ga, _ := a.results()
	gb, _ := b.results()
	want := []string{`{"data":{"note_stream":[{"id":1},{"id":6}]}}`, `{"data":{"note_stream":[{"id":101},{"id":103}]}}`}
	if diff := cmp.Diff(want, ga); diff != "" {
		t.Errorf("from 0 (-want +got):\n%s", diff)
	}
	want[0] = `{"data":{"note_stream":[{"id":6}]}}`
	if diff := cmp.Diff(want, gb); diff != "" {
		t.Errorf("from 1 (-want +got):\n%s", diff)
	}
	if st := m.Stats(); st.Cohorts != 1 || st.Subscribers != 2 {
		t.Errorf("stats %+v, want the two cohorts merged", st)
	}
}

// TestManager_Errors: request errors come from Subscribe.
func TestManager_Errors(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{})
	for _, tc := range []struct {
		name string
		req  *subscription.Request
		want string
	}{
		{"Validation", userReq("1", `subscription { nope }`, ""), "field 'nope' not found in type: 'subscription_root'"},
		{"MissingSessionVariable", &subscription.Request{Session: session.New("user", nil), Query: &gql.Request{Query: ownNotes}},
			`missing session variable: "x-hasura-user-id"`},
		{"Query", userReq("1", `query { note { id } }`, ""), "not a subscription"},
		{"NoCursor", userReq("1", `subscription { note_stream(batch_size: 1, cursor: []) { id } }`, ""), "one streaming column field is expected"},
		{"TwoCursors", userReq("1", `subscription { note_stream(batch_size: 1, cursor: {initial_value: {id: 1, owner: 1}}) { id } }`, ""),
			"multiple column cursors are not supported yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Subscribe(e.meta.Snapshot(), tc.req, newSink())
			if err == nil || apierr.From(err).Message != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestPoller_Interval checks the poll schedule with a fake clock: the
// first result at once, then one statement per interval, a change at the
// next tick.
func TestPoller_Interval(t *testing.T) {
	e := newEnv(t)
	synctest.Test(t, func(t *testing.T) {
		// Everything the bubble uses is made in it (pgx derives contexts
		// from its pool's).
		counter := &statementCounter{}
		pc, err := pgxpool.ParseConfig(e.db.URL)
		if err != nil {
			t.Fatal(err)
		}
		pc.ConnConfig.Tracer = counter
		pool, err := pgxpool.NewWithConfig(t.Context(), pc)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		m := subscription.New(subscription.Options{Pool: pool, Snapshot: e.meta.Snapshot, LiveInterval: time.Second})
		defer m.Close()
		s := newSink()
		start := time.Now()
		if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", ownNotes, ""), s); err != nil {
			t.Fatal(err)
		}
		s.wait(t, 1)
		if d := time.Since(start); d != 0 {
			t.Errorf("first result after %v, want at once", d)
		}
		before := counter.n.Load()
		time.Sleep(3500 * time.Millisecond)
		synctest.Wait()
		if n := counter.n.Load() - before; n != 3 {
			t.Errorf("%d polls in 3.5s, want 3", n)
		}
		if _, err := pool.Exec(context.Background(), `INSERT INTO note (id, owner, body) VALUES (100, 1, 'x')`); err != nil {
			t.Fatal(err)
		}
		at := time.Now()
		s.wait(t, 2)
		if d := time.Since(at); d != 500*time.Millisecond {
			t.Errorf("change delivered after %v, want at the next tick (500ms)", d)
		}
	})
}

// TestManager_Allowlist: with the allow list on, a role other than admin
// subscribes only with allow-listed documents.
func TestManager_Allowlist(t *testing.T) {
	e := newEnv(t)
	q, _ := json.Marshal(ownNotes)
	if _, err := e.meta.Metadata(t.Context(), []byte(`{"type":"bulk","args":[
		{"type":"create_query_collection","args":{"name":"c","definition":{"queries":[{"name":"own","query":`+string(q)+`}]}}},
		{"type":"add_collection_to_allowlist","args":{"collection":"c"}}]}`)); err != nil {
		t.Fatal(err)
	}
	m := e.manager(t, subscription.Options{Allowlist: true})
	s := newSink()
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", ownNotes, ""), s); err != nil {
		t.Fatalf("allow-listed subscription: %v", err)
	}
	s.wait(t, 1)
	_, err := m.Subscribe(e.meta.Snapshot(), userReq("1", `subscription { note { body } }`, ""), newSink())
	if err == nil || apierr.From(err).Message != "query is not allowed" {
		t.Errorf("error %v, want query is not allowed", err)
	}
}

// panicSink panics on its first result, standing for a bug in delivery.
type panicSink struct{ *sink }

func (s panicSink) Next([]byte) { panic("a bug") }

// TestManager_PanicEndsItsSubscriptions: a panic while a poll delivers
// ends that poll's subscriptions with an internal error; another poller's
// subscription, running all along, goes on, and new subscriptions start.
func TestManager_PanicEndsItsSubscriptions(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{LiveInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	good := newSink()
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", `subscription { note(order_by: {id: desc}) { id } }`, ""), good); err != nil {
		t.Fatal(err)
	}
	good.wait(t, 1)
	bad := panicSink{newSink()}
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", ownNotes, ""), bad); err != nil {
		t.Fatal(err)
	}
	bad.wait(t, 1)
	if _, err := bad.results(); err == nil || !strings.Contains(err.Error(), "internal error while polling the subscription") {
		t.Fatalf("the panicking subscription ended with %v, want the internal error", err)
	}
	if _, err := e.db.Pool.Exec(t.Context(), `INSERT INTO note (id, owner, body) VALUES (100, 1, 'x')`); err != nil {
		t.Fatal(err)
	}
	good.wait(t, 2)
	if got, err := good.results(); err != nil || len(got) != 2 || got[0] == got[1] {
		t.Errorf("the other subscription got %v, %v; want two different results", got, err)
	}
	again := newSink()
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("2", ownNotes, ""), again); err != nil {
		t.Fatal(err)
	}
	again.wait(t, 1)
	if _, err := again.results(); err != nil {
		t.Errorf("a new subscription after the panic: %v", err)
	}
}

// TestManager_NegativeLimitVariable: a negative limit in a subscription's
// variables is refused at Subscribe, before it could fail its cohort's
// whole batch in PostgreSQL; the same document with a valid value runs.
func TestManager_NegativeLimitVariable(t *testing.T) {
	e := newEnv(t)
	m := e.manager(t, subscription.Options{LiveInterval: 50 * time.Millisecond})
	const q = `subscription($l: Int) { note(limit: $l, order_by: {id: asc}) { id } }`
	_, err := m.Subscribe(e.meta.Snapshot(), userReq("1", q, `{"l": -1}`), newSink())
	if err == nil || !strings.Contains(err.Error(), "expected a non-negative 32-bit integer for type 'Int', but found a number") {
		t.Fatalf("Subscribe with limit -1 = %v, want the non-negative error", err)
	}
	s := newSink()
	if _, err := m.Subscribe(e.meta.Snapshot(), userReq("1", q, `{"l": 1}`), s); err != nil {
		t.Fatal(err)
	}
	s.wait(t, 1)
	if got, err := s.results(); err != nil || len(got) != 1 || got[0] != `{"data":{"note":[{"id":1}]}}` {
		t.Errorf("limit 1: %v, %v", got, err)
	}
}
