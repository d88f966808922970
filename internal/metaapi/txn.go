package metaapi

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
)

// txn is one write request in progress: a working copy of the metadata,
// the model built from it and the catalog it was built against. Nothing is
// visible to others until commit stores the metadata and swaps the snapshot.
// The service mutex is held for the whole txn.
type txn struct {
	s   *Service
	ctx context.Context

	md    *metadata.Metadata
	model *schema.Model
	cat   *catalog.Catalog

	// expected is the resource version the write is based on: the
	// request's resource_version when given, else the current one.
	expected int64
	// changed is set when md must be stored (also after DDL, so that other
	// servers rebuild).
	changed bool
	// catChanged is set when cat was introspected again in this txn.
	catChanged bool
	// refreshed is set once the catalog was introspected in this txn.
	refreshed bool
}

// begin locks the service and starts a txn on the current metadata.
// resourceVersion is the request's resource_version, if any.
func (s *Service) begin(ctx context.Context, resourceVersion *int64) (*txn, error) {
	s.mu.Lock()
	rv, err := s.store.ResourceVersion(ctx)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if rv != s.rv {
		// Another server wrote since our last poll: work on its metadata.
		if err := s.reloadLocked(ctx); err != nil {
			s.mu.Unlock()
			return nil, err
		}
	}
	t := &txn{s: s, ctx: ctx, md: s.md, model: s.snap.Load().Model, cat: s.cat, expected: s.rv}
	if resourceVersion != nil {
		t.expected = *resourceVersion
	}
	return t, nil
}

// end stores the txn's metadata if it changed, publishes it, and unlocks
// the service. With a non-nil err it discards the txn instead; a catalog
// changed by committed SQL is kept either way.
func (t *txn) end(err error) error {
	s := t.s
	defer s.mu.Unlock()
	if err == nil && t.changed {
		if s.o.MaintenanceMode {
			err = apierr.New(apierr.Unexpected, "metadata cannot be modified in maintenance mode")
		} else {
			var rv int64
			rv, err = s.store.Save(t.ctx, t.md, t.expected)
			if err == nil {
				s.cat = t.cat
				s.publishLocked(t.md, rv, t.model)
				return nil
			}
		}
	}
	if t.catChanged {
		// The database changed (or was looked at again) even though no
		// metadata is stored: rebuild the current metadata against it.
		s.cat = t.cat
		s.enums = nil
		s.publishLocked(s.md, s.rv, s.buildLocked(t.ctx, s.md, s.cat))
	}
	return err
}

// env gives operations the catalog of the served source.
func (t *txn) env() metadata.Env {
	return metadata.Env{Catalog: func(source string) *catalog.Catalog {
		if source == servedSource(t.md) {
			return t.cat
		}
		return nil
	}}
}

// apply runs one metadata operation on the working copy and checks what
// it did to consistency.
func (t *txn) apply(cmd metadata.Command) (json.RawMessage, error) {
	ch, err := metadata.Apply(t.md, cmd, t.env())
	if err != nil {
		return nil, err
	}
	m := t.s.buildLocked(t.ctx, ch.Metadata, t.cat)
	if !t.refreshed && ch.Check != metadata.CheckNone && len(metadata.NewInconsistencies(t.model.Inconsistencies, m.Inconsistencies)) > 0 {
		// The cached catalog may predate DDL run outside graft (a table
		// created with psql, then tracked): look again before blaming the
		// operation, as Hasura reads the database on every rebuild.
		t.refreshCatalog()
		t.refreshed = true
		m = t.s.buildLocked(t.ctx, ch.Metadata, t.cat)
	}
	if err := checkChange(t.model.Inconsistencies, m.Inconsistencies, ch, cmd.Path); err != nil {
		return nil, err
	}
	t.md, t.model, t.changed = ch.Metadata, m, true
	if ch.Response != nil {
		return ch.Response, nil
	}
	return metadata.SuccessResponse, nil
}

// install replaces the working metadata (replace_metadata, clear_metadata).
func (t *txn) install(md *metadata.Metadata) {
	t.md = md
	t.model = t.s.buildLocked(t.ctx, md, t.cat)
	t.changed = true
}

// checkChange rejects a change that made objects inconsistent, as Hasura's
// buildSchemaCacheFor and withNewInconsistentObjsCheck do
// (hasura/graphql-engine: server/src-lib/Hasura/RQL/DDL/Schema/Cache.hs).
func checkChange(before, after []metadata.Inconsistency, ch *metadata.Change, path string) error {
	if ch.Check == metadata.CheckNone {
		return nil
	}
	added := metadata.NewInconsistencies(before, after)
	if len(added) == 0 {
		return nil
	}
	if path == "" {
		path = "$.args"
	}
	if ch.Check == metadata.CheckObject {
		if about := metadata.About(added, ch.Object); len(about) > 0 {
			return &apierr.Error{Code: apierr.InvalidConfiguration, Message: metadata.Reasons(about), Path: path, Internal: about}
		}
		return &apierr.Error{Code: apierr.Unexpected, Message: "cannot continue due to new inconsistent metadata",
			Path: path, Status: 400, Internal: added}
	}
	return &apierr.Error{Code: apierr.Unexpected, Message: "cannot continue due to newly found inconsistent metadata",
		Path: path, Internal: added}
}

// run executes fn in a txn and ends it.
func (s *Service) run(ctx context.Context, resourceVersion *int64, fn func(t *txn) (json.RawMessage, error)) (json.RawMessage, error) {
	t, err := s.begin(ctx, resourceVersion)
	if err != nil {
		return nil, err
	}
	ended := false
	defer func() {
		if !ended {
			// fn panicked: discard the txn so that the lock is released
			// and the next operation does not wait forever; the panic
			// goes on to the server's recovery.
			_ = t.end(errors.New("metadata operation panicked"))
		}
	}()
	out, err := fn(t)
	ended = true
	if err := t.end(err); err != nil {
		var ae *apierr.Error
		if errors.As(err, &ae) {
			return nil, ae
		}
		return nil, err
	}
	return out, nil
}
