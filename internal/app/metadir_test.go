package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/app"
	"github.com/graftql/graft/internal/pgtest"
)

// nhostProject is an Nhost project: nhost/migrations/default and
// nhost/metadata, laid out as the Hasura CLI exports it, with Nhost's
// camelCase customization of auth.users.
var nhostProject = map[string]string{
	"nhost/migrations/default/1700000000001_init/up.sql": `
CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE auth.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  display_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE public.todos (
  id serial PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES auth.users(id),
  title text NOT NULL,
  done boolean NOT NULL DEFAULT false
);`,
	"nhost/migrations/default/1700000000001_init/down.sql": "DROP TABLE public.todos; DROP TABLE auth.users;",
	"nhost/migrations/default/1700000000002_seed/up.sql": `
INSERT INTO auth.users (id, display_name) VALUES
  ('11111111-1111-1111-1111-111111111111', 'Ada'),
  ('22222222-2222-2222-2222-222222222222', 'Alan');
INSERT INTO public.todos (user_id, title) VALUES
  ('11111111-1111-1111-1111-111111111111', 'write the engine'),
  ('22222222-2222-2222-2222-222222222222', 'break the code'),
  ('11111111-1111-1111-1111-111111111111', 'publish the notes');`,
	"nhost/metadata/version.yaml": "version: 3\n",
	"nhost/metadata/databases/databases.yaml": `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url:
        from_env: HASURA_GRAPHQL_DATABASE_URL
      isolation_level: read-committed
      pool_settings:
        connection_lifetime: 600
        idle_timeout: 180
        max_connections: 50
        retries: 20
      use_prepared_statements: true
  tables: "!include default/tables/tables.yaml"
`,
	"nhost/metadata/databases/default/tables/tables.yaml": `- "!include auth_users.yaml"
- "!include public_todos.yaml"
`,
	"nhost/metadata/databases/default/tables/auth_users.yaml": `table:
  name: users
  schema: auth
configuration:
  column_config:
    created_at:
      custom_name: createdAt
    display_name:
      custom_name: displayName
  custom_column_names:
    created_at: createdAt
    display_name: displayName
  custom_name: users
  custom_root_fields:
    select: users
    select_by_pk: user
array_relationships:
  - name: todos
    using:
      foreign_key_constraint_on:
        column: user_id
        table:
          name: todos
          schema: public
select_permissions:
  - role: user
    permission:
      columns:
        - display_name
        - id
      filter:
        id:
          _eq: X-Hasura-User-Id
    comment: ""
`,
	"nhost/metadata/databases/default/tables/public_todos.yaml": `table:
  name: todos
  schema: public
object_relationships:
  - name: user
    using:
      foreign_key_constraint_on: user_id
select_permissions:
  - role: user
    permission:
      columns:
        - done
        - id
        - title
      filter:
        user_id:
          _eq: X-Hasura-User-Id
    comment: ""
`,
	"nhost/metadata/actions.graphql":                   "",
	"nhost/metadata/actions.yaml":                      "actions: []\ncustom_types:\n  enums: []\n  input_objects: []\n  objects: []\n  scalars: []\n",
	"nhost/metadata/allow_list.yaml":                   "[]\n",
	"nhost/metadata/api_limits.yaml":                   "{}\n",
	"nhost/metadata/backend_configs.yaml":              "{}\n",
	"nhost/metadata/cron_triggers.yaml":                "[]\n",
	"nhost/metadata/graphql_schema_introspection.yaml": "disabled_for_roles: []\n",
	"nhost/metadata/inherited_roles.yaml":              "[]\n",
	"nhost/metadata/metrics_config.yaml":               "{}\n",
	"nhost/metadata/network.yaml":                      "{}\n",
	"nhost/metadata/opentelemetry.yaml":                "{}\n",
	"nhost/metadata/query_collections.yaml":            "[]\n",
	"nhost/metadata/remote_schemas.yaml":               "[]\n",
	"nhost/metadata/rest_endpoints.yaml":               "[]\n",
}

func writeProject(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestApp_ProjectAtStartup starts graft on an empty database with an
// Nhost project in HASURA_GRAPHQL_MIGRATIONS_DIR and
// HASURA_GRAPHQL_METADATA_DIR, as Hasura's cli-migrations image would be:
// the migrations and the metadata are applied before it serves.
func TestApp_ProjectAtStartup(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, "")
	root := t.TempDir()
	writeProject(t, root, nhostProject)
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	cfg.MigrationsDir = filepath.Join(root, "nhost", "migrations")
	cfg.MetadataDir = filepath.Join(root, "nhost", "metadata")
	admin := map[string]string{"x-hasura-admin-secret": "s3cret"}
	ada := map[string]string{"x-hasura-admin-secret": "s3cret", "x-hasura-role": "user",
		"x-hasura-user-id": "11111111-1111-1111-1111-111111111111"}

	state := func() (cli string, rv int64) {
		t.Helper()
		if err := db.Pool.QueryRow(ctx, `SELECT cli_state::text FROM hdb_catalog.hdb_version`).Scan(&cli); err != nil {
			t.Fatal(err)
		}
		if err := db.Pool.QueryRow(ctx, `SELECT resource_version FROM hdb_catalog.hdb_metadata`).Scan(&rv); err != nil {
			t.Fatal(err)
		}
		return cli, rv
	}
	queries := func(t *testing.T, url string) {
		t.Helper()
		for _, tc := range []struct {
			name, query string
			headers     map[string]string
			want        string
		}{
			{"Admin", `{ users(order_by: {displayName: asc}) { displayName todos(order_by: {id: asc}) { title } } }`, admin,
				`{"data":{"users":[{"displayName":"Ada","todos":[{"title":"write the engine"},{"title":"publish the notes"}]},` +
					`{"displayName":"Alan","todos":[{"title":"break the code"}]}]}}`},
			{"UserRole", `{ todos(order_by: {id: asc}) { title user { displayName } } }`, ada,
				`{"data":{"todos":[{"title":"write the engine","user":{"displayName":"Ada"}},{"title":"publish the notes","user":{"displayName":"Ada"}}]}}`},
		} {
			status, body := post(t, url+"/v1/graphql", `{"query":`+quote(tc.query)+`}`, tc.headers)
			if status != 200 {
				t.Errorf("%s: status %d %s", tc.name, status, body)
				continue
			}
			if diff := cmp.Diff(tc.want, compactJSON(t, body)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.name, diff)
			}
		}
	}

	r := start(t, cfg, nil)
	queries(t, r.url)
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	cli1, rv1 := state()
	if want := `{"migrations": {"default": {"1700000000001": false, "1700000000002": false}}}`; cli1 != want {
		t.Errorf("cli_state = %s, want %s", cli1, want)
	}

	t.Run("SecondStartAppliesNothing", func(t *testing.T) {
		r := start(t, cfg, nil)
		queries(t, r.url)
		if err := r.stop(); err != nil {
			t.Fatalf("Run: %v", err)
		}
		cli2, rv2 := state()
		if cli2 != cli1 || rv2 != rv1 {
			t.Errorf("second start changed the state: cli_state %s -> %s, resource_version %d -> %d", cli1, cli2, rv1, rv2)
		}
	})

	t.Run("FailingMigration", func(t *testing.T) {
		writeProject(t, root, map[string]string{
			"nhost/migrations/default/1700000000003_rename/up.sql": "ALTER TABLE public.todos RENAME COLUMN title TO name;",
			"nhost/migrations/default/1700000000004_broken/up.sql": "ALTER TABLE public.todoz ADD COLUMN due date;",
			"nhost/migrations/default/1700000000005_later/up.sql":  "CREATE TABLE public.later (id int);",
		})
		_, err := app.New(ctx, cfg, app.Options{})
		if err == nil {
			t.Fatal("New succeeded with a failing migration")
		}
		for _, want := range []string{"HASURA_GRAPHQL_MIGRATIONS_DIR", "1700000000004_broken", `relation "public.todoz" does not exist`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not mention %s", err, want)
			}
		}
		cli, _ := state()
		if want := `{"migrations": {"default": {"1700000000001": false, "1700000000002": false, "1700000000003": false}}}`; cli != want {
			t.Errorf("cli_state = %s, want %s", cli, want)
		}
		var later bool
		if err := db.Pool.QueryRow(ctx, `SELECT to_regclass('public.later') IS NOT NULL`).Scan(&later); err != nil || later {
			t.Errorf("public.later exists (%v): migrations after the failing one ran", err)
		}
	})
}

func quote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
