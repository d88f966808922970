package subscription

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
)

// poller serves the subscriptions of one (role, document, operation,
// structural values): one goroutine polls their cohorts every interval
// with one statement per batch of cohorts.
type poller struct {
	m         *Manager
	key       pollerKey
	log       *slog.Logger
	stream    bool
	interval  time.Duration
	batchSize int
	// vars are the variables of the subscriber that created the poller:
	// every subscriber has the same values for the structural ones, so they
	// plan the document again after a metadata change.
	vars map[string]any

	wake     chan struct{} // capacity 1: a fresh cohort waits for a first result
	changed  chan struct{} // capacity 1: a write through graft touched a table the plan reads
	stop     chan struct{}
	stopOnce sync.Once

	mu          sync.Mutex
	snap        *schema.Snapshot   // guarded by mu
	root        *plan.Root         // guarded by mu
	stmt        *pgsql.Multiplexed // guarded by mu
	consts      []any              // guarded by mu: the statement's parameters from $4
	readsAll    bool               // guarded by mu: the plan passes the whole session to a function
	reads       plan.Tables        // guarded by mu: the tables the plan reads
	cohorts     map[string]*cohort // guarded by mu
	nextID      uint64             // guarded by mu
	failingFrom time.Time          // guarded by mu: start of a run of unreachable-database failures
}

func newPoller(m *Manager, snap *schema.Snapshot, pl *planned, stmt *pgsql.Multiplexed) *poller {
	p := &poller{
		m: m, key: pl.key, vars: pl.vars,
		log:      m.log.With(slog.String(logKeyRole, pl.key.role), slog.String(logKeyOperation, pl.key.opName)),
		stream:   pl.root.Stream != nil,
		wake:     make(chan struct{}, 1),
		changed:  make(chan struct{}, 1),
		stop:     make(chan struct{}),
		cohorts:  map[string]*cohort{},
		interval: m.o.LiveInterval, batchSize: m.o.LiveBatchSize,
	}
	if p.stream {
		p.interval, p.batchSize = m.o.StreamInterval, m.o.StreamBatchSize
	}
	p.setPlanLocked(snap, pl.root, stmt)
	return p
}

// setPlanLocked installs a plan and its statement.
func (p *poller) setPlanLocked(snap *schema.Snapshot, root *plan.Root, stmt *pgsql.Multiplexed) {
	p.snap, p.root, p.stmt = snap, root, stmt
	p.readsAll = readsWholeSession(root)
	p.reads = root.Reads()
	p.consts = make([]any, len(stmt.Params))
	for i, s := range stmt.Params {
		if s.Const != nil {
			p.consts[i] = *s.Const
		}
	}
}

// add subscribes sink to the cohort of its arguments.
func (p *poller) add(pl *planned, sess *session.Session, sink Sink) (*Subscription, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var cursor *string
	if p.stream {
		var err error
		if cursor, err = initialCursor(pl.root.Stream, pl.vars); err != nil {
			return nil, err
		}
	}
	slots, err := slotsJSON(p.stmt.CohortVars, pl.vars, cursor)
	if err != nil {
		return nil, err
	}
	key := cohortKey(slots, sessionJSON(sess, p.root.SessionVars, p.readsAll))
	c := p.cohorts[key]
	if c == nil {
		p.nextID++
		c = &cohort{id: strconv.FormatUint(p.nextID, 36), vars: pl.vars, cursor: cursor}
		c.setKey(key, len(slots))
		p.cohorts[key] = c
	}
	s := &Subscription{p: p, sink: sink, c: c, idx: len(c.subs), fresh: true}
	c.subs = append(c.subs, s)
	c.fresh = true
	return s, nil
}

// setKey sets the cohort's key; slots and session share its memory.
func (c *cohort) setKey(key string, slotsLen int) {
	c.key, c.slots, c.session = key, key[:slotsLen], key[slotsLen+1:]
}

func (p *poller) wakeup() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// notifyChanged asks for a poll of every cohort soon (coalesced).
func (p *poller) notifyChanged() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// readsTables returns the tables the poller's plan reads.
func (p *poller) readsTables() plan.Tables {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reads
}

// shutdown stops the poller goroutine; it does not wait for it.
func (p *poller) shutdown() { p.stopOnce.Do(func() { close(p.stop) }) }

// Note [write-triggered polls]: besides its interval, a poller polls when
// a mutation committed through graft wrote a table its plan reads
// (Manager.Changed), so a change made through graft reaches subscribers
// in the time of one statement instead of up to one interval. Such polls
// are at least ChangeGap apart, so a burst of writes costs one poll per
// gap. Writes graft does not see (triggers, other clients) still arrive
// with the interval's poll.

// run polls every interval, at once when a new cohort waits, and soon
// after a write through graft to a table the plan reads.
func (p *poller) run() {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	gap := p.m.o.ChangeGap
	if gap <= 0 {
		gap = 50 * time.Millisecond
	}
	var last time.Time
	var pending *time.Timer // a write-triggered poll waiting for the gap
	var pendingC <-chan time.Time
	full := func() {
		last = time.Now()
		p.poll(false)
	}
	for {
		select {
		case <-p.stop:
			if pending != nil {
				pending.Stop()
			}
			return
		case <-p.wake:
			p.poll(true)
		case <-t.C:
			full()
		case <-p.changed:
			if pendingC != nil {
				continue // already scheduled
			}
			if wait := gap - time.Since(last); wait > 0 {
				pending = time.NewTimer(wait)
				pendingC = pending.C
				continue
			}
			full()
		case <-pendingC:
			pending, pendingC = nil, nil
			full()
		}
	}
}

// job is a cohort's arguments for one poll.
type job struct {
	c              *cohort
	session, slots string
}

// poll runs the statement for every cohort (freshOnly: for the cohorts
// with a subscriber waiting for its first result).
func (p *poller) poll(freshOnly bool) {
	ctx := p.m.ctx
	if ctx.Err() != nil || !p.refreshPlan() {
		return
	}
	p.mu.Lock()
	p.mergeParkedLocked()
	stmt, consts := p.stmt, p.consts
	jobs := make([]job, 0, len(p.cohorts))
	for _, c := range p.cohorts {
		if !freshOnly || c.fresh {
			jobs = append(jobs, job{c: c, session: c.session, slots: c.slots})
		}
	}
	p.mu.Unlock()
	if len(jobs) == 0 {
		return
	}
	var g errgroup.Group
	g.SetLimit(p.m.o.MaxConcurrentBatches)
	for start := 0; start < len(jobs); start += p.batchSize {
		batch := jobs[start:min(start+p.batchSize, len(jobs))]
		g.Go(func() error {
			p.runBatch(ctx, stmt, consts, batch)
			return nil
		})
	}
	g.Wait()
}

// row is a result row of the multiplexed statement.
type row struct {
	id     string
	result []byte
	cursor *string
}

// runBatch runs the statement for a batch of cohorts and delivers the
// results.
func (p *poller) runBatch(ctx context.Context, stmt *pgsql.Multiplexed, consts []any, jobs []job) {
	defer p.recoverPanic(jobs)
	rows, args, err := p.query(ctx, stmt, consts, jobs)
	if err != nil {
		p.batchFailed(ctx, stmt, consts, jobs, args, err)
		return
	}
	p.mu.Lock()
	if !p.failingFrom.IsZero() {
		p.log.Info("subscription poll recovered")
		p.failingFrom = time.Time{}
	}
	p.mu.Unlock()
	byID := make(map[string]*cohort, len(jobs))
	for _, j := range jobs {
		byID[j.c.id] = j.c
	}
	for _, r := range rows {
		if c := byID[r.id]; c != nil {
			p.deliver(c, r)
		}
	}
}

func (p *poller) query(ctx context.Context, stmt *pgsql.Multiplexed, consts []any, jobs []job) ([]row, []any, error) {
	ids := make([]string, len(jobs))
	sessions := make([]string, len(jobs))
	slots := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i], sessions[i], slots[i] = j.c.id, j.session, j.slots
	}
	args := append([]any{ids, sessions, slots}, consts...)
	qctx, cancel := context.WithTimeout(ctx, p.m.o.PollTimeout)
	defer cancel()
	rs, err := p.m.o.Pool.Query(qctx, stmt.SQL, args...)
	if err != nil {
		return nil, args, err
	}
	defer rs.Close()
	out := make([]row, 0, len(jobs))
	for rs.Next() {
		raw := rs.RawValues()
		r := row{id: string(raw[0]), result: bytes.Clone(raw[1])}
		if len(raw) > 2 && raw[2] != nil {
			s := string(raw[2])
			r.cursor = &s
		}
		out = append(out, r)
	}
	return out, args, rs.Err()
}

// deliver sends a cohort's result to the subscribers that need it: all of
// them when it changed (a live query's hash differs; a stream batch has
// rows), else only those still waiting for a first result.
func (p *poller) deliver(c *cohort, r row) {
	changed := false
	if p.stream {
		changed = r.cursor != nil
	} else {
		h := sha256.Sum256(r.result)
		changed = !c.hashed || h != c.hash
		c.hash, c.hashed = h, true
	}
	p.mu.Lock()
	var to []*Subscription
	for _, s := range c.subs {
		if changed || s.fresh {
			to = append(to, s)
			s.fresh = false
		}
	}
	c.fresh = false
	if p.stream && changed {
		c.cursor = r.cursor
		p.rekeyLocked(c, false)
	}
	p.mu.Unlock()
	if len(to) == 0 {
		return
	}
	payload := make([]byte, 0, len(r.result)+len(`{"data":}`))
	payload = append(append(append(payload, `{"data":`...), r.result...), '}')
	for _, s := range to {
		s.sink.Next(payload)
	}
}

// rekeyLocked files c under the key of its current slots (a stream cohort
// whose cursor moved, or any cohort after a re-plan). A cohort that lands
// on the key of another one joins it, both being at the same position;
// but only with merge set, when no batch runs: a merge during a poll could
// deliver another batch's newer rows to the joining subscribers before
// their own. Until then it waits under a key of its own (parked).
func (p *poller) rekeyLocked(c *cohort, merge bool) {
	slots, err := slotsJSON(p.stmt.CohortVars, c.vars, c.cursor)
	if err != nil {
		return
	}
	key := cohortKey(slots, c.session)
	if key == c.key && !c.parked {
		return
	}
	if p.cohorts[c.key] == c {
		delete(p.cohorts, c.key)
	}
	if len(c.subs) == 0 {
		return
	}
	if other := p.cohorts[key]; other != nil && other != c {
		if !merge {
			// The session part stays the key's tail, as setKey expects.
			c.setKey(slots+"#"+c.id+"\x00"+c.session, len(slots)+1+len(c.id))
			c.slots = slots
			c.parked = true
			p.cohorts[c.key] = c
			return
		}
		for _, s := range c.subs {
			s.c, s.idx = other, len(other.subs)
			other.subs = append(other.subs, s)
			other.fresh = other.fresh || s.fresh
		}
		c.subs = nil
		return
	}
	c.parked = false
	c.setKey(key, len(slots))
	p.cohorts[key] = c
}

// mergeParkedLocked joins the cohorts that reached another's position
// during the last poll.
func (p *poller) mergeParkedLocked() {
	var parked []*cohort
	for _, c := range p.cohorts {
		if c.parked {
			parked = append(parked, c)
		}
	}
	for _, c := range parked {
		p.rekeyLocked(c, true)
	}
}

// batchFailed handles a failed statement (Note in the package doc,
// "Failures").
func (p *poller) batchFailed(ctx context.Context, stmt *pgsql.Multiplexed, consts []any, jobs []job, args []any, err error) {
	if ctx.Err() != nil {
		return // shutting down
	}
	if queryError(err) {
		if len(jobs) > 1 {
			// Find the cohorts at fault: one statement per cohort.
			for i := range jobs {
				p.runBatch(ctx, stmt, consts, jobs[i:i+1])
			}
			return
		}
		var pe *pgconn.PgError
		errors.As(err, &pe)
		ae := apierr.FromPg(pe, &apierr.Statement{SQL: stmt.SQL, Prepared: true, Arguments: args}).At("$")
		p.log.Warn("subscription query failed; ending its subscribers", logKeyError, err.Error())
		p.fail(jobs, ae)
		return
	}
	now := time.Now()
	p.mu.Lock()
	if p.failingFrom.IsZero() {
		p.failingFrom = now
		p.log.Warn("subscription poll failed; retrying", logKeyError, err.Error())
	}
	from := p.failingFrom
	p.mu.Unlock()
	if now.Sub(from) < p.m.o.RetryTimeout {
		return
	}
	p.log.Error("subscription poll failing for too long; ending its subscribers", logKeyError, err.Error(), logKeyCohorts, len(jobs))
	p.fail(jobs, apierr.Wrap(err, apierr.Unexpected, "database query error").At("$"))
}

// queryError reports whether err is an error of the statement itself, as
// opposed to the database being unreachable, restarting or overloaded.
func queryError(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return false
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) < 2 {
		return false
	}
	switch pe.Code[:2] {
	case "08", "53", "57", "58", "XX":
		return false
	}
	return true
}

// fail ends the subscribers of the jobs' cohorts with err.
func (p *poller) fail(jobs []job, err error) {
	var subs []*Subscription
	p.mu.Lock()
	for _, j := range jobs {
		for len(j.c.subs) > 0 {
			s := j.c.subs[len(j.c.subs)-1]
			subs = append(subs, s)
			p.removeLocked(s)
		}
	}
	empty := len(p.cohorts) == 0
	p.mu.Unlock()
	for _, s := range subs {
		s.sink.Fail(err)
	}
	if empty {
		p.m.removePollerIfEmpty(p)
	}
}

// errInternal ends the subscriptions of a poll that panicked.
var errInternal = apierr.New(apierr.Unexpected, "internal error while polling the subscription").At("$")

// recoverPanic, deferred on the poller's goroutines, turns a panic (a bug)
// into a logged error that ends the subscriptions of jobs (all of the
// poller's when jobs is nil) instead of a crashed server.
func (p *poller) recoverPanic(jobs []job) {
	r := recover()
	if r == nil {
		return
	}
	p.log.Error("subscription poll panicked", "panic", r, "stack", string(debug.Stack()))
	if jobs == nil {
		p.failAll(errInternal)
		return
	}
	p.fail(jobs, errInternal)
}

// failAll ends every subscriber of the poller with err.
func (p *poller) failAll(err error) {
	p.mu.Lock()
	jobs := make([]job, 0, len(p.cohorts))
	for _, c := range p.cohorts {
		jobs = append(jobs, job{c: c})
	}
	p.mu.Unlock()
	p.fail(jobs, err)
}

// errPlanChanged ends subscriptions whose cohorts a new plan cannot serve.
var errPlanChanged = apierr.New(apierr.StartFailed, "the metadata changed how this subscription runs; subscribe again").At("$")

// refreshPlan plans the document again when the snapshot changed, so that
// permissions and the schema of every poll are current. It reports
// whether the poller still has a plan.
func (p *poller) refreshPlan() bool {
	cur := p.m.o.Snapshot()
	p.mu.Lock()
	old, oldRoot, oldAll := p.snap, p.root, p.readsAll
	p.mu.Unlock()
	if cur == nil || cur == old {
		return true
	}
	rs := roleSchema(cur, p.key.role, p.key.relay)
	op, err := p.m.operation(cur, rs, &Request{Query: &gql.Request{Query: p.key.query, OperationName: p.key.opName}, Relay: p.key.relay})
	var root *plan.Root
	if err == nil {
		root, err = buildPlan(cur, rs, op, p.vars)
	}
	if err == nil && (!subset(root.StructuralVars, oldRoot.StructuralVars) || !subset(root.SessionVars, oldRoot.SessionVars) ||
		(readsWholeSession(root) && !oldAll) || (root.Stream == nil) != (oldRoot.Stream == nil)) {
		err = errPlanChanged
	}
	var stmt *pgsql.Multiplexed
	if err == nil {
		stmt, err = compile(root)
	}
	if err != nil {
		p.log.Info("subscription ended by a metadata change", logKeyError, err.Error())
		p.failAll(err)
		return false
	}
	p.mu.Lock()
	p.setPlanLocked(cur, root, stmt)
	cohorts := make([]*cohort, 0, len(p.cohorts))
	for _, c := range p.cohorts {
		cohorts = append(cohorts, c)
	}
	for _, c := range cohorts {
		p.rekeyLocked(c, true)
	}
	p.mu.Unlock()
	return true
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
