package schema

import (
	"sync"

	"github.com/vektah/gqlparser/v2/ast"
)

// Snapshot is one version of the served API: a Model and, built lazily once
// per role, each role's GraphQL schema. It is safe for concurrent use and
// never changes after creation except for filling its role cache.
type Snapshot struct {
	Model *Model
	// ResourceVersion is the metadata resource_version it was built from.
	ResourceVersion int64
	// Cache holds what package exec compiled against this snapshot (keys and
	// values belong to exec); it goes away with the snapshot.
	Cache sync.Map

	mu    sync.Mutex
	roles map[string]*roleEntry // guarded by mu
}

type roleEntry struct {
	once    sync.Once
	role    *RoleSchema
	relay   sync.Once
	rel     *RoleSchema
	backend sync.Once
	back    *RoleSchema
}

// NewSnapshot returns a snapshot of m.
func NewSnapshot(m *Model, resourceVersion int64) *Snapshot {
	return &Snapshot{Model: m, ResourceVersion: resourceVersion, roles: make(map[string]*roleEntry)}
}

func (s *Snapshot) entry(role string) *roleEntry {
	s.mu.Lock()
	e, ok := s.roles[role]
	if !ok {
		e = &roleEntry{}
		s.roles[role] = e
	}
	s.mu.Unlock()
	return e
}

// Role returns role's GraphQL schema, building it on first use. Every role
// has a schema; a role without permissions gets the empty one
// (query_root { no_queries_available: String! }).
func (s *Snapshot) Role(role string) *RoleSchema {
	e := s.entry(role)
	e.once.Do(func() { e.role = BuildRoleSchema(s.Model, role, false) })
	return e.role
}

// BackendOnly returns role's schema with its backend_only mutations, for
// requests that may use them, building it on first use.
func (s *Snapshot) BackendOnly(role string) *RoleSchema {
	e := s.entry(role)
	e.backend.Do(func() { e.back = buildRoleSchema(s.Model, role, false, true) })
	return e.back
}

// Relay returns role's Relay schema (/v1beta1/relay), building it on first use.
func (s *Snapshot) Relay(role string) *RoleSchema {
	e := s.entry(role)
	e.relay.Do(func() { e.rel = BuildRoleSchema(s.Model, role, true) })
	return e.rel
}

// RoleSchema is the GraphQL schema one role sees, with what each root field
// means. It is immutable after construction.
type RoleSchema struct {
	Role  string
	Relay bool
	// Schema is the schema used for validation and introspection.
	Schema *ast.Schema
	// Query, Mutation and Subscription map root field names to their meaning.
	Query, Mutation, Subscription map[string]*RootField
}

// RootKind says what a root field does.
type RootKind int

const (
	RootSelect RootKind = iota
	RootSelectByPk
	RootSelectAggregate
	RootSelectStream
	RootFunction
	RootFunctionAggregate
	RootInsert
	RootInsertOne
	RootUpdate
	RootUpdateByPk
	RootUpdateMany
	RootDelete
	RootDeleteByPk
	RootRelayConnection         // <t>_connection
	RootRelayFunctionConnection // <fn>_connection
	RootRelayNode               // node(id: ID!)
	RootNoQueries               // no_queries_available
)

// RootField is the meaning of a root field.
type RootField struct {
	Kind     RootKind
	Table    *Table    // the table selected from or written to
	Function *Function // for RootFunction, RootFunctionAggregate, RootRelayFunctionConnection
}
