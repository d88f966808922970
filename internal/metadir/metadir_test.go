package metadir_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/metadir"
)

// readTree returns the files under dir by slash-separated relative path.
func readTree(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestWrite_RoundTrip reads a directory laid out as `hasura metadata
// export` writes it (testdata/hasura: the examples of
// docs/docs/migrations-metadata-seeds/metadata-format.mdx, with
// relationships, permissions, computed fields, functions, inherited
// roles, query collections and the allow list, REST endpoints, remote
// schemas and actions) and writes it back: every file must come out byte
// for byte the same.
func TestWrite_RoundTrip(t *testing.T) {
	src := "testdata/hasura/metadata"
	md, err := metadir.Read(src)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	out := t.TempDir()
	if err := metadir.Write(out, md); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if diff := cmp.Diff(readTree(t, src), readTree(t, out)); diff != "" {
		t.Errorf("round trip (-exported +written):\n%s", diff)
	}

	// Reading what was written gives the same metadata again.
	again, err := metadir.Read(out)
	if err != nil {
		t.Fatalf("Read written: %v", err)
	}
	if diff := cmp.Diff(mustJSON(t, md), mustJSON(t, again)); diff != "" {
		t.Errorf("Read(Write(md)) (-md +again):\n%s", diff)
	}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadJSON checks parts of the document the CLI would send: includes
// resolved, actions built from actions.graphql and actions.yaml, keys in
// the CLI's order.
func TestReadJSON(t *testing.T) {
	doc, err := metadir.ReadJSON("testdata/hasura/metadata")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Version int `json:"version"`
		Sources []struct {
			Name   string `json:"name"`
			Tables []struct {
				Table struct{ Schema, Name string } `json:"table"`
			} `json:"tables"`
			Functions []json.RawMessage `json:"functions"`
		} `json:"sources"`
		Actions     json.RawMessage `json:"actions"`
		CustomTypes json.RawMessage `json:"custom_types"`
		Allowlist   json.RawMessage `json:"allowlist"`
		GQLIntro    json.RawMessage `json:"graphql_schema_introspection"`
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		_ = dec.Decode(&skip)
	}
	wantKeys := []string{"version", "sources", "actions", "custom_types", "remote_schemas", "query_collections",
		"allowlist", "cron_triggers", "network", "api_limits", "rest_endpoints", "inherited_roles", "opentelemetry",
		"backend_configs", "graphql_schema_introspection", "metrics_config"}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	if got.Version != 3 || len(got.Sources) != 1 || len(got.Sources[0].Tables) != 3 || len(got.Sources[0].Functions) != 1 {
		t.Errorf("sources not resolved: %s", doc)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"actions", string(got.Actions), `[` +
			`{"name":"book","definition":{"kind":"","type":"query","handler":"{{ACTION_BASE_URL}}/book",` +
			`"arguments":[{"name":"id","type":"Int!","description":null}],"output_type":"Book","forward_client_headers":true,` +
			`"headers":[{"name":"x-api-key","value_from_env":"BOOKS_API_KEY"}],"timeout":60},` +
			`"permissions":[{"role":"user"}],"comment":"Look up a book"},` +
			`{"name":"login","definition":{"kind":"synchronous","type":"mutation","handler":"http://auth:3000/login",` +
			`"arguments":[{"name":"username","type":"String!","description":null},{"name":"password","type":"String!","description":null}],"output_type":"LoginOutput",` +
			`"request_transform":{"body":{"action":"transform","template":"{\n  \"user\": {{$body.input.username}}\n}"},` +
			`"method":"POST","query_params":{},"template_engine":"Kriti","version":2}}}]`},
		{"custom_types", string(got.CustomTypes), `{"enums":[{"name":"Genre","values":[{"value":"FICTION","description":null},{"value":"HISTORY","description":null}]}],` +
			`"input_objects":[{"name":"BookFilter","fields":[{"name":"genre","type":"Genre","description":null},{"name":"published_after","type":"Date","description":null}]}],` +
			`"objects":[{"name":"Book","fields":[{"name":"id","type":"Int!","description":null},{"name":"title","type":"String!","description":null}]},` +
			`{"name":"LoginOutput","fields":[{"name":"accessToken","type":"String!","description":null}],"relationships":[{"field_mapping":{"accessToken":"name"},` +
			`"name":"author","remote_table":{"name":"author","schema":"public"},"source":"default","type":"object"}]}],` +
			`"scalars":[{"name":"Date","description":"a calendar date"}]}`},
		{"allowlist", string(got.Allowlist), `[{"collection":"allowed-queries","scope":{"global":true}}]`},
		{"graphql_schema_introspection", string(got.GQLIntro), `{"disabled_for_roles":["anonymous"]}`},
	} {
		if diff := cmp.Diff(tc.want, tc.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestFiles_FromModel writes metadata built through graft's API, whose
// key order and shape are graft's, and checks that the files come out in
// Hasura's export shape.
func TestFiles_FromModel(t *testing.T) {
	doc := `{"version":3,"sources":[{"name":"default","kind":"postgres","configuration":{"connection_info":{"database_url":"postgres://x"}},
	"tables":[
	 {"table":{"schema":"public","name":"post"},
	  "configuration":{"custom_name":"Post","column_config":{"body":{"custom_name":"text"}}},
	  "object_relationships":[{"name":"writer","using":{"manual_configuration":{"remote_table":{"schema":"public","name":"author"},"column_mapping":{"author_id":"id"}}}}],
	  "update_permissions":[{"role":"user","permission":{"columns":["body"],"filter":{}}}],
	  "select_permissions":[{"role":"user","permission":{"columns":"*","filter":{}}},{"role":"anonymous","permission":{"columns":["id"],"filter":{}}}]},
	 {"table":{"schema":"public","name":"author"},"configuration":{}}],
	"functions":[{"function":{"schema":"public","name":"f"},"configuration":{}}]}]}`
	var md metadata.Metadata
	if err := json.Unmarshal([]byte(doc), &md); err != nil {
		t.Fatal(err)
	}
	files, err := metadir.Files(&md)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{"databases/databases.yaml", `- name: default
  kind: postgres
  configuration:
    connection_info:
      database_url: postgres://x
  tables: "!include default/tables/tables.yaml"
  functions: "!include default/functions/functions.yaml"
`},
		{"databases/default/tables/tables.yaml", `- "!include public_author.yaml"
- "!include public_post.yaml"
`},
		{"databases/default/tables/public_author.yaml", `table:
  name: author
  schema: public
`},
		{"databases/default/tables/public_post.yaml", `table:
  name: post
  schema: public
configuration:
  column_config:
    body:
      custom_name: text
  custom_column_names:
    body: text
  custom_name: Post
  custom_root_fields: {}
object_relationships:
  - name: writer
    using:
      manual_configuration:
        column_mapping:
          author_id: id
        insertion_order: null
        remote_table:
          name: author
          schema: public
select_permissions:
  - role: anonymous
    permission:
      columns:
        - id
      filter: {}
  - role: user
    permission:
      columns: '*'
      filter: {}
update_permissions:
  - role: user
    permission:
      columns:
        - body
      filter: {}
      check: null
`},
		{"databases/default/functions/public_f.yaml", "function:\n  name: \"f\"\n  schema: public\n"},
		{"version.yaml", "version: 3\n"},
		{"remote_schemas.yaml", "[]\n"},
		{"network.yaml", "{}\n"},
		{"graphql_schema_introspection.yaml", "disabled_for_roles: []\n"},
		{"actions.yaml", "actions: []\ncustom_types:\n  enums: []\n  input_objects: []\n  objects: []\n  scalars: []\n"},
		{"actions.graphql", ""},
	} {
		got, ok := files[tc.file]
		if !ok {
			t.Errorf("%s not written", tc.file)
			continue
		}
		if diff := cmp.Diff(tc.want, string(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, diff)
		}
	}
}

// TestYAMLScalars checks how strings are quoted, against what the CLI
// writes (Note [export layout]).
func TestYAMLScalars(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", `""`},
		{"*", `'*'`},
		{"yes", `"yes"`},
		{"on", `"on"`},
		{"123", `"123"`},
		{"null", `"null"`},
		{"12:30", `"12:30"`},
		{"2024-01-02", `"2024-01-02"`},
		{"{{URL}}/x", `'{{URL}}/x'`},
		{"X-Hasura-User-Id", "X-Hasura-User-Id"},
		{"a\nb", "|-\n    a\n    b"},
		{"a\nb\n", "|\n    a\n    b"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			md := &metadata.Metadata{Version: 3, Sources: []*metadata.Source{},
				InheritedRoles: []*metadata.InheritedRole{{RoleName: tc.in, RoleSet: []string{}}}}
			files, err := metadir.Files(md)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSuffix(strings.TrimPrefix(string(files["inherited_roles.yaml"]), "- role_name: "), "\n  role_set: []\n")
			if got != tc.want {
				t.Errorf("%q written as %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestRead_Errors checks that a broken directory names the file at fault.
func TestRead_Errors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // substring of the error
	}{
		{"NotMetadata", map[string]string{"README": "x"}, "not a Hasura metadata directory"},
		{"MissingInclude", map[string]string{"version.yaml": "version: 3\n",
			"databases/databases.yaml": "- name: default\n  kind: postgres\n  configuration: {}\n  tables: \"!include default/tables/tables.yaml\"\n"},
			"databases.yaml: !include default/tables/tables.yaml"},
		{"ConfigV2", map[string]string{"version.yaml": "version: 2\n", "tables.yaml": "[]\n"}, "update-project-v3"},
		{"BadYAML", map[string]string{"version.yaml": "version: 3\n", "remote_schemas.yaml": "- name: [\n"}, "remote_schemas.yaml"},
		{"ActionNotInSDL", map[string]string{"version.yaml": "version: 3\n", "actions.graphql": "",
			"actions.yaml": "actions:\n  - name: ghost\n    definition:\n      handler: http://x\n"},
			"action ghost is not present in actions.graphql"},
		{"BadSDL", map[string]string{"version.yaml": "version: 3\n", "actions.graphql": "type Query {", "actions.yaml": "actions: []\n"},
			"actions.graphql"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := metadir.Read(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Read: %v, want an error containing %q", err, tc.want)
			}
			var fe *metadir.FileError
			if !errors.As(err, &fe) {
				t.Errorf("error %v is not a *FileError", err)
			}
		})
	}
}

// TestMetadataDir checks how a project directory leads to its metadata and
// migrations directories.
func TestMetadataDir(t *testing.T) {
	root := t.TempDir()
	mk := func(p string) {
		if err := os.MkdirAll(filepath.Join(root, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mk("hasura/metadata/databases")
	mk("hasura/migrations/default")
	mk("nhostapp/nhost/metadata/databases")
	mk("nhostapp/nhost/migrations/default")
	mk("custom/md/databases")
	if err := os.WriteFile(filepath.Join(root, "custom/config.yaml"), []byte("version: 3\nmetadata_directory: md\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ dir, metadata, migrations string }{
		{"hasura", "hasura/metadata", "hasura/migrations"},
		{"hasura/metadata", "hasura/metadata", "hasura/metadata"},
		{"hasura/migrations", "hasura/migrations", "hasura/migrations"},
		{"nhostapp", "nhostapp/nhost/metadata", "nhostapp/nhost/migrations"},
		{"nhostapp/nhost", "nhostapp/nhost/metadata", "nhostapp/nhost/migrations"},
		{"custom", "custom/md", "custom"},
		{"new", "new", "new"},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join(root, tc.dir)
			if got, want := metadir.MetadataDir(dir), filepath.Join(root, tc.metadata); got != want {
				t.Errorf("MetadataDir = %s, want %s", got, want)
			}
			if got, want := metadir.MigrationsDir(dir), filepath.Join(root, tc.migrations); got != want {
				t.Errorf("MigrationsDir = %s, want %s", got, want)
			}
		})
	}
}

// TestFiles_UnsafeNames checks that names PostgreSQL allows but a file
// system reads as paths never put a file outside the directory: a table
// named with / or .. is escaped into one file name and reads back as
// itself; a database name that is a path is refused.
func TestFiles_UnsafeNames(t *testing.T) {
	tableDoc := `{"version":3,"sources":[{"name":"default","kind":"postgres","configuration":{},
	"tables":[{"table":{"schema":"..","name":"../../../../tmp/evil"}},{"table":{"schema":"public","name":"a%2Fb"}},{"table":{"schema":"public","name":"a/b"}}]}]}`
	var md metadata.Metadata
	if err := json.Unmarshal([]byte(tableDoc), &md); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	dir := filepath.Join(out, "metadata")
	if err := metadir.Write(dir, &md); err != nil {
		t.Fatalf("Write: %v", err)
	}
	tree := readTree(t, out)
	var tables []string
	for name := range tree {
		if !strings.HasPrefix(name, "metadata/") {
			t.Errorf("file written outside the directory: %s", name)
		}
		if strings.HasPrefix(name, "metadata/databases/default/tables/") {
			tables = append(tables, strings.TrimPrefix(name, "metadata/databases/default/tables/"))
		}
	}
	wantTables := []string{"tables.yaml", ".._..%2F..%2F..%2F..%2Ftmp%2Fevil.yaml", "public_a%252Fb.yaml", "public_a%2Fb.yaml"}
	if diff := cmp.Diff(wantTables, tables, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("table files (-want +got):\n%s", diff)
	}
	again, err := metadir.Read(dir)
	if err != nil {
		t.Fatalf("Read written: %v", err)
	}
	if diff := cmp.Diff(mustJSON(t, md.Sources), mustJSON(t, again.Sources)); diff != "" {
		t.Errorf("Read(Write(md)) (-md +again):\n%s", diff)
	}

	for _, name := range []string{"..", "../x", `a\b`, ""} {
		doc := `{"version":3,"sources":[{"name":` + strconvQuote(name) + `,"kind":"postgres","configuration":{},"tables":[]}]}`
		var md metadata.Metadata
		if err := json.Unmarshal([]byte(doc), &md); err != nil {
			t.Fatal(err)
		}
		if _, err := metadir.Files(&md); !errors.Is(err, metadir.ErrUnsafeName) {
			t.Errorf("database %q: err = %v, want ErrUnsafeName", name, err)
		}
	}
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
