// Package metaapi is the service behind Hasura's admin APIs: /v1/metadata,
// the legacy /v1/query and /v2/query (run_sql and the DML commands).
//
// A [Service] owns the metadata: it stores it with [metadata.Store], keeps
// the catalog of the served source, and publishes a [schema.Snapshot] that
// the GraphQL server reads without locking. Writes are serialized by one
// mutex; each applies a pure [metadata.Apply] operation to a copy of the
// metadata, resolves the copy against the database with [schema.Build],
// rejects it if it made something newly inconsistent (as Hasura does),
// stores it with the resource version it started from, and only then swaps
// in the new snapshot. Other servers sharing the metadata database notice
// the new resource version by polling ([Service.Run]) and rebuild.
//
//	request --> decode --> metadata.Apply (copy) --> schema.Build --> check
//	        --> Store.Save (resource_version) --> snapshot swap --> response
package metaapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
)

// Options configure a Service.
type Options struct {
	// MetadataPool is the metadata database (HASURA_GRAPHQL_METADATA_DATABASE_URL,
	// else HASURA_GRAPHQL_DATABASE_URL). Required.
	MetadataPool *pgxpool.Pool
	// SourcePool is the database of source "default"
	// (HASURA_GRAPHQL_DATABASE_URL). When nil, the source's connection is
	// opened from its configuration in the metadata.
	SourcePool *pgxpool.Pool
	// Schema are the server settings that change the generated schema.
	Schema schema.Options
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Getenv reads environment variables named by the metadata
	// (database_url.from_env) and HASURA_GRAPHQL_DATABASE_URL; nil means
	// none are set.
	Getenv func(string) string
	// SyncInterval is how often Run polls the stored resource version
	// (HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL); 0 means 1s.
	SyncInterval time.Duration
	// ExtensionsSchema is where pgcrypto goes in the metadata database
	// (HASURA_GRAPHQL_METADATA_DATABASE_EXTENSIONS_SCHEMA); "" means public.
	ExtensionsSchema string
	// MaintenanceMode refuses metadata changes (HASURA_GRAPHQL_ENABLE_MAINTENANCE_MODE).
	MaintenanceMode bool
}

// Service is the metadata service. Its methods are safe for concurrent use.
type Service struct {
	o     Options
	log   *slog.Logger
	store *metadata.Store

	snap atomic.Pointer[schema.Snapshot]

	mu sync.Mutex // serializes writers; guards the fields below
	// md and rv are the metadata the current snapshot was built from.
	md *metadata.Metadata // guarded by mu
	rv int64              // guarded by mu
	// cat is the catalog of the served source; nil when unknown.
	cat *catalog.Catalog // guarded by mu
	// enums caches the rows of enum tables; cleared when the database may
	// have changed (run_sql, DML, reload).
	enums map[catalog.QualifiedName][]schema.EnumValue // guarded by mu
	// pools are connections opened for sources from their configuration.
	pools map[string]*pgxpool.Pool // guarded by mu
	// sourceErr is why the served source could not be reached, if it could not.
	sourceErr error // guarded by mu
}

// Attribute keys of the service's log records.
const (
	logKeyResourceVersion = "resource_version"
	logKeySource          = "source"
	logKeyTable           = "table"
	logKeyError           = "error"
)

// New returns a service; call Start before using it.
func New(opts Options) *Service {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	if opts.SyncInterval == 0 {
		opts.SyncInterval = time.Second
	}
	st := metadata.NewStore(opts.MetadataPool)
	st.ExtensionsSchema = opts.ExtensionsSchema
	s := &Service{o: opts, log: opts.Logger, store: st, pools: map[string]*pgxpool.Pool{}}
	s.snap.Store(schema.NewSnapshot(schema.Build(schema.Input{Metadata: metadata.Empty(), Source: metadata.DefaultSource, Options: opts.Schema}), 0))
	return s
}

// defaultSourceConfig is the configuration Hasura gives the source it adds
// for HASURA_GRAPHQL_DATABASE_URL.
const defaultSourceConfig = `{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"},"isolation_level":"read-committed","pool_settings":{"connection_lifetime":600,"idle_timeout":180,"max_connections":50,"retries":1},"use_prepared_statements":true}}`

// Start prepares hdb_catalog, loads the metadata (adding source "default"
// for HASURA_GRAPHQL_DATABASE_URL when the metadata has no source, as
// Hasura does), introspects the source and publishes the first snapshot.
// Metadata that no longer matches the database never stops Start: the
// mismatched objects are reported as inconsistent.
func (s *Service) Start(ctx context.Context) error {
	if err := s.store.Init(ctx); err != nil {
		return fmt.Errorf("initialize metadata catalog: %w", err)
	}
	md, rv, err := s.store.Load(ctx)
	if err != nil {
		return err
	}
	if len(md.Sources) == 0 && (s.o.SourcePool != nil || s.o.Getenv("HASURA_GRAPHQL_DATABASE_URL") != "") {
		md.Sources = append(md.Sources, &metadata.Source{
			Name: metadata.DefaultSource, Kind: "postgres", Tables: []*metadata.Table{},
			Configuration: json.RawMessage(defaultSourceConfig),
		})
		rv, err = s.store.Save(ctx, md, rv)
		if err != nil {
			return fmt.Errorf("add source default: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installLocked(ctx, md, rv, true)
	return nil
}

// Snapshot returns the current snapshot; never nil.
func (s *Service) Snapshot() *schema.Snapshot { return s.snap.Load() }

// Inconsistent reports whether the current metadata has inconsistent
// objects (for /healthz).
func (s *Service) Inconsistent() bool {
	return len(s.snap.Load().Model.Inconsistencies) > 0
}

// Run polls the stored resource version every SyncInterval and rebuilds the
// snapshot when another server changed the metadata, until ctx is done.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(s.o.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.sync(ctx); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "metadata sync failed", logKeyError, err)
			}
		}
	}
}

// sync reloads the metadata if the stored resource version moved.
func (s *Service) sync(ctx context.Context) error {
	rv, err := s.store.ResourceVersion(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if rv == s.rv {
		return nil
	}
	return s.reloadLocked(ctx)
}

// reloadLocked loads the stored metadata and rebuilds everything from the
// database.
func (s *Service) reloadLocked(ctx context.Context) error {
	md, rv, err := s.store.Load(ctx)
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "metadata changed by another server; rebuilding", logKeyResourceVersion, rv)
	s.installLocked(ctx, md, rv, true)
	return nil
}

// installLocked makes md at rv current, refreshing the catalog first when
// introspect is set.
func (s *Service) installLocked(ctx context.Context, md *metadata.Metadata, rv int64, introspect bool) {
	if introspect {
		s.enums = nil
		s.refreshCatalogLocked(ctx, md)
	}
	m := s.buildLocked(ctx, md, s.cat)
	s.publishLocked(md, rv, m)
}

func (s *Service) publishLocked(md *metadata.Metadata, rv int64, m *schema.Model) {
	s.md, s.rv = md, rv
	s.snap.Store(schema.NewSnapshot(m, rv))
}

// servedSource is the source whose tables the GraphQL API serves.
func servedSource(md *metadata.Metadata) string {
	if _, ok := md.Source(metadata.DefaultSource); ok {
		return metadata.DefaultSource
	}
	for _, src := range md.Sources {
		if src.Kind == "" || src.Kind == "postgres" || src.Kind == "pg" {
			return src.Name
		}
	}
	return metadata.DefaultSource
}

// refreshCatalogLocked introspects the served source.
func (s *Service) refreshCatalogLocked(ctx context.Context, md *metadata.Metadata) {
	s.cat, s.sourceErr = nil, nil
	name := servedSource(md)
	if _, ok := md.Source(name); !ok {
		return
	}
	pool, err := s.poolLocked(ctx, md, name)
	if err == nil {
		s.cat, err = catalog.Introspect(ctx, pool)
	}
	if err != nil {
		s.sourceErr = err
		s.log.WarnContext(ctx, "source is not reachable", logKeySource, name, logKeyError, err)
	}
}

// buildLocked resolves md against cat, reading the rows of enum tables.
func (s *Service) buildLocked(ctx context.Context, md *metadata.Metadata, cat *catalog.Catalog) *schema.Model {
	source := servedSource(md)
	in := schema.Input{Metadata: md, Source: source, Catalog: cat, Options: s.o.Schema}
	if cat != nil {
		in.EnumValues = s.enumValuesLocked(ctx, md, source, cat)
	}
	m := schema.Build(in)
	if s.sourceErr != nil {
		if src, ok := md.Source(source); ok {
			m.Inconsistencies = append(m.Inconsistencies,
				metadata.NewInconsistency(metadata.SourceID(source), "source "+source+": "+s.sourceErr.Error(), src))
		}
	}
	return m
}

// errNoSource is returned when a command names a source graft cannot reach.
var errNoSource = errors.New("source not reachable")
