package exec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The mutation tests use the schema of the pgsql mutation golden cases,
// plus a trigger that records the session it sees and a backend-only
// permission.
const mutationExtraDDL = `
CREATE TABLE audit (id serial PRIMARY KEY, session text);
CREATE FUNCTION audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO audit (session) VALUES (current_setting('hasura.user', true)); RETURN NEW; END $$;
CREATE TRIGGER article_audit AFTER INSERT ON article FOR EACH ROW EXECUTE FUNCTION audit_insert();
CREATE TABLE secret (id serial PRIMARY KEY, note text);
`

type mutEnv struct {
	pool *pgxpool.Pool
	snap *schema.Snapshot
	e    *Engine
}

func newMutEnv(t testing.TB) *mutEnv {
	t.Helper()
	ddl, err := os.ReadFile("../pgsql/testdata/mutations/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("../pgsql/testdata/mutations/metadata.json")
	if err != nil {
		t.Fatal(err)
	}
	var md metadata.Metadata
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	md.Sources[0].Tables = append(md.Sources[0].Tables, &metadata.Table{
		Table:             metadata.TableName{QualifiedName: catalog.QualifiedName{Schema: "public", Name: "secret"}},
		InsertPermissions: []*metadata.InsertPermEntry{{Role: "user", Permission: metadata.InsertPermission{Columns: metadata.Columns{All: true}, Check: json.RawMessage(`{}`), BackendOnly: true}}},
		SelectPermissions: []*metadata.SelectPermEntry{{Role: "user", Permission: metadata.SelectPermission{Columns: metadata.Columns{All: true}, Filter: json.RawMessage(`{}`)}}},
	})
	db := pgtest.New(t, string(ddl)+mutationExtraDDL)
	cat, err := catalog.Introspect(context.Background(), db.Pool)
	if err != nil {
		t.Fatal(err)
	}
	m := schema.Build(schema.Input{Metadata: &md, Source: "default", Catalog: cat, Options: schema.Options{InferFunctionPermissions: true}})
	if len(m.Inconsistencies) > 0 {
		t.Fatalf("inconsistent: %+v", m.Inconsistencies)
	}
	return &mutEnv{pool: db.Pool, snap: schema.NewSnapshot(m, 1), e: New(Options{Pool: db.Pool})}
}

func (env *mutEnv) run(t testing.TB, sess *session.Session, query string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := env.e.Execute(context.Background(), env.snap, sess, &gql.Request{Query: query}, ModeGraphQL, &out)
	return out.String(), err
}

func (env *mutEnv) count(t testing.TB, sql string) int {
	t.Helper()
	var n int
	if err := env.pool.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var admin = session.New("admin", nil)

func wantCode(t *testing.T, err error, code apierr.Code) {
	t.Helper()
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Code != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestMutation_Atomicity(t *testing.T) {
	env := newMutEnv(t)
	t.Run("SecondFieldFails", func(t *testing.T) {
		_, err := env.run(t, admin, `mutation {
			a: insert_author_one(object: {name: "First"}) { id }
			b: insert_author_one(object: {name: "Ada"}) { id }
		}`)
		wantCode(t, err, apierr.ConstraintViolation)
		if n := env.count(t, `SELECT count(*) FROM author WHERE name = 'First'`); n != 0 {
			t.Errorf("the first field's row was written (%d rows)", n)
		}
	})
	t.Run("NestedChildFails", func(t *testing.T) {
		_, err := env.run(t, admin, `mutation {
			insert_author_one(object: {name: "Parent", articles: {data: [{title: "ok"}, {title: null}]}}) { id }
		}`)
		if err == nil {
			t.Fatal("want an error for a null title")
		}
		if n := env.count(t, `SELECT count(*) FROM author WHERE name = 'Parent'`); n != 0 {
			t.Errorf("the parent was written (%d rows)", n)
		}
		if n := env.count(t, `SELECT count(*) FROM article WHERE title = 'ok'`); n != 0 {
			t.Errorf("a child was written (%d rows)", n)
		}
	})
	t.Run("FailedCheckWritesNothing", func(t *testing.T) {
		user := session.New("user", map[string]string{"x-hasura-user-id": "1"})
		before := env.count(t, `SELECT sum(views) FROM article`)
		_, err := env.run(t, user, `mutation { update_article(where: {}, _inc: {views: 1000}) { affected_rows } }`)
		wantCode(t, err, apierr.PermissionError)
		if after := env.count(t, `SELECT sum(views) FROM article`); after != before {
			t.Errorf("views changed from %d to %d", before, after)
		}
		_, err = env.run(t, user, `mutation { insert_article(objects: [{title: "small", author_id: 1}, {title: "big", author_id: 1, views: 500}]) { affected_rows } }`)
		wantCode(t, err, apierr.PermissionError)
		if n := env.count(t, `SELECT count(*) FROM article WHERE title IN ('small', 'big')`); n != 0 {
			t.Errorf("%d rows written by a failed insert check", n)
		}
	})
}

func TestMutation_SessionVisibleToTriggers(t *testing.T) {
	env := newMutEnv(t)
	user := session.New("user", map[string]string{"x-hasura-user-id": "7"})
	if _, err := env.run(t, user, `mutation { insert_article_one(object: {title: "audited", author_id: 1}) { id } }`); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := env.pool.QueryRow(context.Background(), `SELECT session FROM audit ORDER BY id DESC LIMIT 1`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `"x-hasura-user-id":"7"`) || !strings.Contains(got, `"x-hasura-role":"user"`) {
		t.Errorf("trigger saw hasura.user = %s", got)
	}
}

func TestMutation_ConcurrentUpserts(t *testing.T) {
	env := newMutEnv(t)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.run(t, admin, `mutation {
				insert_author(objects: [{name: "Racer", bio: {n: 1}}], on_conflict: {constraint: author_name_key, update_columns: [bio]}) { affected_rows }
			}`)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent upsert failed: %v", err)
		}
	}
	if c := env.count(t, `SELECT count(*) FROM author WHERE name = 'Racer'`); c != 1 {
		t.Errorf("%d rows for the upserted key, want 1", c)
	}
}

func TestMutation_BackendOnly(t *testing.T) {
	env := newMutEnv(t)
	q := `mutation { insert_secret_one(object: {note: "x"}) { id } }`
	plain := session.New("user", map[string]string{"x-hasura-user-id": "1"})
	_, err := env.run(t, plain, q)
	wantCode(t, err, apierr.ValidationFailed)
	backend := session.New("user", map[string]string{"x-hasura-user-id": "1"})
	backend.BackendOnly = true
	if _, err := env.run(t, backend, q); err != nil {
		t.Fatalf("backend-only insert: %v", err)
	}
	if c := env.count(t, `SELECT count(*) FROM secret`); c != 1 {
		t.Errorf("%d secret rows, want 1", c)
	}
}
