package metadata

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/graftql/graft/internal/apierr"
)

// CatalogVersion is the hdb_catalog version graft writes into
// hdb_catalog.hdb_version of a fresh metadata database: the version Hasura
// v2.36 to v2.4x create (server/src-rsr/migrations/47_to_48.sql adds the
// ee_client_* columns; 48_to_49.sql only replaces insert_event_log, so a
// newer Hasura upgrades a graft catalog in place, and an older one still
// accepts it). An existing version row is never changed.
const CatalogVersion = "48"

// SourceCatalogVersion is the version graft writes into
// hdb_catalog.hdb_source_catalog_version when it prepares a source
// (server/src-rsr/init_pg_source.sql at source catalog version 3).
const SourceCatalogVersion = "3"

// Store keeps the metadata in hdb_catalog.hdb_metadata of the metadata
// database, as Hasura v2 does (one row, id 1, with a resource_version that
// every write increments). It is safe for concurrent use; concurrent
// writers are told apart by the resource version they started from.
type Store struct {
	pool *pgxpool.Pool
	// ExtensionsSchema is where pgcrypto is created when missing
	// (HASURA_GRAPHQL_METADATA_DATABASE_EXTENSIONS_SCHEMA); "" means public.
	ExtensionsSchema string
	// InstanceID identifies this server in hdb_schema_notifications.
	InstanceID string
}

// NewStore returns a store on the metadata database pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, InstanceID: newUUID()}
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// initLockKey serializes Init across servers sharing a metadata database.
const initLockKey = 0x67726166 // "graf"

// catalogDDL creates what Hasura v2 keeps in hdb_catalog of the metadata
// database, object by object and only when missing, with Hasura's names,
// so that a catalog created by either is accepted by the other.
var catalogDDL = []struct{ check, create string }{
	{`SELECT to_regclass('hdb_catalog.hdb_version') IS NOT NULL`, `
CREATE TABLE hdb_catalog.hdb_version (
    hasura_uuid uuid DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    version text NOT NULL,
    upgraded_on timestamp with time zone NOT NULL,
    cli_state jsonb DEFAULT '{}'::jsonb NOT NULL,
    console_state jsonb DEFAULT '{}'::jsonb NOT NULL,
    ee_client_id text,
    ee_client_secret text,
    CONSTRAINT hdb_version_pkey PRIMARY KEY (hasura_uuid)
);
CREATE UNIQUE INDEX hdb_version_one_row ON hdb_catalog.hdb_version USING btree (((version IS NOT NULL)));`},
	{`SELECT to_regclass('hdb_catalog.hdb_metadata') IS NOT NULL`, `
CREATE TABLE hdb_catalog.hdb_metadata (
    id integer NOT NULL,
    metadata json NOT NULL,
    resource_version integer DEFAULT 1 NOT NULL,
    CONSTRAINT hdb_metadata_pkey PRIMARY KEY (id),
    CONSTRAINT hdb_metadata_resource_version_key UNIQUE (resource_version)
);`},
	{`SELECT to_regclass('hdb_catalog.hdb_schema_notifications') IS NOT NULL`, `
CREATE TABLE hdb_catalog.hdb_schema_notifications (
    id integer NOT NULL,
    notification json NOT NULL,
    resource_version integer DEFAULT 1 NOT NULL,
    instance_id uuid NOT NULL,
    updated_at timestamp with time zone DEFAULT now(),
    CONSTRAINT hdb_schema_notifications_id_check CHECK ((id = 1)),
    CONSTRAINT hdb_schema_notifications_pkey PRIMARY KEY (id)
);`},
	{`SELECT to_regclass('hdb_catalog.hdb_action_log') IS NOT NULL`, `
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
    CONSTRAINT hdb_action_log_status_check CHECK ((status = ANY (ARRAY['created'::text, 'processing'::text, 'completed'::text, 'error'::text]))),
    CONSTRAINT hdb_action_log_pkey PRIMARY KEY (id)
);`},
	{`SELECT to_regclass('hdb_catalog.hdb_cron_events') IS NOT NULL`, `
CREATE TABLE hdb_catalog.hdb_cron_events (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    trigger_name text NOT NULL,
    scheduled_time timestamp with time zone NOT NULL,
    status text DEFAULT 'scheduled'::text NOT NULL,
    tries integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now(),
    next_retry_at timestamp with time zone,
    CONSTRAINT valid_status CHECK ((status = ANY (ARRAY['scheduled'::text, 'locked'::text, 'delivered'::text, 'error'::text, 'dead'::text]))),
    CONSTRAINT hdb_cron_events_pkey PRIMARY KEY (id)
);
CREATE INDEX hdb_cron_event_status ON hdb_catalog.hdb_cron_events USING btree (status);
CREATE UNIQUE INDEX hdb_cron_events_unique_scheduled ON hdb_catalog.hdb_cron_events USING btree (trigger_name, scheduled_time) WHERE (status = 'scheduled'::text);`},
	{`SELECT to_regclass('hdb_catalog.hdb_cron_event_invocation_logs') IS NOT NULL`, `
CREATE TABLE hdb_catalog.hdb_cron_event_invocation_logs (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamp with time zone DEFAULT now(),
    CONSTRAINT hdb_cron_event_invocation_logs_pkey PRIMARY KEY (id),
    CONSTRAINT hdb_cron_event_invocation_logs_event_id_fkey FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_cron_events(id) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX hdb_cron_event_invocation_event_id ON hdb_catalog.hdb_cron_event_invocation_logs USING btree (event_id);`},
	{`SELECT to_regclass('hdb_catalog.hdb_scheduled_events') IS NOT NULL`, `
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
    CONSTRAINT valid_status CHECK ((status = ANY (ARRAY['scheduled'::text, 'locked'::text, 'delivered'::text, 'error'::text, 'dead'::text]))),
    CONSTRAINT hdb_scheduled_events_pkey PRIMARY KEY (id)
);
CREATE INDEX hdb_scheduled_event_status ON hdb_catalog.hdb_scheduled_events USING btree (status);`},
	{`SELECT to_regclass('hdb_catalog.hdb_scheduled_event_invocation_logs') IS NOT NULL`, `
CREATE TABLE hdb_catalog.hdb_scheduled_event_invocation_logs (
    id text DEFAULT hdb_catalog.gen_hasura_uuid() NOT NULL,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamp with time zone DEFAULT now(),
    CONSTRAINT hdb_scheduled_event_invocation_logs_pkey PRIMARY KEY (id),
    CONSTRAINT hdb_scheduled_event_invocation_logs_event_id_fkey FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_scheduled_events(id) ON UPDATE CASCADE ON DELETE CASCADE
);`},
}

// ErrOldCatalog means hdb_catalog was created by Hasura v1 (catalog
// version below 43, before metadata moved into hdb_metadata); Hasura v2
// must migrate it first.
var ErrOldCatalog = errors.New("hdb_catalog was created by Hasura v1; start Hasura v2 on it once to migrate it")

// Init creates hdb_catalog in the metadata database as Hasura v2 does,
// leaving alone everything that already exists (a catalog made by Hasura
// is used as is). It is safe to call concurrently and repeatedly.
func (s *Store) Init(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(initLockKey)); err != nil {
			return fmt.Errorf("lock catalog: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS hdb_catalog"); err != nil {
			return fmt.Errorf("create schema hdb_catalog: %w", err)
		}
		if err := ensureUUIDFunction(ctx, tx, s.ExtensionsSchema); err != nil {
			return err
		}
		var hasVersion, hasMetadata bool
		err := tx.QueryRow(ctx, `SELECT to_regclass('hdb_catalog.hdb_version') IS NOT NULL,
			to_regclass('hdb_catalog.hdb_metadata') IS NOT NULL`).Scan(&hasVersion, &hasMetadata)
		if err != nil {
			return fmt.Errorf("inspect hdb_catalog: %w", err)
		}
		if hasVersion && !hasMetadata {
			var old string
			err := tx.QueryRow(ctx, `SELECT coalesce(max(version), '') FROM hdb_catalog.hdb_version`).Scan(&old)
			if err != nil {
				return fmt.Errorf("read catalog version: %w", err)
			}
			if v, err := strconv.ParseFloat(old, 64); err == nil && v < 43 {
				return fmt.Errorf("catalog version %s: %w", old, ErrOldCatalog)
			}
		}
		for _, d := range catalogDDL {
			var exists bool
			if err := tx.QueryRow(ctx, d.check).Scan(&exists); err != nil {
				return fmt.Errorf("inspect hdb_catalog: %w", err)
			}
			if exists {
				continue
			}
			if _, err := tx.Exec(ctx, d.create); err != nil {
				return fmt.Errorf("create hdb_catalog objects: %w", err)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_version (version, upgraded_on)
			SELECT $1, now() WHERE NOT EXISTS (SELECT 1 FROM hdb_catalog.hdb_version)`, CatalogVersion)
		if err != nil {
			return fmt.Errorf("write catalog version: %w", err)
		}
		return nil
	})
}

// ensureUUIDFunction makes hdb_catalog.gen_hasura_uuid() exist. Hasura
// creates pgcrypto for gen_random_uuid(); since PostgreSQL 13 the function
// is built in, so a failure to create the extension is tolerated when the
// function is there anyway.
func ensureUUIDFunction(ctx context.Context, tx pgx.Tx, extSchema string) error {
	if extSchema == "" {
		extSchema = "public"
	}
	var hasCrypto, hasGen bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto'),
		to_regprocedure('gen_random_uuid()') IS NOT NULL`).Scan(&hasCrypto, &hasGen)
	if err != nil {
		return fmt.Errorf("look up pgcrypto: %w", err)
	}
	if !hasCrypto {
		sp, err := tx.Begin(ctx)
		if err != nil {
			return err
		}
		_, cerr := sp.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA "+pgx.Identifier{extSchema}.Sanitize())
		if cerr != nil {
			_ = sp.Rollback(ctx)
			if !hasGen {
				return fmt.Errorf("pgcrypto extension is required, but could not find the extension in the PostgreSQL server: %w", cerr)
			}
		} else if err := sp.Commit(ctx); err != nil {
			return err
		}
	}
	var hasFn bool
	if err := tx.QueryRow(ctx, `SELECT to_regprocedure('hdb_catalog.gen_hasura_uuid()') IS NOT NULL`).Scan(&hasFn); err != nil {
		return fmt.Errorf("look up gen_hasura_uuid: %w", err)
	}
	if !hasFn {
		_, err := tx.Exec(ctx, `CREATE FUNCTION hdb_catalog.gen_hasura_uuid() RETURNS uuid
    LANGUAGE sql
    AS $$select gen_random_uuid()$$`)
		if err != nil {
			return fmt.Errorf("create gen_hasura_uuid: %w", err)
		}
	}
	return nil
}

// Load returns the stored metadata and its resource version; with no row
// yet it returns [Empty] metadata and version 0.
func (s *Store) Load(ctx context.Context) (*Metadata, int64, error) {
	var raw []byte
	var rv int64
	err := s.pool.QueryRow(ctx, `SELECT metadata::text, resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1`).Scan(&raw, &rv)
	if errors.Is(err, pgx.ErrNoRows) {
		return Empty(), 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("load metadata: %w", err)
	}
	var md Metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, 0, fmt.Errorf("decode stored metadata: %w", err)
	}
	md.Normalize()
	return &md, rv, nil
}

// ResourceVersion returns the stored resource version (0 when no metadata
// has been stored), for servers polling for changes made by others.
func (s *Store) ResourceVersion(ctx context.Context) (int64, error) {
	var rv int64
	err := s.pool.QueryRow(ctx, `SELECT resource_version FROM hdb_catalog.hdb_metadata WHERE id = 1`).Scan(&rv)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read resource version: %w", err)
	}
	return rv, nil
}

// ConflictError is Hasura's answer when the metadata changed under a writer.
func ConflictError(expected int64) *apierr.Error {
	return apierr.New(apierr.Conflict, "metadata resource version referenced (%d) did not match current version", expected)
}

// Save stores md if the stored resource version is still expected and
// returns the new version; when another writer got there first it returns
// a 409 conflict error and stores nothing. It also records the change in
// hdb_schema_notifications for other servers, in the same transaction.
func (s *Store) Save(ctx context.Context, md *Metadata, expected int64) (int64, error) {
	doc, err := json.Marshal(md)
	if err != nil {
		return 0, fmt.Errorf("encode metadata: %w", err)
	}
	sources := make([]string, 0, len(md.Sources))
	for _, src := range md.Sources {
		sources = append(sources, src.Name)
	}
	note, _ := json.Marshal(map[string]any{"metadata": false, "remote_schemas": []string{}, "sources": sources, "data_connectors": []string{}})
	var rv int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `WITH upsert AS (
  INSERT INTO hdb_catalog.hdb_metadata (id, metadata) VALUES (1, $2::json)
  ON CONFLICT (id) DO UPDATE SET metadata = $2::json, resource_version = hdb_catalog.hdb_metadata.resource_version + 1
  WHERE hdb_catalog.hdb_metadata.resource_version = $1
  RETURNING resource_version)
SELECT resource_version FROM upsert`, expected, string(doc)).Scan(&rv)
		if errors.Is(err, pgx.ErrNoRows) {
			return ConflictError(expected)
		}
		if err != nil {
			return fmt.Errorf("store metadata: %w", err)
		}
		if expected == 0 && rv != 1 {
			return ConflictError(expected)
		}
		_, err = tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_schema_notifications (id, notification, resource_version, instance_id)
VALUES (1, $1::json, $2, $3::uuid)
ON CONFLICT (id) DO UPDATE SET notification = $1::json, resource_version = $2, instance_id = $3::uuid, updated_at = now()`,
			string(note), rv, s.InstanceID)
		if err != nil {
			return fmt.Errorf("notify schema change: %w", err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return rv, nil
}

// sourceCatalogDDL is server/src-rsr/init_pg_source.sql of Hasura at source
// catalog version 3, run only when hdb_catalog.event_log is missing.
const sourceCatalogDDL = `
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_source_catalog_version(
  version TEXT NOT NULL,
  upgraded_on TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS hdb_source_catalog_version_one_row
ON hdb_catalog.hdb_source_catalog_version((version IS NOT NULL));
CREATE TABLE hdb_catalog.event_log
(
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  schema_name TEXT NOT NULL,
  table_name TEXT NOT NULL,
  trigger_name TEXT NOT NULL,
  payload JSONB NOT NULL,
  delivered BOOLEAN NOT NULL DEFAULT FALSE,
  error BOOLEAN NOT NULL DEFAULT FALSE,
  tries INTEGER NOT NULL DEFAULT 0,
  created_at TIMESTAMP DEFAULT NOW(),
  locked TIMESTAMPTZ,
  next_retry_at TIMESTAMP,
  archived BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX ON hdb_catalog.event_log (trigger_name);
CREATE INDEX event_log_fetch_events
  ON hdb_catalog.event_log (locked NULLS FIRST, next_retry_at NULLS FIRST, created_at)
  WHERE delivered = 'f'
    and error = 'f'
    and archived = 'f';
CREATE TABLE hdb_catalog.event_invocation_logs
(
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name TEXT,
  event_id TEXT,
  status INTEGER,
  request JSON,
  response JSON,
  created_at TIMESTAMP DEFAULT NOW()
);
CREATE INDEX ON hdb_catalog.event_invocation_logs (event_id);
CREATE OR REPLACE FUNCTION
  hdb_catalog.insert_event_log(schema_name text, table_name text, trigger_name text, op text, row_data json)
  RETURNS text AS $$
  DECLARE
    id text;
    payload json;
    session_variables json;
    server_version_num int;
    trace_context json;
  BEGIN
    id := gen_random_uuid();
    server_version_num := current_setting('server_version_num');
    IF server_version_num >= 90600 THEN
      session_variables := current_setting('hasura.user', 't');
      trace_context := current_setting('hasura.tracecontext', 't');
    ELSE
      BEGIN
        session_variables := current_setting('hasura.user');
      EXCEPTION WHEN OTHERS THEN
                  session_variables := NULL;
      END;
      BEGIN
        trace_context := current_setting('hasura.tracecontext');
      EXCEPTION WHEN OTHERS THEN
        trace_context := NULL;
      END;
    END IF;
    payload := json_build_object(
      'op', op,
      'data', row_data,
      'session_variables', session_variables,
      'trace_context', trace_context
    );
    INSERT INTO hdb_catalog.event_log
                (id, schema_name, table_name, trigger_name, payload)
    VALUES
    (id, schema_name, table_name, trigger_name, payload);
    RETURN id;
  END;
$$ LANGUAGE plpgsql;
CREATE TABLE hdb_catalog.hdb_event_log_cleanups
(
  id TEXT DEFAULT hdb_catalog.gen_hasura_uuid() PRIMARY KEY,
  trigger_name TEXT NOT NULL,
  scheduled_at TIMESTAMP NOT NULL,
  deleted_event_logs INTEGER,
  deleted_event_invocation_logs INTEGER,
  status TEXT NOT NULL,
  CHECK (status IN ('scheduled', 'paused', 'completed', 'dead')),
  UNIQUE (trigger_name, scheduled_at)
);
`

// InitSource prepares the Hasura catalog of a Postgres source: schema
// hdb_catalog with the event log tables, insert_event_log and
// hdb_source_catalog_version (Hasura's initCatalogForSource). Like Hasura
// since v2.x, graft calls it only when a source first needs the event log
// (event triggers), not when a source is added. A source Hasura already
// prepared is left alone.
func InitSource(ctx context.Context, pool *pgxpool.Pool, extensionsSchema string) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(initLockKey+1)); err != nil {
			return fmt.Errorf("lock source catalog: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS hdb_catalog"); err != nil {
			return fmt.Errorf("create schema hdb_catalog: %w", err)
		}
		if err := ensureUUIDFunction(ctx, tx, extensionsSchema); err != nil {
			return err
		}
		var hasLog bool
		if err := tx.QueryRow(ctx, `SELECT to_regclass('hdb_catalog.event_log') IS NOT NULL`).Scan(&hasLog); err != nil {
			return fmt.Errorf("inspect source catalog: %w", err)
		}
		if !hasLog {
			if _, err := tx.Exec(ctx, sourceCatalogDDL); err != nil {
				return fmt.Errorf("create source catalog: %w", err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO hdb_catalog.hdb_source_catalog_version (version, upgraded_on)
			SELECT $1, now() WHERE NOT EXISTS (SELECT 1 FROM hdb_catalog.hdb_source_catalog_version)`, SourceCatalogVersion)
		if err != nil {
			return fmt.Errorf("write source catalog version: %w", err)
		}
		return nil
	})
}
