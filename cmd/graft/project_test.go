package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/app"
	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pgtest"
)

// project is a Hasura CLI project, its metadata as `hasura metadata export`
// writes it.
var project = map[string]string{
	"config.yaml": "version: 3\nendpoint: http://localhost:8080\nmetadata_directory: metadata\n",
	"migrations/default/1700000000001_init/up.sql":   "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);",
	"migrations/default/1700000000001_init/down.sql": "DROP TABLE author;",
	"migrations/default/1700000000002_seed/up.sql":   "INSERT INTO author (name) VALUES ('Ada'), ('Alan');",
	"metadata/version.yaml":                          "version: 3\n",
	"metadata/databases/databases.yaml": `- name: default
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
        retries: 1
      use_prepared_statements: true
  tables: "!include default/tables/tables.yaml"
`,
	"metadata/databases/default/tables/tables.yaml": "- \"!include public_author.yaml\"\n",
	"metadata/databases/default/tables/public_author.yaml": `table:
  name: author
  schema: public
select_permissions:
  - role: user
    permission:
      columns:
        - id
        - name
      filter: {}
    comment: ""
`,
	"metadata/actions.graphql":                   "",
	"metadata/actions.yaml":                      "actions: []\ncustom_types:\n  enums: []\n  input_objects: []\n  objects: []\n  scalars: []\n",
	"metadata/allow_list.yaml":                   "[]\n",
	"metadata/api_limits.yaml":                   "{}\n",
	"metadata/backend_configs.yaml":              "{}\n",
	"metadata/cron_triggers.yaml":                "[]\n",
	"metadata/graphql_schema_introspection.yaml": "disabled_for_roles: []\n",
	"metadata/inherited_roles.yaml":              "[]\n",
	"metadata/metrics_config.yaml":               "{}\n",
	"metadata/network.yaml":                      "{}\n",
	"metadata/opentelemetry.yaml":                "{}\n",
	"metadata/query_collections.yaml":            "[]\n",
	"metadata/remote_schemas.yaml":               "[]\n",
	"metadata/rest_endpoints.yaml":               "[]\n",
}

func writeFiles(t *testing.T, root string, files map[string]string) {
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

// serve starts graft on a fresh database and returns its URL.
func serve(t *testing.T) string {
	t.Helper()
	db := pgtest.New(t, "")
	cfg := config.DefaultConfig()
	cfg.DatabaseURL, cfg.AdminSecret = db.URL, "s3cret"
	cfg.ServerHost, cfg.ServerPort = "127.0.0.1", 0
	cfg.GracefulShutdownTimeout = 5 * time.Second
	cfg.LogLevel = 8 // errors only
	a, err := app.New(context.Background(), cfg, app.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return "http://" + a.Addr().String()
}

// TestRun_Project runs the project commands against a running graft, as
// one would with the Hasura CLI: migrate apply, migrate status, metadata
// apply, then metadata export, which must give back the files applied.
func TestRun_Project(t *testing.T) {
	url := serve(t)
	root := t.TempDir()
	writeFiles(t, root, project)
	env := map[string]string{"HASURA_GRAPHQL_ENDPOINT": url}
	getenv := func(k string) string { return env[k] }
	runCmd := func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := run(args, getenv, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout string
		wantStderr string // substring
	}{
		{"NoSecret", []string{"migrate", "apply", "--dir", root}, 1, "", "get catalog state: x-hasura-admin-secret/x-hasura-access-key required, but not found"},
		{"MigrateApply", []string{"migrate", "apply", "--dir", root, "--admin-secret", "s3cret"}, 0,
			"applied 1700000000001_init on database default\napplied 1700000000002_seed on database default\n", ""},
		{"MigrateApplyAgain", []string{"migrate", "apply", "--dir", root, "--admin-secret", "s3cret", "--database", "default"}, 0,
			"nothing to apply\n", ""},
		{"MigrateStatus", []string{"migrate", "status", "--dir", root, "--admin-secret", "s3cret"}, 0,
			"DATABASE default\n" +
				"VERSION        NAME  SOURCE STATUS  DATABASE STATUS\n" +
				"1700000000001  init  Present        Present\n" +
				"1700000000002  seed  Present        Present\n", ""},
		{"MetadataApply", []string{"metadata", "apply", "--dir", root, "--admin-secret", "s3cret"}, 0,
			"metadata applied from " + filepath.Join(root, "metadata") + "\n", ""},
		{"MetadataExport", []string{"metadata", "export", "--dir", filepath.Join(root, "exported"), "--admin-secret", "s3cret"}, 0,
			"metadata exported to " + filepath.Join(root, "exported") + "\n", ""},
		{"UnknownSubcommand", []string{"metadata", "diff"}, 1, "", `unknown command "metadata diff"`},
		{"BadFlag", []string{"migrate", "apply", "--nope"}, 1, "", "flag provided but not defined: -nope"},
	}
	for _, tc := range tests {
		code, stdout, stderr := runCmd(tc.args...)
		if code != tc.code || stdout != tc.wantStdout || !strings.Contains(stderr, tc.wantStderr) {
			t.Errorf("%s: graft %s = %d\nstdout %q\nstderr %q\nwant %d, stdout %q, stderr containing %q",
				tc.name, strings.Join(tc.args, " "), code, stdout, stderr, tc.code, tc.wantStdout, tc.wantStderr)
		}
	}

	// The server's metadata, exported, is the directory that was applied.
	want, got := map[string]string{}, map[string]string{}
	for name, content := range project {
		if rest, ok := strings.CutPrefix(name, "metadata/"); ok {
			want[rest] = content
		}
	}
	exported := filepath.Join(root, "exported")
	err := filepath.WalkDir(exported, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(exported, p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("exported metadata (-applied +exported):\n%s", diff)
	}
}
