package metadata_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// testCatalog is author(id, name) and article(id, title, author_id ->
// author.id), both in public, with function search_articles.
func testCatalog() *catalog.Catalog {
	text := &catalog.Type{OID: 25, Schema: "pg_catalog", Name: "text"}
	int4 := &catalog.Type{OID: 23, Schema: "pg_catalog", Name: "int4"}
	author := catalog.QualifiedName{Schema: "public", Name: "author"}
	article := catalog.QualifiedName{Schema: "public", Name: "article"}
	return &catalog.Catalog{
		Tables: map[catalog.QualifiedName]*catalog.Table{
			author: {Name: author, OID: 1, Columns: []*catalog.Column{
				{Name: "id", Position: 1, Type: int4}, {Name: "name", Position: 2, Type: text},
			}, PrimaryKey: &catalog.Constraint{Name: "author_pkey", Columns: []string{"id"}}},
			article: {Name: article, OID: 2, Columns: []*catalog.Column{
				{Name: "id", Position: 1, Type: int4}, {Name: "title", Position: 2, Type: text},
				{Name: "author_id", Position: 3, Type: int4},
			}, PrimaryKey: &catalog.Constraint{Name: "article_pkey", Columns: []string{"id"}},
				ForeignKeys: []*catalog.ForeignKey{{Name: "article_author_id_fkey", OID: 10, Columns: []string{"author_id"},
					RefTable: author, RefColumns: []string{"id"}}}},
		},
		Functions: map[catalog.QualifiedName][]*catalog.Function{
			{Schema: "public", Name: "search_articles"}: {{Name: catalog.QualifiedName{Schema: "public", Name: "search_articles"},
				OID: 100, ReturnTable: &article, ReturnsSet: true}},
		},
	}
}

const baseMetadata = `{"version":3,"sources":[{"name":"default","kind":"postgres","tables":[
 {"table":{"schema":"public","name":"author"},
  "array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"table":{"schema":"public","name":"article"},"column":"author_id"}}}],
  "select_permissions":[{"role":"user","permission":{"columns":["id","name"],"filter":{"articles":{"title":{"_eq":"x"}}}}}]},
 {"table":{"schema":"public","name":"article"},
  "object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"author_id"}}],
  "select_permissions":[{"role":"user","permission":{"columns":"*","filter":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}}}}]}
 ],"configuration":{"connection_info":{"database_url":{"from_env":"HASURA_GRAPHQL_DATABASE_URL"}}}}]}`

func mustMetadata(t *testing.T, s string) *metadata.Metadata {
	t.Helper()
	var md metadata.Metadata
	if err := json.Unmarshal([]byte(s), &md); err != nil {
		t.Fatal(err)
	}
	md.Normalize()
	return &md
}

// canonical re-encodes JSON so that key order and spacing do not matter.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("bad JSON %s: %v", b, err)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

func TestApply(t *testing.T) {
	type wantErr struct {
		Code    apierr.Code
		Message string
		Path    string
	}
	tests := []struct {
		name string
		typ  string
		args string
		// check returns a value from the new metadata to compare with want.
		check func(md *metadata.Metadata) any
		want  any
		err   *wantErr
		mode  metadata.CheckMode
	}{
		{
			name: "TrackTable", typ: "pg_track_table", args: `{"table":"extra"}`,
			check: func(md *metadata.Metadata) any { return len(md.Sources[0].Tables) },
			want:  3, mode: metadata.CheckObject,
		},
		{
			name: "TrackTableBareName", typ: "pg_track_table", args: `{"schema":"hge","name":"extra"}`,
			check: func(md *metadata.Metadata) any { return md.Sources[0].Tables[2].Table.QualifiedName.String() },
			want:  "hge.extra", mode: metadata.CheckObject,
		},
		{
			name: "ErrAlreadyTracked", typ: "pg_track_table", args: `{"table":{"schema":"public","name":"author"}}`,
			err: &wantErr{apierr.AlreadyTracked, `view/table already tracked: "author"`, "$.args"},
		},
		{
			name: "ErrMissingKey", typ: "pg_create_select_permission", args: `{"table":"author","role":"r"}`,
			err: &wantErr{apierr.ParseFailed, `key "permission" not found`, "$.args"},
		},
		{
			name: "ErrWrongType", typ: "pg_set_table_is_enum", args: `{"table":"author","is_enum":"yes"}`,
			err: &wantErr{apierr.ParseFailed, `parsing Bool failed, expected Boolean, but encountered String`, "$.args.is_enum"},
		},
		{
			name: "ErrNotObject", typ: "pg_untrack_table", args: `[1]`,
			err: &wantErr{apierr.ParseFailed, `parsing untrackTableArgs failed, expected Object, but encountered Array`, "$.args"},
		},
		{
			name: "ErrUntrackDependents", typ: "pg_untrack_table", args: `{"table":"author"}`,
			err: &wantErr{apierr.DependencyError,
				`cannot drop due to the following dependent objects: permission article.user.select in source "default", relationship article.author in source "default"`, "$.args"},
		},
		{
			name: "UntrackCascade", typ: "pg_untrack_table", args: `{"table":"author","cascade":true}`,
			check: func(md *metadata.Metadata) any {
				a := md.Sources[0].Tables[0]
				return []int{len(md.Sources[0].Tables), len(a.ObjectRelationships), len(a.SelectPermissions)}
			},
			want: []int{1, 0, 0}, mode: metadata.CheckNew,
		},
		{
			name: "ErrUntrackTwice", typ: "pg_untrack_table", args: `{"table":"nope"}`,
			err: &wantErr{apierr.AlreadyUntracked, `view/table already untracked: "nope"`, "$.args"},
		},
		{
			name: "ErrRelationshipFieldExists", typ: "pg_create_object_relationship",
			args: `{"table":"article","name":"title","using":{"foreign_key_constraint_on":"author_id"}}`,
			err:  &wantErr{apierr.AlreadyExists, `field with name "title" already exists in table "article"`, "$.args"},
		},
		{
			name: "ErrArrayRelationshipNeedsTable", typ: "pg_create_array_relationship",
			args: `{"table":"author","name":"x","using":{"foreign_key_constraint_on":"author_id"}}`,
			err:  &wantErr{apierr.ParseFailed, `parsing ArrRelUsingFKeyOn failed, expected Object, but encountered String`, "$.args.using.foreign_key_constraint_on"},
		},
		{
			name: "ErrDropRelationshipDependents", typ: "pg_drop_relationship", args: `{"table":"article","relationship":"author"}`,
			err: &wantErr{apierr.DependencyError, `cannot drop due to the following dependent objects: permission article.user.select in source "default"`, "$.args"},
		},
		{
			name: "DropRelationshipCascade", typ: "pg_drop_relationship", args: `{"table":"article","relationship":"author","cascade":true}`,
			check: func(md *metadata.Metadata) any {
				a := md.Sources[0].Tables[1]
				return []int{len(a.ObjectRelationships), len(a.SelectPermissions)}
			},
			want: []int{0, 0}, mode: metadata.CheckNew,
		},
		{
			name: "RenameRelationshipRewritesPermissions", typ: "pg_rename_relationship",
			args: `{"table":"author","name":"articles","new_name":"posts"}`,
			check: func(md *metadata.Metadata) any {
				return string(md.Sources[0].Tables[0].SelectPermissions[0].Permission.Filter)
			},
			want: `{"posts":{"title":{"_eq":"x"}}}`, mode: metadata.CheckObject,
		},
		{
			name: "ErrPermissionExists", typ: "pg_create_select_permission",
			args: `{"table":"author","role":"user","permission":{"columns":"*","filter":{}}}`,
			err:  &wantErr{apierr.AlreadyExists, `select permission already defined on table "author" with role "user"`, "$.args"},
		},
		{
			name: "ErrPermissionAdmin", typ: "pg_create_insert_permission",
			args: `{"table":"author","role":"admin","permission":{"columns":"*","check":{}}}`,
			err:  &wantErr{apierr.AlreadyExists, `insert permission already defined on table "author" with role "admin"`, "$.args"},
		},
		{
			name: "CreateInsertPermission", typ: "pg_create_insert_permission",
			args: `{"table":"author","role":"user","permission":{"columns":["name"],"set":{"id":"X-Hasura-User-Id"}},"comment":"c"}`,
			check: func(md *metadata.Metadata) any {
				b, _ := json.Marshal(md.Sources[0].Tables[0].InsertPermissions)
				return string(b)
			},
			want: `[{"role":"user","permission":{"check":{},"set":{"id":"X-Hasura-User-Id"},"columns":["name"]},"comment":"c"}]`,
			mode: metadata.CheckObject,
		},
		{
			name: "ErrDropPermissionMissing", typ: "pg_drop_update_permission", args: `{"table":"author","role":"user"}`,
			err: &wantErr{apierr.NotExists, `update permission on "author" for role "user" does not exist`, "$.args"},
		},
		{
			name: "ErrTableMissing", typ: "pg_set_table_customization", args: `{"table":"nope","configuration":{}}`,
			err: &wantErr{apierr.NotExists, `table "nope" does not exist in source: default`, "$.args"},
		},
		{
			name: "SetTableCustomization", typ: "pg_set_table_customization",
			args: `{"table":"author","configuration":{"custom_name":"writer","custom_column_names":{"name":"fullName"}}}`,
			check: func(md *metadata.Metadata) any {
				b, _ := json.Marshal(md.Sources[0].Tables[0].Configuration)
				return string(b)
			},
			want: `{"custom_name":"writer","column_config":{"name":{"custom_name":"fullName"}},"custom_column_names":{"name":"fullName"}}`,
			mode: metadata.CheckObject,
		},
		{
			name: "ErrFunctionTableSameName", typ: "pg_track_function", args: `{"function":"author"}`,
			err: &wantErr{apierr.NotSupported, `table with name "author" already exists`, "$.args"},
		},
		{
			name: "TrackFunctionV1Form", typ: "pg_track_function", args: `"search_articles"`,
			check: func(md *metadata.Metadata) any { return md.Sources[0].Functions[0].Function.QualifiedName.Name },
			want:  "search_articles", mode: metadata.CheckObject,
		},
		{
			name: "ErrComputedFieldMissing", typ: "pg_drop_computed_field", args: `{"table":"author","name":"full"}`,
			err: &wantErr{apierr.NotExists, `computed field "full" does not exist`, "$.args.name"},
		},
		{
			name: "ErrCollectionMissing", typ: "add_query_to_collection",
			args: `{"collection_name":"c","query_name":"q","query":"query { a }"}`,
			err:  &wantErr{apierr.NotExists, `query collection with name "c" does not exist`, "$.args"},
		},
		{
			name: "ErrSourceExists", typ: "pg_add_source",
			args: `{"name":"default","configuration":{"connection_info":{"database_url":"postgres://x"}}}`,
			err:  &wantErr{apierr.AlreadyExists, `source with name "default" already exists`, "$.args"},
		},
		{
			name: "ErrSourceConfiguration", typ: "pg_add_source", args: `{"name":"two","configuration":{"connection_info":{}}}`,
			err: &wantErr{apierr.ParseFailed, `key "database_url" not found`, "$.args.configuration.connection_info"},
		},
		{
			name: "AddInheritedRole", typ: "add_inherited_role", args: `{"role_name":"both","role_set":["user","editor"]}`,
			check: func(md *metadata.Metadata) any { return md.InheritedRoles[0].RoleSet },
			want:  []string{"user", "editor"}, mode: metadata.CheckObject,
		},
		{
			name: "ErrDropInheritedRoleMissing", typ: "drop_inherited_role", args: `{"role_name":"both"}`,
			err: &wantErr{apierr.NotExists, `inherited role "both" does not exist`, "$.args"},
		},
	}
	env := metadata.Env{Catalog: func(string) *catalog.Catalog { return testCatalog() }}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md := mustMetadata(t, baseMetadata)
			before := mustMarshal(t, md)
			ch, err := metadata.Apply(md, metadata.Command{Type: tt.typ, Args: json.RawMessage(tt.args), Path: "$.args"}, env)
			if got := mustMarshal(t, md); got != before {
				t.Errorf("Apply modified its input")
			}
			if tt.err != nil {
				var ae *apierr.Error
				if !errors.As(err, &ae) {
					t.Fatalf("err = %v, want %+v", err, tt.err)
				}
				if diff := cmp.Diff(*tt.err, wantErr{ae.Code, ae.Message, ae.Path}); diff != "" {
					t.Errorf("error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if ch.Check != tt.mode {
				t.Errorf("check mode = %v, want %v", ch.Check, tt.mode)
			}
			if diff := cmp.Diff(tt.want, tt.check(ch.Metadata)); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenameColumn(t *testing.T) {
	md := mustMetadata(t, baseMetadata)
	author := catalog.QualifiedName{Schema: "public", Name: "author"}
	article := catalog.QualifiedName{Schema: "public", Name: "article"}
	metadata.RenameColumns(md, "default", testCatalog(), []metadata.ColumnRename{
		{Table: article, Old: "author_id", New: "writer_id"}, {Table: author, Old: "id", New: "author_pk"}})
	got := canonical(t, []byte(mustMarshal(t, md.Sources[0].Tables)))
	want := canonical(t, []byte(`[
 {"table":{"schema":"public","name":"author"},
  "array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"table":{"schema":"public","name":"article"},"column":"writer_id"}}}],
  "select_permissions":[{"role":"user","permission":{"columns":["author_pk","name"],"filter":{"articles":{"title":{"_eq":"x"}}}}}]},
 {"table":{"schema":"public","name":"article"},
  "object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"writer_id"}}],
  "select_permissions":[{"role":"user","permission":{"columns":"*","filter":{"author":{"author_pk":{"_eq":"X-Hasura-User-Id"}}}}}]}]`))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("renamed (-want +got):\n%s", diff)
	}
}

func TestRenameTable(t *testing.T) {
	md := mustMetadata(t, baseMetadata)
	metadata.RenameTable(md, "default", testCatalog(),
		catalog.QualifiedName{Schema: "public", Name: "article"}, catalog.QualifiedName{Schema: "blog", Name: "post"})
	got := canonical(t, []byte(mustMarshal(t, md.Sources[0].Tables)))
	want := canonical(t, []byte(`[
 {"table":{"schema":"public","name":"author"},
  "array_relationships":[{"name":"articles","using":{"foreign_key_constraint_on":{"table":{"schema":"blog","name":"post"},"column":"author_id"}}}],
  "select_permissions":[{"role":"user","permission":{"columns":["id","name"],"filter":{"articles":{"title":{"_eq":"x"}}}}}]},
 {"table":{"schema":"blog","name":"post"},
  "object_relationships":[{"name":"author","using":{"foreign_key_constraint_on":"author_id"}}],
  "select_permissions":[{"role":"user","permission":{"columns":"*","filter":{"author":{"id":{"_eq":"X-Hasura-User-Id"}}}}}]}]`))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("renamed (-want +got):\n%s", diff)
	}
}

func TestLegacyOperation(t *testing.T) {
	tests := []struct {
		typ     string
		version int
		want    string
	}{
		{"track_table", 1, "pg_track_table"},
		{"add_existing_table_or_view", 1, "pg_track_table"},
		{"create_select_permission", 1, "pg_create_select_permission"},
		{"drop_delete_permission", 1, "pg_drop_delete_permission"},
		{"create_object_relationship", 1, "pg_create_object_relationship"},
		{"add_computed_field", 1, "pg_add_computed_field"},
		{"add_collection_to_allowlist", 1, "add_collection_to_allowlist"},
		{"track_function", 2, "pg_track_function"},
		{"set_table_custom_fields", 2, "set_table_custom_fields"},
		{"run_sql", 1, ""},
		{"create_foo_permission", 1, ""},
	}
	for _, tt := range tests {
		got, ok := metadata.LegacyOperation(tt.typ, tt.version)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("LegacyOperation(%q, %d) = %q, %v; want %q", tt.typ, tt.version, got, ok, tt.want)
		}
		if ok && !metadata.IsOperation(got) {
			t.Errorf("%q maps to %q, which is not an operation", tt.typ, got)
		}
	}
}

func TestObjectID(t *testing.T) {
	author := catalog.QualifiedName{Schema: "public", Name: "author"}
	other := catalog.QualifiedName{Schema: "hge_tests", Name: "t"}
	tests := []struct {
		id         metadata.ObjectID
		typ, name  string
		reportText string
	}{
		{metadata.TableID("default", author), "table", "table author in source default", `table author in source "default"`},
		{metadata.FunctionID("default", catalog.QualifiedName{Schema: "public", Name: "stable_func1"}), "function",
			"function stable_func1 in source default", `function stable_func1 in source "default"`},
		{metadata.RelationshipID("default", other, "r", "object"), "object_relation",
			"object_relation r in table hge_tests.t in source default", `relationship hge_tests.t.r in source "default"`},
		{metadata.PermissionID("default", author, "user", "select"), "select_permission",
			"select_permission user in table author in source default", `permission author.user.select in source "default"`},
		{metadata.InheritedRoleID("both"), "inherited_role", "inherited_role inherited role both", "role both"},
	}
	for _, tt := range tests {
		if got := tt.id.TypeName(); got != tt.typ {
			t.Errorf("TypeName = %q, want %q", got, tt.typ)
		}
		if got := tt.id.String(); got != tt.name {
			t.Errorf("String = %q, want %q", got, tt.name)
		}
		if got := tt.id.Report(); got != tt.reportText {
			t.Errorf("Report = %q, want %q", got, tt.reportText)
		}
	}
}
