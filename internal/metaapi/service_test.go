package metaapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/metaapi"
	"github.com/graftql/graft/internal/pgtest"
)

const blogSchema = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL, bio text);
CREATE TABLE article (id serial PRIMARY KEY, title text, tags text[], meta jsonb,
  author_id int REFERENCES author(id));
INSERT INTO author (name) VALUES ('Ann'), ('Bob');
`

// blogSetup tracks the blog tables with relationships and permissions.
const blogSetup = `{"type":"bulk","args":[
 {"type":"pg_track_table","args":{"table":"author"}},
 {"type":"pg_track_table","args":{"table":"article"}},
 {"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}},
 {"type":"pg_create_array_relationship","args":{"table":"author","name":"articles","using":{"foreign_key_constraint_on":{"table":"article","column":"author_id"}}}},
 {"type":"pg_create_select_permission","args":{"table":"author","role":"user","permission":{"columns":["id","name","bio"],"filter":{"bio":{"_is_null":false}}}}},
 {"type":"pg_create_select_permission","args":{"table":"article","role":"user","permission":{"columns":"*","filter":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}}}}}
]}`

type testService struct {
	*metaapi.Service
	db *pgtest.DB
}

func newService(t *testing.T, schemaSQL string) *testService {
	t.Helper()
	db := pgtest.New(t, schemaSQL)
	return startService(t, db)
}

func startService(t *testing.T, db *pgtest.DB) *testService {
	t.Helper()
	svc := metaapi.New(metaapi.Options{
		MetadataPool: db.Pool,
		SourcePool:   db.Pool,
		SyncInterval: 20 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Getenv: func(k string) string {
			if k == "HASURA_GRAPHQL_DATABASE_URL" {
				return db.URL
			}
			return ""
		},
	})
	t.Cleanup(svc.Close)
	if err := svc.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return &testService{svc, db}
}

// call sends body to the API ("metadata", "v1" or "v2").
func (s *testService) call(api, body string) (string, error) {
	ctx := context.Background()
	var out []byte
	var err error
	switch api {
	case "v1":
		out, err = s.QueryV1(ctx, []byte(body))
	case "v2":
		out, err = s.QueryV2(ctx, []byte(body))
	default:
		out, err = s.Metadata(ctx, []byte(body))
	}
	return string(out), err
}

func (s *testService) must(t *testing.T, api, body string) string {
	t.Helper()
	out, err := s.call(api, body)
	if err != nil {
		t.Fatalf("%s %s: %v%s", api, body, err, internalOf(err))
	}
	return out
}

// apiError is the client-visible part of an error.
type apiError struct {
	Code    apierr.Code
	Message string
	Path    string
}

func asAPIError(t *testing.T, err error) apiError {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *apierr.Error", err, err)
	}
	return apiError{ae.Code, ae.Message, ae.Path}
}

func jsonEqual(t *testing.T, want, got string) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("bad JSON %q: %v", got, err)
	}
	if diff := cmp.Diff(w, g); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestService_RunSQL(t *testing.T) {
	s := newService(t, blogSchema)
	tests := []struct {
		name, args, want string
	}{
		{"CommandOk", `{"sql":"CREATE TABLE t (x int)"}`, `{"result_type":"CommandOk","result":null}`},
		{"TuplesOk", `{"sql":"SELECT id, name, bio FROM author ORDER BY id"}`,
			`{"result_type":"TuplesOk","result":[["id","name","bio"],["1","Ann",null],["2","Bob",null]]}`},
		{"LastStatement", `{"sql":"SELECT 1; SELECT 'a' AS x, 2.50::numeric AS y, true AS z, ARRAY[1,2] AS w"}`,
			`{"result_type":"TuplesOk","result":[["x","y","z","w"],["a","2.50","t","{1,2}"]]}`},
		{"NoRows", `{"sql":"SELECT id FROM author WHERE false"}`, `{"result_type":"TuplesOk","result":[["id"]]}`},
		{"ReadOnly", `{"sql":"SELECT count(*) AS n FROM author","read_only":true}`, `{"result_type":"TuplesOk","result":[["n"],["2"]]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jsonEqual(t, tt.want, s.must(t, "v2", `{"type":"run_sql","args":`+tt.args+`}`))
		})
	}
	t.Run("ErrStatement", func(t *testing.T) {
		_, err := s.call("v2", `{"type":"run_sql","args":{"sql":"INSERT INTO author (name) VALUES ('x'); SELECT * FROM nope"}}`)
		if diff := cmp.Diff(apiError{apierr.PostgresError, "query execution failed", "$.args"}, asAPIError(t, err)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		var ae *apierr.Error
		errors.As(err, &ae)
		in, _ := json.Marshal(ae.Internal)
		jsonEqual(t, `{"arguments":[],"error":{"description":null,"exec_status":"FatalError","hint":null,
			"message":"relation \"nope\" does not exist","status_code":"42P01"},"prepared":false,
			"statement":"INSERT INTO author (name) VALUES ('x'); SELECT * FROM nope"}`, string(in))
		// The whole SQL ran in one transaction.
		jsonEqual(t, `{"result_type":"TuplesOk","result":[["count"],["2"]]}`,
			s.must(t, "v2", `{"type":"run_sql","args":{"sql":"SELECT count(*) FROM author"}}`))
	})
	t.Run("ErrReadOnly", func(t *testing.T) {
		_, err := s.call("v2", `{"type":"run_sql","args":{"sql":"DELETE FROM author","read_only":true}}`)
		if got := asAPIError(t, err); got.Code != apierr.PostgresError {
			t.Errorf("code = %s, want postgres-error", got.Code)
		}
	})
}

func TestService_Errors(t *testing.T) {
	s := newService(t, blogSchema)
	s.must(t, "metadata", blogSetup)
	tests := []struct {
		name, api, body string
		want            apiError
	}{
		{"InvalidJSON", "metadata", `{"type":`, apiError{apierr.InvalidJSON, "Error in $: unexpected end of JSON input", "$"}},
		{"MissingType", "metadata", `{"args":{}}`, apiError{apierr.ParseFailed, `key "type" not found`, "$"}},
		{"UnknownCommand", "metadata", `{"type":"frobnicate","args":{}}`,
			apiError{apierr.ParseFailed, `unknown metadata command "frobnicate"; "frobnicate" was not recognized as a valid backend name`, "$"}},
		{"UnknownPgCommand", "metadata", `{"type":"pg_frobnicate","args":{}}`,
			apiError{apierr.ParseFailed, `unknown metadata command "frobnicate" for backend postgres`, "$"}},
		{"MissingKey", "metadata", `{"type":"pg_track_table","args":{"source":"default"}}`,
			apiError{apierr.ParseFailed, `key "table" not found`, "$.args"}},
		{"AlreadyTracked", "v1", `{"type":"track_table","args":{"name":"author"}}`,
			apiError{apierr.AlreadyTracked, `view/table already tracked: "author"`, "$.args"}},
		{"BulkPath", "metadata", `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"x1"}},{"type":"pg_untrack_table","args":{"table":"author"}}]}`,
			apiError{apierr.ParseFailed, "", ""}},
		{"Dependency", "metadata", `{"type":"pg_drop_relationship","args":{"table":"article","relationship":"author"}}`,
			apiError{apierr.DependencyError, `cannot drop due to the following dependent objects: permission article.user.select in source "default"`, "$.args"}},
		{"DMLTable", "v1", `{"type":"insert","args":{"table":"nope","objects":[]}}`,
			apiError{apierr.NotExists, `table "nope" does not exist`, "$.args.table"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.call(tt.api, tt.body)
			got := asAPIError(t, err)
			if tt.name == "BulkPath" {
				// The first command fails to track a missing table; its
				// error is located in the bulk and nothing is stored.
				if got.Code != apierr.InvalidConfiguration || got.Path != "$.args[0].args" ||
					!strings.HasPrefix(got.Message, "Inconsistent object: ") {
					t.Errorf("got %+v, want invalid-configuration at $.args[0].args", got)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("TrackMissingTable", func(t *testing.T) {
		_, err := s.call("metadata", `{"type":"pg_track_table","args":{"table":"nope"}}`)
		got := asAPIError(t, err)
		if got.Code != apierr.InvalidConfiguration || got.Path != "$.args" || !strings.Contains(got.Message, `"nope"`) {
			t.Errorf("got %+v, want invalid-configuration naming the table", got)
		}
		var ae *apierr.Error
		errors.As(err, &ae)
		if in, _ := json.Marshal(ae.Internal); !strings.Contains(string(in), `"name":"table nope in source default"`) {
			t.Errorf("internal = %s, want the inconsistent table", in)
		}
	})
	// Nothing above changed the metadata.
	out := s.must(t, "metadata", `{"type":"export_metadata","version":2,"args":{}}`)
	var exp struct {
		ResourceVersion int64 `json:"resource_version"`
		Metadata        struct {
			Sources []struct {
				Tables []json.RawMessage `json:"tables"`
			} `json:"sources"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal([]byte(out), &exp); err != nil {
		t.Fatal(err)
	}
	if exp.ResourceVersion != 2 || len(exp.Metadata.Sources[0].Tables) != 2 {
		t.Errorf("after failed requests: resource_version %d, %d tables; want 2, 2", exp.ResourceVersion, len(exp.Metadata.Sources[0].Tables))
	}
}

func TestService_ResourceVersion(t *testing.T) {
	s := newService(t, blogSchema)
	rv := func() int64 {
		var v struct {
			ResourceVersion int64 `json:"resource_version"`
		}
		_ = json.Unmarshal([]byte(s.must(t, "metadata", `{"type":"export_metadata","version":2,"args":{}}`)), &v)
		return v.ResourceVersion
	}
	start := rv()
	s.must(t, "metadata", `{"type":"pg_track_table","resource_version":`+itoa(start)+`,"args":{"table":"author"}}`)
	if got := rv(); got != start+1 {
		t.Errorf("resource_version = %d, want %d", got, start+1)
	}
	_, err := s.call("metadata", `{"type":"pg_track_table","resource_version":`+itoa(start)+`,"args":{"table":"article"}}`)
	want := apiError{apierr.Conflict, "metadata resource version referenced (" + itoa(start) + ") did not match current version", ""}
	if diff := cmp.Diff(want, asAPIError(t, err)); diff != "" {
		t.Errorf("stale write (-want +got):\n%s", diff)
	}
	if s.Snapshot().ResourceVersion != start+1 {
		t.Errorf("snapshot version = %d, want %d", s.Snapshot().ResourceVersion, start+1)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestService_RunSQLFollowsSchema(t *testing.T) {
	s := newService(t, blogSchema)
	s.must(t, "metadata", blogSetup)
	export := func() string {
		out := s.must(t, "metadata", `{"type":"export_metadata","args":{}}`)
		var md struct {
			Sources []struct {
				Tables json.RawMessage `json:"tables"`
			} `json:"sources"`
		}
		_ = json.Unmarshal([]byte(out), &md)
		return string(md.Sources[0].Tables)
	}
	runSQL := func(sql string, cascade bool) error {
		b, _ := json.Marshal(map[string]any{"type": "run_sql", "args": map[string]any{"sql": sql, "cascade": cascade}})
		_, err := s.call("v2", string(b))
		return err
	}

	t.Run("ErrDropColumnDependents", func(t *testing.T) {
		err := runSQL("ALTER TABLE article DROP COLUMN author_id", false)
		want := apiError{apierr.DependencyError, `cannot drop due to the following dependent objects: ` +
			`permission article.user.select in source "default", relationship article.author in source "default", ` +
			`relationship author.articles in source "default"`, "$.args"}
		if diff := cmp.Diff(want, asAPIError(t, err)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		// The transaction was rolled back.
		jsonEqual(t, `{"result_type":"TuplesOk","result":[["n"],["1"]]}`, s.must(t, "v2",
			`{"type":"run_sql","args":{"sql":"SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'article' AND column_name = 'author_id'"}}`))
	})
	t.Run("RenameColumnAndTable", func(t *testing.T) {
		if err := runSQL("ALTER TABLE article RENAME COLUMN author_id TO writer_id; ALTER TABLE author RENAME TO writer", false); err != nil {
			t.Fatalf("run_sql: %v%s", err, internalOf(err))
		}
		jsonEqual(t, `[
		 {"table":{"schema":"public","name":"writer"},
		  "array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"table":{"schema":"public","name":"article"},"column":"writer_id"}}}],
		  "select_permissions":[{"role":"user","permission":{"columns":["id","name","bio"],"filter":{"bio":{"_is_null":false}}}}]},
		 {"table":{"schema":"public","name":"article"},
		  "object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"writer_id"}}],
		  "select_permissions":[{"role":"user","permission":{"columns":"*","filter":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}}}}]}]`, export())
		if s.Inconsistent() {
			out := s.must(t, "metadata", `{"type":"get_inconsistent_metadata","args":{}}`)
			t.Errorf("inconsistent after following renames: %s", out)
		}
	})
	t.Run("DropTableCascade", func(t *testing.T) {
		if err := runSQL("DROP TABLE writer CASCADE", true); err != nil {
			t.Fatalf("run_sql: %v%s", err, internalOf(err))
		}
		jsonEqual(t, `[{"table":{"schema":"public","name":"article"}}]`, export())
	})
}

func TestService_ReplaceMetadata(t *testing.T) {
	s := newService(t, blogSchema)
	conn := `"configuration":{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"}}}`
	bad := `{"version":3,"sources":[{"name":"default","kind":"postgres",` + conn + `,"tables":[{"table":{"schema":"public","name":"nope"}},{"table":{"schema":"public","name":"author"}}]}]}`
	t.Run("ErrInconsistent", func(t *testing.T) {
		_, err := s.call("metadata", `{"type":"replace_metadata","args":`+bad+`}`)
		got := asAPIError(t, err)
		if diff := cmp.Diff(apiError{apierr.Unexpected, "cannot continue due to inconsistent metadata", "$.args"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("AllowInconsistent", func(t *testing.T) {
		out := s.must(t, "metadata", `{"type":"replace_metadata","version":2,"args":{"allow_inconsistent_metadata":true,"metadata":`+bad+`}}`)
		var rep struct {
			IsConsistent bool `json:"is_consistent"`
			Objects      []struct {
				Name, Type string
			} `json:"inconsistent_objects"`
		}
		_ = json.Unmarshal([]byte(out), &rep)
		if rep.IsConsistent || len(rep.Objects) != 1 || rep.Objects[0].Name != "table nope in source default" {
			t.Errorf("report = %s", out)
		}
		if !s.Inconsistent() {
			t.Errorf("Inconsistent() = false after allowing inconsistent metadata")
		}
	})
	t.Run("DropInconsistent", func(t *testing.T) {
		s.must(t, "metadata", `{"type":"drop_inconsistent_metadata","args":{}}`)
		jsonEqual(t, `{"is_consistent":true,"inconsistent_objects":[]}`, s.must(t, "metadata", `{"type":"get_inconsistent_metadata","args":{}}`))
	})
	t.Run("WithoutSources", func(t *testing.T) {
		s.must(t, "v1", `{"type":"replace_metadata","args":{"tables":[{"table":"article"}],"functions":[]}}`)
		out := s.must(t, "v1", `{"type":"export_metadata","args":{}}`)
		if !strings.Contains(out, `"name":"article"`) || strings.Contains(out, `"name":"author"`) {
			t.Errorf("export after v1 replace = %s", out)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		s.must(t, "metadata", `{"type":"clear_metadata","args":{}}`)
		out := s.must(t, "metadata", `{"type":"export_metadata","args":{}}`)
		// The source keeps the configuration the replace above gave it.
		jsonEqual(t, `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[],`+conn+`}]}`, out)
	})
}

func TestService_Start(t *testing.T) {
	db := pgtest.New(t, blogSchema)
	s := startService(t, db)
	s.must(t, "metadata", blogSetup)
	// The database changes while graft is down: a restart reports the
	// broken objects instead of failing.
	if _, err := db.Pool.Exec(context.Background(), "DROP TABLE article"); err != nil {
		t.Fatal(err)
	}
	s2 := startService(t, db)
	if !s2.Inconsistent() {
		t.Fatalf("restart after DROP TABLE: metadata reported consistent")
	}
	if s2.Snapshot().ResourceVersion != s.Snapshot().ResourceVersion {
		t.Errorf("restart changed the resource version: %d -> %d", s.Snapshot().ResourceVersion, s2.Snapshot().ResourceVersion)
	}
}

func TestService_Sync(t *testing.T) {
	db := pgtest.New(t, blogSchema)
	a := startService(t, db)
	b := startService(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	a.must(t, "metadata", `{"type":"pg_track_table","args":{"table":"author"}}`)
	want := a.Snapshot().ResourceVersion
	deadline := time.Now().Add(5 * time.Second)
	for b.Snapshot().ResourceVersion != want {
		if time.Now().After(deadline) {
			t.Fatalf("second server still at version %d, want %d", b.Snapshot().ResourceVersion, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := b.Snapshot().Model.TableByName[tableName("author")]; !ok {
		t.Errorf("second server's snapshot lacks the table tracked by the first")
	}
	// A write on the second server starts from the first one's metadata.
	b.must(t, "metadata", `{"type":"pg_track_table","args":{"table":"article"}}`)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

func TestService_Insert(t *testing.T) {
	s := newService(t, blogSchema+`
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE place (id serial PRIMARY KEY, name text DEFAULT 'unnamed', loc geography, shape geometry);`)
	s.must(t, "v1", `{"type":"bulk","args":[{"type":"track_table","args":{"name":"article"}},{"type":"track_table","args":{"name":"place"}}]}`)
	out := s.must(t, "v1", `{"type":"insert","args":{"table":"article","objects":[
		{"title":"a","tags":["x","y"],"meta":{"k":[1,{"n":null}]},"author_id":1},
		{"title":"b"}],"returning":["id","title","tags","meta","author_id"]}}`)
	jsonEqual(t, `{"affected_rows":2,"returning":[
		{"id":1,"title":"a","tags":["x","y"],"meta":{"k":[1,{"n":null}]},"author_id":1},
		{"id":2,"title":"b","tags":null,"meta":null,"author_id":null}]}`, out)
	out = s.must(t, "v1", `{"type":"insert","args":{"table":"place","objects":[
		{"loc":{"type":"Point","coordinates":[-118.4079,33.9434]},"shape":"POINT(1 2)"},
		{"name":"home"}]}}`)
	jsonEqual(t, `{"affected_rows":2}`, out)
	jsonEqual(t, `{"result_type":"TuplesOk","result":[["name","loc","shape"],["unnamed","POINT(-118.4079 33.9434)","POINT(1 2)"],["home",null,null]]}`,
		s.must(t, "v2", `{"type":"run_sql","args":{"sql":"SELECT name, ST_AsText(loc) AS loc, ST_AsText(shape) AS shape FROM place ORDER BY id"}}`))
	jsonEqual(t, `{"count":2}`, s.must(t, "v1", `{"type":"count","args":{"table":"place"}}`))
	_, err := s.call("v1", `{"type":"insert","args":{"table":"article","objects":[{"author_id":99}]}}`)
	if got := asAPIError(t, err); got.Code != apierr.ConstraintViolation {
		t.Errorf("foreign key violation: code %s, want constraint-violation", got.Code)
	}
}

func TestService_ExternalDDL(t *testing.T) {
	s := newService(t, blogSchema)
	// A table created behind graft's back can be tracked right away.
	if _, err := s.db.Pool.Exec(context.Background(), "CREATE TABLE later (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	s.must(t, "metadata", `{"type":"pg_track_table","args":{"table":"later"}}`)
	if _, ok := s.Snapshot().Model.TableByName[tableName("later")]; !ok {
		t.Errorf("tracked table missing from the snapshot")
	}
}

func TestService_SuggestRelationships(t *testing.T) {
	s := newService(t, blogSchema)
	s.must(t, "metadata", `{"type":"bulk","args":[{"type":"pg_track_table","args":{"table":"author"}},{"type":"pg_track_table","args":{"table":"article"}},
		{"type":"pg_create_object_relationship","args":{"table":"article","name":"author","using":{"foreign_key_constraint_on":"author_id"}}}]}`)
	jsonEqual(t, `{"relationships":[
		{"type":"object","from":{"table":{"schema":"public","name":"article"},"columns":["author_id"],"constraint_name":"article_author_id_fkey"},
		 "to":{"table":{"schema":"public","name":"author"},"columns":["id"]}},
		{"type":"array","from":{"table":{"schema":"public","name":"author"},"columns":["id"]},
		 "to":{"table":{"schema":"public","name":"article"},"columns":["author_id"],"constraint_name":"article_author_id_fkey"}}]}`,
		s.must(t, "metadata", `{"type":"pg_suggest_relationships","args":{"tables":["author","article"]}}`))
	jsonEqual(t, `{"relationships":[
		{"type":"array","from":{"table":{"schema":"public","name":"author"},"columns":["id"]},
		 "to":{"table":{"schema":"public","name":"article"},"columns":["author_id"],"constraint_name":"article_author_id_fkey"}}]}`,
		s.must(t, "metadata", `{"type":"pg_suggest_relationships","args":{"omit_tracked":true}}`))
}

func TestService_Collections(t *testing.T) {
	s := newService(t, blogSchema)
	s.must(t, "v1", `{"type":"bulk","args":[
		{"type":"create_query_collection","args":{"name":"c1","definition":{"queries":[{"name":"q1","query":"query { author { id } }"}]}}},
		{"type":"add_collection_to_allowlist","args":{"collection":"c1"}}]}`)
	_, err := s.call("v1", `{"type":"add_query_to_collection","args":{"collection_name":"c1","query_name":"q1","query":"query { x }"}}`)
	if diff := cmp.Diff(apiError{apierr.AlreadyExists, `query with name "q1" already exists in collection "c1"`, "$.args"}, asAPIError(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	_, err = s.call("metadata", `{"type":"drop_query_collection","args":{"collection":"c1"}}`)
	if got := asAPIError(t, err); got.Code != apierr.DependencyError {
		t.Errorf("drop collection in the allow list: %+v, want dependency-error", got)
	}
	s.must(t, "metadata", `{"type":"rename_query_collection","args":{"name":"c1","new_name":"c2"}}`)
	_, err = s.call("metadata", `{"type":"add_query_to_collection","args":{"collection_name":"c1","query_name":"q2","query":"query { x }"}}`)
	if diff := cmp.Diff(apiError{apierr.NotExists, `query collection with name "c1" does not exist`, "$.args"}, asAPIError(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	out := s.must(t, "metadata", `{"type":"export_metadata","args":{}}`)
	if !strings.Contains(out, `"allowlist":[{"collection":"c2"}]`) {
		t.Errorf("allow list does not follow the rename: %s", out)
	}
	s.must(t, "metadata", `{"type":"drop_query_collection","args":{"collection":"c2","cascade":true}}`)
}
