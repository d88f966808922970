package subscription

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
)

// Options configure a Manager.
type Options struct {
	// Pool runs the polls. Required.
	Pool *pgxpool.Pool
	// Snapshot returns the current schema snapshot; pollers re-plan when it
	// changes. Required.
	Snapshot func() *schema.Snapshot
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// LiveInterval is the live-query refetch interval
	// (HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL); 0 means 1s.
	LiveInterval time.Duration
	// LiveBatchSize is the number of cohorts per statement
	// (HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_BATCH_SIZE); 0 means 100.
	LiveBatchSize int
	// StreamInterval and StreamBatchSize are the same for streaming
	// subscriptions (HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_*).
	StreamInterval  time.Duration
	StreamBatchSize int
	// MaxConcurrentBatches bounds the statements one poll runs at once;
	// 0 means 2 × GOMAXPROCS.
	MaxConcurrentBatches int
	// RetryTimeout is how long a poller retries a database it cannot reach
	// before ending its subscriptions with an error; 0 means 30s.
	RetryTimeout time.Duration
	// PollTimeout bounds one statement; 0 means 30s.
	PollTimeout time.Duration
	// Allowlist accepts from roles other than admin only the queries of
	// the metadata's allow list (HASURA_GRAPHQL_ENABLE_ALLOWLIST), checked
	// again against each new snapshot.
	Allowlist bool
	// ChangeGap is the least time between two polls that writes through
	// graft triggered (see Manager.Changed); 0 means 50ms.
	ChangeGap time.Duration
}

// Sink receives the responses of one subscription. For one subscription,
// calls never overlap and come in order; they must not block for long
// (package ws queues the message and returns).
type Sink interface {
	// Next delivers a response body, {"data":{...}}. The slice is shared
	// between subscribers and must not be modified or kept past the call
	// unless copied.
	Next(payload []byte)
	// Fail ends the subscription: it can no longer be served (a query
	// error, the database unreachable for too long, a metadata change that
	// removed access). No call follows.
	Fail(err error)
}

// Request is one subscription operation.
type Request struct {
	Session *session.Session
	Query   *gql.Request
	// Relay selects the Relay schema (/v1beta1/relay).
	Relay bool
}

// Manager owns the pollers. It is safe for concurrent use.
type Manager struct {
	o      Options
	log    *slog.Logger
	ctx    context.Context // cancelled by Close; polls run under it
	cancel context.CancelFunc
	wg     sync.WaitGroup // poller goroutines

	mu      sync.Mutex
	pollers map[pollerKey]*poller // guarded by mu
	closed  bool                  // guarded by mu

	docMu   sync.Mutex
	docSnap *schema.Snapshot                    // guarded by docMu
	docs    map[docKey]*ast.OperationDefinition // guarded by docMu
}

// Attribute keys of the package's log records.
const (
	logKeyRole      = "role"
	logKeyOperation = "operation"
	logKeyCohorts   = "cohorts"
	logKeyError     = "error"
)

// Changed tells the pollers that a mutation committed through graft wrote
// w: the pollers whose plans read those tables poll again now instead of
// at their next interval (Note [write-triggered polls]). It never blocks.
func (m *Manager) Changed(w plan.Tables) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.pollers {
		if p.readsTables().Overlaps(w) {
			p.notifyChanged()
		}
	}
}

// ErrClosed is returned by Subscribe after Close.
var ErrClosed = errors.New("subscription manager closed")

// New returns a Manager; Close stops it.
func New(o Options) *Manager {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LiveInterval <= 0 {
		o.LiveInterval = time.Second
	}
	if o.LiveBatchSize <= 0 {
		o.LiveBatchSize = 100
	}
	if o.StreamInterval <= 0 {
		o.StreamInterval = time.Second
	}
	if o.StreamBatchSize <= 0 {
		o.StreamBatchSize = 100
	}
	if o.MaxConcurrentBatches <= 0 {
		o.MaxConcurrentBatches = 2 * runtime.GOMAXPROCS(0)
	}
	if o.RetryTimeout <= 0 {
		o.RetryTimeout = 30 * time.Second
	}
	if o.PollTimeout <= 0 {
		o.PollTimeout = 30 * time.Second
	}
	// The manager lives as long as the server; its context is cancelled by
	// Close, not by any request.
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{o: o, log: o.Logger, ctx: ctx, cancel: cancel, pollers: map[pollerKey]*poller{}, docs: map[docKey]*ast.OperationDefinition{}}
}

// Close ends every subscription without a message (the caller closes the
// connections) and waits for the pollers to stop. Subscribe fails after it.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	ps := make([]*poller, 0, len(m.pollers))
	for k, p := range m.pollers {
		ps = append(ps, p)
		delete(m.pollers, k)
	}
	m.mu.Unlock()
	m.cancel()
	for _, p := range ps {
		p.shutdown()
	}
	m.wg.Wait()
}

// Stats counts what the manager serves.
type Stats struct {
	Pollers, Cohorts, Subscribers int
}

// Stats returns the current counts.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	ps := make([]*poller, 0, len(m.pollers))
	for _, p := range m.pollers {
		ps = append(ps, p)
	}
	m.mu.Unlock()
	st := Stats{Pollers: len(ps)}
	for _, p := range ps {
		p.mu.Lock()
		st.Cohorts += len(p.cohorts)
		for _, c := range p.cohorts {
			st.Subscribers += len(c.subs)
		}
		p.mu.Unlock()
	}
	return st
}

// pollerKey identifies a poller: subscriptions that share one compile to
// the same statement.
type pollerKey struct {
	role, query, opName string
	relay               bool
	// structural is the canonical encoding of the values of the plan's
	// structural variables (plan.Root.StructuralVars).
	structural string
}

type docKey struct {
	role, query, opName string
	relay               bool
}

// maxCachedDocs bounds the parsed documents kept per snapshot.
const maxCachedDocs = 1000

// operation parses and validates the document for the role, cached per
// snapshot so that many subscribers of one document parse it once.
func (m *Manager) operation(snap *schema.Snapshot, rs *schema.RoleSchema, req *Request) (*ast.OperationDefinition, error) {
	k := docKey{role: rs.Role, query: req.Query.Query, opName: req.Query.OperationName, relay: req.Relay}
	m.docMu.Lock()
	if m.docSnap != snap {
		m.docSnap, m.docs = snap, map[docKey]*ast.OperationDefinition{}
	}
	op, ok := m.docs[k]
	m.docMu.Unlock()
	if ok {
		return op, nil
	}
	if m.o.Allowlist && rs.Role != session.AdminRole {
		n, err := schema.NormalizeQuery(req.Query.Query)
		if err != nil || !snap.Model.Allowlist.Allows(rs.Role, n) {
			return nil, apierr.New(apierr.ValidationFailed, "query is not allowed").At("$")
		}
	}
	doc, err := gql.Parse(rs.Schema, req.Query.Query)
	if err != nil {
		return nil, err
	}
	op, err = gql.Operation(doc, req.Query.OperationName)
	if err != nil {
		return nil, err
	}
	m.docMu.Lock()
	if m.docSnap == snap {
		if len(m.docs) >= maxCachedDocs {
			m.docs = map[docKey]*ast.OperationDefinition{}
		}
		m.docs[k] = op
	}
	m.docMu.Unlock()
	return op, nil
}

func roleSchema(snap *schema.Snapshot, role string, relay bool) *schema.RoleSchema {
	if relay {
		return snap.Relay(role)
	}
	return snap.Role(role)
}

// errRootIntrospection marks an introspection root field, which Hasura
// refuses in subscriptions.
var errRootIntrospection = errors.New("introspection in a subscription")

// planned is a subscription's plan and what identifies its poller.
type planned struct {
	root *plan.Root
	vars map[string]any
	key  pollerKey
}

// planRequest validates and plans req against snap (Hasura's
// buildSubscriptionPlan checks included).
func (m *Manager) planRequest(snap *schema.Snapshot, req *Request) (*planned, error) {
	rs := roleSchema(snap, req.Session.Role, req.Relay)
	op, err := m.operation(snap, rs, req)
	if err != nil {
		return nil, err
	}
	if op.Operation != ast.Subscription {
		return nil, apierr.New(apierr.UnexpectedPayload, "not a subscription")
	}
	vars, err := gql.Variables(rs.Schema, op, req.Query.Variables)
	if err != nil {
		return nil, err
	}
	root, err := buildPlan(snap, rs, op, vars)
	if err != nil {
		return nil, err
	}
	if err := root.CheckVars(vars); err != nil {
		return nil, err
	}
	for _, name := range root.SessionVars {
		if _, ok := req.Session.Var(name); !ok {
			return nil, apierr.New(apierr.NotFound, "missing session variable: %q", name).At("$")
		}
	}
	key := pollerKey{role: rs.Role, query: req.Query.Query, opName: req.Query.OperationName, relay: req.Relay,
		structural: pgsql.ValuesKey(root.StructuralVars, vars)}
	return &planned{root: root, vars: vars, key: key}, nil
}

// buildPlan plans a subscription operation and applies Hasura's rules on
// its root fields.
func buildPlan(snap *schema.Snapshot, rs *schema.RoleSchema, op *ast.OperationDefinition, vars map[string]any) (*plan.Root, error) {
	root, err := plan.Build(plan.Input{
		Schema: rs, Model: snap.Model, Op: op, Vars: vars,
		Introspect: func(*ast.Field) ([]byte, error) { return nil, errRootIntrospection },
	})
	if errors.Is(err, errRootIntrospection) {
		return nil, apierr.New(apierr.NotSupported, "Introspection at root field level is not supported over subscriptions").At("$")
	}
	if err != nil {
		return nil, err
	}
	db := 0
	for _, f := range root.Fields {
		if f.Select == nil {
			return nil, apierr.New(apierr.NotSupported, "Introspection at root field level is not supported over subscriptions").At("$")
		}
		db++
	}
	if db == 0 {
		return nil, apierr.New(apierr.ValidationFailed, "no subscriptions exist").At("$")
	}
	if root.Stream != nil && db > 1 {
		return nil, apierr.New(apierr.NotSupported, "exactly one root field is allowed for streaming subscriptions").At("$")
	}
	return root, nil
}

// compile compiles root for many cohorts.
func compile(root *plan.Root) (*pgsql.Multiplexed, error) {
	var stmt *pgsql.Multiplexed
	var err error
	if root.Stream != nil {
		stmt, err = pgsql.CompileStream(root)
	} else {
		stmt, err = pgsql.CompileMultiplexed(root)
	}
	if err == nil && stmt == nil {
		err = errors.New("no database root field")
	}
	if err != nil {
		return nil, apierr.Wrap(err, apierr.Unexpected, "failed to compile the subscription").At("$")
	}
	return stmt, nil
}

// Subscribe starts a subscription for req: its first result reaches sink
// as soon as it is fetched, later ones when they change. The error is a
// request error (validation, permissions) to report before any result.
func (m *Manager) Subscribe(snap *schema.Snapshot, req *Request, sink Sink) (*Subscription, error) {
	pl, err := m.planRequest(snap, req)
	if err != nil {
		return nil, err
	}
	var stmt *pgsql.Multiplexed
	for attempt := 0; ; attempt++ {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		p := m.pollers[pl.key]
		if p == nil && stmt != nil {
			p = m.newPollerLocked(snap, pl, stmt)
		}
		if p != nil {
			sub, err := p.add(pl, req.Session, sink)
			m.mu.Unlock()
			if err != nil {
				return nil, err
			}
			p.wakeup()
			return sub, nil
		}
		m.mu.Unlock()
		// Compile outside the lock, then look again: another subscriber
		// may have created the poller meanwhile.
		if stmt, err = compile(pl.root); err != nil {
			return nil, err
		}
	}
}

// newPollerLocked creates and starts the poller of pl. m.mu is held.
func (m *Manager) newPollerLocked(snap *schema.Snapshot, pl *planned, stmt *pgsql.Multiplexed) *poller {
	p := newPoller(m, snap, pl, stmt)
	m.pollers[pl.key] = p
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer p.recoverPanic(nil)
		p.run()
	}()
	return p
}

// removePoller forgets p if it has no cohort left, and stops it.
func (m *Manager) removePollerIfEmpty(p *poller) {
	m.mu.Lock()
	p.mu.Lock()
	empty := len(p.cohorts) == 0
	if empty && m.pollers[p.key] == p {
		delete(m.pollers, p.key)
	}
	p.mu.Unlock()
	m.mu.Unlock()
	if empty {
		p.shutdown()
	}
}
