package subscription

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/pgsql"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/session"
)

// cohort is the subscribers of a poller whose statement arguments are
// equal: the same variable slots and the same values of the session
// variables the plan reads. One result row per poll serves all of them.
type cohort struct {
	// id is the cohort's result_id in the statement; it never changes.
	id string
	// key is slots + "\x00" + session, the cohort's entry in
	// poller.cohorts; a stream cohort's key changes with its cursor.
	key     string          // guarded by poller.mu
	slots   string          // guarded by poller.mu: JSON array of the variable slots
	session string          // guarded by poller.mu: session JSON bound for the cohort
	subs    []*Subscription // guarded by poller.mu
	// fresh is set while some subscriber waits for its first result.
	fresh bool // guarded by poller.mu
	// vars are the coerced variables (to recompute the slots on re-plan).
	vars map[string]any
	// cursor is a stream cohort's cursor value as parameter text (nil:
	// NULL). Guarded by poller.mu.
	cursor *string
	// parked is set while the cohort waits to join another that is at the
	// same position (poller.rekeyLocked). Guarded by poller.mu.
	parked bool

	// Owned by the poller goroutine.
	hash   [32]byte // hash of the last result sent (live queries)
	hashed bool
}

// Subscription is one subscriber. Stop ends it.
type Subscription struct {
	p    *poller
	sink Sink
	c    *cohort // guarded by p.mu; nil once removed
	idx  int     // guarded by p.mu: index in c.subs
	// fresh is set until the subscriber received its first result.
	fresh bool // guarded by p.mu
}

// Stop ends the subscription; no call reaches its sink after Stop returns,
// except one already in progress.
func (s *Subscription) Stop() {
	p := s.p
	p.mu.Lock()
	removed := p.removeLocked(s)
	empty := len(p.cohorts) == 0
	p.mu.Unlock()
	if removed && empty {
		p.m.removePollerIfEmpty(p)
	}
}

// removeLocked takes s out of its cohort, and the cohort out of the
// poller when it is empty. It reports whether s was still subscribed.
func (p *poller) removeLocked(s *Subscription) bool {
	c := s.c
	if c == nil {
		return false
	}
	last := len(c.subs) - 1
	moved := c.subs[last]
	c.subs[s.idx] = moved
	moved.idx = s.idx
	c.subs[last] = nil
	c.subs = c.subs[:last]
	s.c = nil
	if len(c.subs) == 0 {
		if p.cohorts[c.key] == c {
			delete(p.cohorts, c.key)
		}
		c.subs = nil
	}
	return true
}

// cohortKey is the map key of a cohort with these arguments.
func cohortKey(slots, session string) string { return slots + "\x00" + session }

var jsonType = boolexp.Type{SQL: "json", Encoding: boolexp.EncodeJSON}

// slotsJSON encodes the cohort's variable slots (Note [multiplexed
// statements]): each slot is the parameter text of a variable, or of the
// cursor for plan.CursorVar.
func slotsJSON(specs []pgsql.ParamSpec, vars map[string]any, cursor *string) (string, error) {
	if len(specs) == 0 {
		return "[]", nil
	}
	vals := make([]*string, len(specs))
	for i, s := range specs {
		if s.Var == plan.CursorVar {
			vals[i] = cursor
			continue
		}
		v, err := pgsql.Encode(vars[s.Var], s.Type)
		if err != nil {
			return "", apierr.New(apierr.ValidationFailed, "variable %q: %s", s.Var, err.Error()).At("$.variableValues." + s.Var)
		}
		vals[i] = v
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// sessionJSON is the session object bound for a cohort: with readsAll,
// the whole session (a function receives it); otherwise only the
// variables the plan reads, so that subscribers differing in other
// variables share the cohort.
func sessionJSON(sess *session.Session, names []string, readsAll bool) string {
	if readsAll {
		return string(sess.JSON())
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for _, name := range sorted {
		v, ok := sess.Var(name)
		if !ok {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		kb, _ := json.Marshal(strings.ToLower(name))
		vb, _ := json.Marshal(v)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.String()
}

// initialCursor is the parameter text of a stream's initial_value.
func initialCursor(st *plan.Stream, vars map[string]any) (*string, error) {
	var v any
	switch x := st.Initial.Value.(type) {
	case boolexp.Const:
		v = x.V
	case boolexp.Var:
		v = vars[x.Name]
	}
	s, err := pgsql.Encode(v, st.Type)
	if err != nil {
		return nil, apierr.New(apierr.ValidationFailed, "cursor initial_value: %s", err.Error())
	}
	return s, nil
}

// readsWholeSession reports whether the plan passes the session JSON to a
// function, so that every session variable may affect the result.
func readsWholeSession(root *plan.Root) bool {
	var sel func(s *plan.Select) bool
	var call func(fc *plan.FunctionCall) bool
	call = func(fc *plan.FunctionCall) bool {
		if fc == nil {
			return false
		}
		for _, a := range fc.Args {
			if a.Session {
				return true
			}
		}
		return false
	}
	var fields func(fs []*plan.Field) bool
	fields = func(fs []*plan.Field) bool {
		for _, f := range fs {
			if call(f.Call) || (f.Select != nil && sel(f.Select)) || fields(f.Children) || exprReadsSession(f.Cond) {
				return true
			}
		}
		return false
	}
	sel = func(s *plan.Select) bool {
		if call(s.Function) || fields(s.Fields) {
			return true
		}
		for _, ob := range s.OrderBy {
			if call(ob.Computed) || (ob.Agg != nil && call(ob.Agg.Computed)) {
				return true
			}
		}
		return exprReadsSession(s.Where) || exprReadsSession(s.Perm)
	}
	for _, f := range root.Fields {
		if f.Select != nil && sel(f.Select) {
			return true
		}
	}
	return false
}

// exprReadsSession reports whether a boolean expression calls a computed
// field that takes the session.
func exprReadsSession(e boolexp.Expr) bool {
	switch e := e.(type) {
	case boolexp.And:
		for _, x := range e {
			if exprReadsSession(x) {
				return true
			}
		}
	case boolexp.Or:
		for _, x := range e {
			if exprReadsSession(x) {
				return true
			}
		}
	case boolexp.Not:
		return exprReadsSession(e.Expr)
	case *boolexp.Relationship:
		return exprReadsSession(e.Where) || exprReadsSession(e.Permission)
	case *boolexp.Exists:
		return exprReadsSession(e.Where)
	case *boolexp.AggregatePredicate:
		return exprReadsSession(e.Relationship.Where) || exprReadsSession(e.Relationship.Permission)
	case *boolexp.ComputedField:
		return e.SessionArg >= 0 || exprReadsSession(e.Where) || exprReadsSession(e.Permission)
	}
	return false
}
