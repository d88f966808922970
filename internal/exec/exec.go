// Package exec runs GraphQL requests: it finds or builds the compiled plan
// of a (role, document, operation) in the snapshot's cache, binds the
// request's values as parameters, runs the one SQL statement on a pgx pool
// and writes PostgreSQL's JSON bytes into the response without decoding
// them.
package exec

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/vektah/gqlparser/v2/ast"
)

// Introspector computes the value of a __schema or __type field.
type Introspector func(s *ast.Schema, field *ast.Field, vars map[string]any) ([]byte, error)

// Options configure an Engine.
type Options struct {
	Pool       *pgxpool.Pool
	Logger     *slog.Logger
	Introspect Introspector
	// MaxDocuments bounds the cached documents per snapshot (0: 10 000).
	MaxDocuments int
	// Allowlist accepts from roles other than admin only the queries of
	// allow-listed collections (HASURA_GRAPHQL_ENABLE_ALLOWLIST).
	Allowlist bool
	// Committed, if set, is told the tables every committed mutation wrote
	// (subscriptions poll again: Note [write-triggered polls] in package
	// subscription). It must not block.
	Committed func(plan.Tables)
}

// Engine runs GraphQL requests. It is safe for concurrent use.
type Engine struct {
	pool       *pgxpool.Pool
	log        *slog.Logger
	introspect Introspector
	maxDocs    int64
	allowlist  bool
	committed  func(plan.Tables)
}

// New returns an Engine.
func New(o Options) *Engine {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxDocuments == 0 {
		o.MaxDocuments = 10000
	}
	return &Engine{pool: o.Pool, log: o.Logger, introspect: o.Introspect, maxDocs: int64(o.MaxDocuments), allowlist: o.Allowlist, committed: o.Committed}
}

// Mode selects the schema a request runs against.
type Mode int

const (
	// ModeGraphQL is /v1/graphql and /v1alpha1/graphql.
	ModeGraphQL Mode = iota
	// ModeRelay is /v1beta1/relay.
	ModeRelay
)

// cacheCount counts the documents cached in a snapshot.
type cacheCount struct{}

// document is a parsed and validated (role, query, operation name).
type document struct {
	rs          *schema.RoleSchema
	op          *ast.OperationDefinition
	backendOnly bool
	mu          sync.Mutex                 // serializes adding variants
	variants    atomic.Pointer[[]*variant] // readers load without locking
}

// variant groups the plans of a document that read the same variables
// structurally; plans are keyed by those variables' values.
type variant struct {
	vars  []string
	plans sync.Map // values key -> *prepared
	count atomic.Int32
}

const maxPlansPerVariant = 64

// prepared is a compiled plan ready to run.
type prepared struct {
	root *plan.Root
	stmt *pgsql.Statement
	// steps are a mutation's fields (stmt is nil then).
	steps []*pgsql.MutationStep
	// column[i] is the result column of root field i, or -1 for a static one.
	column []int
}

// Execute runs req for sess against snap and writes the response body to w.
// When it returns an error, nothing has been written.
func (e *Engine) Execute(ctx context.Context, snap *schema.Snapshot, sess *session.Session, req *gql.Request, mode Mode, w io.Writer) error {
	doc, err := e.document(snap, sess, req, mode)
	if err != nil {
		return err
	}
	vars, err := gql.Variables(doc.rs.Schema, doc.op, req.Variables)
	if err != nil {
		return err
	}
	p, err := e.plan(snap, doc, vars)
	if err != nil {
		return err
	}
	if err := p.root.CheckVars(vars); err != nil {
		return err
	}
	if doc.op.Operation == ast.Subscription {
		return apierr.New(apierr.UnexpectedPayload, "subscriptions are not supported over HTTP, use websockets instead").At("$")
	}
	for _, name := range p.root.SessionVars {
		if _, ok := sess.Var(name); !ok {
			return apierr.New(apierr.NotFound, "missing session variable: %q", name).At("$")
		}
	}
	if p.root.Mutation {
		return e.mutate(ctx, p, sess, vars, w)
	}
	return e.run(ctx, p, sess, vars, w)
}

// docKey identifies a cached document. Its strings share the request's
// memory, so building it copies nothing.
type docKey struct {
	role, opName, query string
	mode                Mode
	backendOnly         bool
}

func (e *Engine) document(snap *schema.Snapshot, sess *session.Session, req *gql.Request, mode Mode) (*document, error) {
	role := sess.Role
	key := docKey{role: role, opName: req.OperationName, query: req.Query, mode: mode, backendOnly: sess.BackendOnly}
	if d, ok := snap.Cache.Load(key); ok {
		return d.(*document), nil
	}
	var rs *schema.RoleSchema
	switch {
	case mode == ModeRelay:
		rs = snap.Relay(role)
	case sess.BackendOnly:
		rs = snap.BackendOnly(role)
	default:
		rs = snap.Role(role)
	}
	if e.allowlist && role != session.AdminRole {
		n, err := schema.NormalizeQuery(req.Query)
		if err != nil || !snap.Model.Allowlist.Allows(role, n) {
			return nil, apierr.New(apierr.ValidationFailed, "query is not allowed").At("$")
		}
	}
	parsed, err := gql.Parse(rs.Schema, req.Query)
	if err != nil {
		return nil, err
	}
	op, err := gql.Operation(parsed, req.OperationName)
	if err != nil {
		return nil, err
	}
	d := &document{rs: rs, op: op, backendOnly: sess.BackendOnly}
	d.variants.Store(&[]*variant{})
	n, _ := snap.Cache.LoadOrStore(cacheCount{}, new(atomic.Int64))
	if n.(*atomic.Int64).Add(1) <= e.maxDocs {
		if prev, loaded := snap.Cache.LoadOrStore(key, d); loaded {
			return prev.(*document), nil
		}
	}
	return d, nil
}

// plan returns the compiled plan for vars, building it on a cache miss.
func (e *Engine) plan(snap *schema.Snapshot, d *document, vars map[string]any) (*prepared, error) {
	for _, v := range *d.variants.Load() {
		if p, ok := v.plans.Load(pgsql.ValuesKey(v.vars, vars)); ok {
			return p.(*prepared), nil
		}
	}
	root, err := plan.Build(plan.Input{
		Schema: d.rs, Model: snap.Model, Op: d.op, Vars: vars, BackendOnly: d.backendOnly,
		Introspect: func(f *ast.Field) ([]byte, error) {
			if e.introspect == nil {
				return nil, apierr.New(apierr.NotSupported, "introspection is not available")
			}
			return e.introspect(d.rs.Schema, f, vars)
		},
	})
	if err != nil {
		return nil, err
	}
	if hasIntrospection(root, d.op) {
		// Introspection reads variables we cannot track; key on all of them.
		for _, v := range d.op.VariableDefinitions {
			root.StructuralVars = appendUnique(root.StructuralVars, v.Variable)
		}
	}
	p := &prepared{root: root, column: make([]int, len(root.Fields))}
	if root.Mutation {
		p.steps, err = pgsql.CompileMutation(root)
	} else {
		p.stmt, err = pgsql.Compile(root)
	}
	if err != nil {
		return nil, apierr.Wrap(err, apierr.Unexpected, "failed to compile the query").At("$")
	}
	col := 0
	for i, f := range root.Fields {
		if f.Select != nil {
			p.column[i] = col
			col++
		} else {
			p.column[i] = -1
		}
	}
	e.remember(d, p, vars)
	return p, nil
}

func hasIntrospection(root *plan.Root, op *ast.OperationDefinition) bool {
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && (f.Name == "__schema" || f.Name == "__type") {
			return true
		}
	}
	return false
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// remember caches p under the variant of its structural variables.
func (e *Engine) remember(d *document, p *prepared, vars map[string]any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	vs := *d.variants.Load()
	var v *variant
	for _, x := range vs {
		if sameSet(x.vars, p.root.StructuralVars) {
			v = x
			break
		}
	}
	if v == nil {
		v = &variant{vars: append([]string(nil), p.root.StructuralVars...)}
		nv := append(append(make([]*variant, 0, len(vs)+1), vs...), v)
		d.variants.Store(&nv)
	}
	if v.count.Add(1) > maxPlansPerVariant {
		return
	}
	v.plans.Store(pgsql.ValuesKey(v.vars, vars), p)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if x == y {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// run binds the parameters, runs the statement and writes the response.
func (e *Engine) run(ctx context.Context, p *prepared, sess *session.Session, vars map[string]any, w io.Writer) error {
	var vals [][]byte
	var rows pgx.Rows
	if p.stmt != nil {
		args, err := bind(p.stmt.Params, sess, vars)
		if err != nil {
			return err
		}
		rows, err = e.pool.Query(ctx, p.stmt.SQL, args...)
		if err != nil {
			return e.dbError(err, p.stmt, args)
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return e.dbError(err, p.stmt, args)
			}
			return apierr.New(apierr.Unexpected, "database query error: no result row").At("$")
		}
		vals = rows.RawValues()
	}
	buf := bufPool.Get().(*[]byte)
	out := appendData((*buf)[:0], p.root.Fields, func(i int) []byte { return vals[p.column[i]] })
	if rows != nil {
		rows.Close()
		if err := rows.Err(); err != nil {
			putBuf(buf, out)
			return e.dbError(err, p.stmt, nil)
		}
	}
	_, err := w.Write(out)
	putBuf(buf, out)
	return err
}

// appendData appends the response {"data":{alias: value, ...}}: a static
// field's own JSON (__typename, introspection), else value(i) for the
// i-th field, nil standing for null.
func appendData(out []byte, fields []*plan.RootField, value func(i int) []byte) []byte {
	out = append(out, `{"data":{`...)
	for i, f := range fields {
		if i > 0 {
			out = append(out, ',')
		}
		out = AppendJSONString(out, f.Alias)
		out = append(out, ':')
		if f.Select == nil && f.Mutation == nil {
			out = append(out, f.Static...)
			continue
		}
		if v := value(i); v != nil {
			out = append(out, v...)
		} else {
			out = append(out, "null"...)
		}
	}
	return append(out, "}}"...)
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putBuf returns a response buffer to the pool, unless it grew large.
func putBuf(buf *[]byte, out []byte) {
	*buf = out
	if cap(out) <= 1<<20 {
		bufPool.Put(buf)
	}
}

func (e *Engine) dbError(err error, stmt *pgsql.Statement, args []any) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return apierr.FromPg(pe, &apierr.Statement{SQL: stmt.SQL, Prepared: true, Arguments: args}).At("$")
	}
	if errors.Is(err, context.Canceled) {
		return apierr.Wrap(err, apierr.Unexpected, "request cancelled").At("$")
	}
	return apierr.Wrap(err, apierr.Unexpected, "database query error").At("$")
}
