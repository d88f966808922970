package metadata_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/pgtest"
)

// catalogObjects lists what hdb_catalog holds, for comparing catalogs.
func catalogObjects(t *testing.T, db *pgtest.DB) []string {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `
SELECT 'table ' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'hdb_catalog'
UNION ALL
SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
WHERE connamespace = 'hdb_catalog'::regnamespace
UNION ALL
SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'hdb_catalog'::regnamespace
UNION ALL
SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
FROM information_schema.columns WHERE table_schema = 'hdb_catalog'
ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStore_Init(t *testing.T) {
	t.Run("Twice", func(t *testing.T) {
		db := pgtest.New(t, "")
		ctx := context.Background()
		s := metadata.NewStore(db.Pool)
		if err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		first := catalogObjects(t, db)
		if err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, catalogObjects(t, db)); diff != "" {
			t.Errorf("second Init changed hdb_catalog (-first +second):\n%s", diff)
		}
		var version string
		var n int
		if err := db.Pool.QueryRow(ctx, "SELECT max(version), count(*) FROM hdb_catalog.hdb_version").Scan(&version, &n); err != nil {
			t.Fatal(err)
		}
		if version != metadata.CatalogVersion || n != 1 {
			t.Errorf("hdb_version = %q (%d rows), want %q (1 row)", version, n, metadata.CatalogVersion)
		}
	})
	t.Run("HasuraCatalog", func(t *testing.T) {
		// A catalog as Hasura v2.4x leaves it (pg_dump of a Hasura
		// database), with metadata already stored: Init must keep it.
		db := pgtest.New(t, hasuraCatalog)
		ctx := context.Background()
		before := catalogObjects(t, db)
		s := metadata.NewStore(db.Pool)
		if err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, catalogObjects(t, db)); diff != "" {
			t.Errorf("Init changed a Hasura catalog (-hasura +after):\n%s", diff)
		}
		md, rv, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rv != 4 || len(md.Sources) != 1 || md.Sources[0].Name != "default" || len(md.Sources[0].Tables) != 2 {
			t.Errorf("Load = %d sources, rv %d; want Hasura's metadata at rv 4", len(md.Sources), rv)
		}
	})
	t.Run("SameAsHasura", func(t *testing.T) {
		// A fresh graft catalog has the objects Hasura creates.
		hasura := pgtest.New(t, hasuraCatalog)
		fresh := pgtest.New(t, "")
		if err := metadata.NewStore(fresh.Pool).Init(context.Background()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(catalogObjects(t, hasura), catalogObjects(t, fresh)); diff != "" {
			t.Errorf("catalog differs from Hasura's (-hasura +graft):\n%s", diff)
		}
	})
}

func TestStore_Save(t *testing.T) {
	ctx := context.Background()
	newStore := func(t *testing.T) *metadata.Store {
		db := pgtest.New(t, "")
		s := metadata.NewStore(db.Pool)
		if err := s.Init(ctx); err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		md, rv, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rv != 0 || len(md.Sources) != 0 {
			t.Fatalf("empty store: Load = %+v, %d", md, rv)
		}
		md.Sources = append(md.Sources, &metadata.Source{Name: "default", Kind: "postgres", Tables: []*metadata.Table{},
			Configuration: json.RawMessage(`{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"}}}`)})
		rv1, err := s.Save(ctx, md, 0)
		if err != nil {
			t.Fatal(err)
		}
		rv2, err := s.Save(ctx, md, rv1)
		if err != nil {
			t.Fatal(err)
		}
		if rv1 != 1 || rv2 != 2 {
			t.Errorf("versions = %d, %d; want 1, 2", rv1, rv2)
		}
		got, rv, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rv != 2 {
			t.Errorf("Load rv = %d, want 2", rv)
		}
		if diff := cmp.Diff(mustMarshal(t, md), mustMarshal(t, got)); diff != "" {
			t.Errorf("round trip (-saved +loaded):\n%s", diff)
		}
		if n, err := s.ResourceVersion(ctx); err != nil || n != 2 {
			t.Errorf("ResourceVersion = %d, %v; want 2", n, err)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		md := metadata.Empty()
		if _, err := s.Save(ctx, md, 0); err != nil {
			t.Fatal(err)
		}
		_, err := s.Save(ctx, md, 7)
		var ae *apierr.Error
		if !errors.As(err, &ae) || ae.Code != apierr.Conflict || ae.HTTPStatus() != 409 ||
			ae.Message != "metadata resource version referenced (7) did not match current version" {
			t.Errorf("Save at a stale version: %v, want 409 conflict", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		md := metadata.Empty()
		rv, err := s.Save(ctx, md, 0)
		if err != nil {
			t.Fatal(err)
		}
		const writers = 8
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Save(ctx, md, rv)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			var ae *apierr.Error
			switch {
			case err == nil:
				won++
			case errors.As(err, &ae) && ae.Code == apierr.Conflict:
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d writers won at the same version, want exactly 1", won)
		}
		if n, _ := s.ResourceVersion(ctx); n != rv+1 {
			t.Errorf("resource version = %d, want %d", n, rv+1)
		}
	})
}

func TestInitSource(t *testing.T) {
	db := pgtest.New(t, "")
	ctx := context.Background()
	for range 2 {
		if err := metadata.InitSource(ctx, db.Pool, ""); err != nil {
			t.Fatal(err)
		}
	}
	var version string
	if err := db.Pool.QueryRow(ctx, "SELECT version FROM hdb_catalog.hdb_source_catalog_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version != metadata.SourceCatalogVersion {
		t.Errorf("source catalog version = %q, want %q", version, metadata.SourceCatalogVersion)
	}
	if _, err := db.Pool.Exec(ctx, `SELECT set_config('hasura.user', '{"x-hasura-role":"admin"}', false);
		SELECT hdb_catalog.insert_event_log('public', 't', 'trg', 'INSERT', '{"new":{}}')`); err != nil {
		t.Fatalf("insert_event_log: %v", err)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hasuraCatalog is hdb_catalog as Hasura v2.4x creates it (from pg_dump of
// a Hasura test database; catalog version 48), with stored metadata.
const hasuraCatalog = `
CREATE SCHEMA hdb_catalog;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;
CREATE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid
    LANGUAGE sql
    AS $$select gen_random_uuid()$$;
CREATE TABLE hdb_catalog.hdb_action_log (
    id uuid DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    action_name text,
    input_payload jsonb NOT NULL,
    request_headers jsonb NOT NULL,
    session_variables jsonb NOT NULL,
    response_payload jsonb,
    errors jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    response_received_at timestamp with time zone,
    status text NOT NULL,
    CONSTRAINT hdb_action_log_status_check CHECK ((status = ANY (ARRAY['created'::text, 'processing'::text, 'completed'::text, 'error'::text])))
);
CREATE TABLE hdb_catalog.hdb_cron_event_invocation_logs (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamp with time zone DEFAULT now()
);
CREATE TABLE hdb_catalog.hdb_cron_events (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    trigger_name text NOT NULL,
    scheduled_time timestamp with time zone NOT NULL,
    status text DEFAULT 'scheduled'::text NOT NULL,
    tries integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now(),
    next_retry_at timestamp with time zone,
    CONSTRAINT valid_status CHECK ((status = ANY (ARRAY['scheduled'::text, 'locked'::text, 'delivered'::text, 'error'::text, 'dead'::text])))
);
CREATE TABLE hdb_catalog.hdb_metadata (
    id integer NOT NULL,
    metadata json NOT NULL,
    resource_version integer DEFAULT 1 NOT NULL
);
CREATE TABLE hdb_catalog.hdb_scheduled_event_invocation_logs (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamp with time zone DEFAULT now()
);
CREATE TABLE hdb_catalog.hdb_scheduled_events (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    webhook_conf json NOT NULL,
    scheduled_time timestamp with time zone NOT NULL,
    retry_conf json,
    payload json,
    header_conf json,
    status text DEFAULT 'scheduled'::text NOT NULL,
    tries integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now(),
    next_retry_at timestamp with time zone,
    comment text,
    CONSTRAINT valid_status CHECK ((status = ANY (ARRAY['scheduled'::text, 'locked'::text, 'delivered'::text, 'error'::text, 'dead'::text])))
);
CREATE TABLE hdb_catalog.hdb_schema_notifications (
    id integer NOT NULL,
    notification json NOT NULL,
    resource_version integer DEFAULT 1 NOT NULL,
    instance_id uuid NOT NULL,
    updated_at timestamp with time zone DEFAULT now(),
    CONSTRAINT hdb_schema_notifications_id_check CHECK ((id = 1))
);
CREATE TABLE hdb_catalog.hdb_version (
    hasura_uuid uuid DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    version text NOT NULL,
    upgraded_on timestamp with time zone NOT NULL,
    cli_state jsonb DEFAULT '{}'::jsonb NOT NULL,
    console_state jsonb DEFAULT '{}'::jsonb NOT NULL,
    ee_client_id text,
    ee_client_secret text
);
INSERT INTO hdb_catalog.hdb_metadata VALUES (1, '{"sources":[{"configuration":{"connection_info":{"database_url":"postgresql://postgres:postgres@127.0.0.1:25432/postgres","isolation_level":"read-committed","use_prepared_statements":false}},"functions":[{"function":{"name":"search_articles","schema":"public"}}],"kind":"postgres","name":"default","tables":[{"object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"author_id"}}],"table":{"name":"article","schema":"public"}},{"array_relationships":[{"comment":"List all articles of the author","name":"articles","using":{"foreign_key_constraint_on":{"column":"author_id","table":{"name":"article","schema":"public"}}}}],"table":{"name":"author","schema":"public"}}]}],"version":3}', 4);
INSERT INTO hdb_catalog.hdb_schema_notifications VALUES (1, '{"metadata":false,"remote_schemas":[],"sources":["default"],"data_connectors":[]}', 4, '8f23c58b-1e5f-4266-b7a5-3a8743183f1d', '2024-07-23 19:55:43.284669+00');
INSERT INTO hdb_catalog.hdb_version VALUES ('a7a3bb55-d7a9-4be1-8a77-d34aed17eb61', '48', '2024-07-23 19:55:42.979365+00', '{}', '{}', NULL, NULL);
ALTER TABLE ONLY hdb_catalog.hdb_action_log ADD CONSTRAINT hdb_action_log_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_cron_event_invocation_logs ADD CONSTRAINT hdb_cron_event_invocation_logs_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_cron_events ADD CONSTRAINT hdb_cron_events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_metadata ADD CONSTRAINT hdb_metadata_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_metadata ADD CONSTRAINT hdb_metadata_resource_version_key UNIQUE (resource_version);
ALTER TABLE ONLY hdb_catalog.hdb_scheduled_event_invocation_logs ADD CONSTRAINT hdb_scheduled_event_invocation_logs_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_scheduled_events ADD CONSTRAINT hdb_scheduled_events_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_schema_notifications ADD CONSTRAINT hdb_schema_notifications_pkey PRIMARY KEY (id);
ALTER TABLE ONLY hdb_catalog.hdb_version ADD CONSTRAINT hdb_version_pkey PRIMARY KEY (hasura_uuid);
CREATE INDEX hdb_cron_event_invocation_event_id ON hdb_catalog.hdb_cron_event_invocation_logs USING btree (event_id);
CREATE INDEX hdb_cron_event_status ON hdb_catalog.hdb_cron_events USING btree (status);
CREATE UNIQUE INDEX hdb_cron_events_unique_scheduled ON hdb_catalog.hdb_cron_events USING btree (trigger_name, scheduled_time) WHERE (status = 'scheduled'::text);
CREATE INDEX hdb_scheduled_event_status ON hdb_catalog.hdb_scheduled_events USING btree (status);
CREATE UNIQUE INDEX hdb_version_one_row ON hdb_catalog.hdb_version USING btree (((version IS NOT NULL)));
ALTER TABLE ONLY hdb_catalog.hdb_cron_event_invocation_logs
    ADD CONSTRAINT hdb_cron_event_invocation_logs_event_id_fkey FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_cron_events(id) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE ONLY hdb_catalog.hdb_scheduled_event_invocation_logs
    ADD CONSTRAINT hdb_scheduled_event_invocation_logs_event_id_fkey FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_scheduled_events(id) ON UPDATE CASCADE ON DELETE CASCADE;
`
