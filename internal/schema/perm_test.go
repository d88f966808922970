package schema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
)

var (
	qArticle = catalog.QualifiedName{Schema: "public", Name: "article"}
	qAuthor  = catalog.QualifiedName{Schema: "public", Name: "author"}
)

// exprJSON renders an expression for comparison: pointers to types are
// shown by name, so that diffs stay readable.
func exprJSON(t *testing.T, e boolexp.Expr) string {
	t.Helper()
	b, err := json.Marshal(showExpr(e))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// show turns an expression into plain values with type names.
func showExpr(e boolexp.Expr) any {
	switch x := e.(type) {
	case nil:
		return nil
	case boolexp.And:
		out := []any{}
		for _, y := range x {
			out = append(out, showExpr(y))
		}
		return map[string]any{"and": out}
	case boolexp.Or:
		out := []any{}
		for _, y := range x {
			out = append(out, showExpr(y))
		}
		return map[string]any{"or": out}
	case boolexp.Not:
		return map[string]any{"not": showExpr(x.Expr)}
	case *boolexp.Compare:
		var args []any
		for _, a := range x.Args {
			args = append(args, []any{showValue(a.Value), a.Type.SQL})
		}
		return map[string]any{"cmp": []any{x.Column.Name, opName(x.Op), args}}
	case *boolexp.ColumnCompare:
		return map[string]any{"ccmp": []any{x.Column.Name, opName(x.Op), x.Other.Name, x.Root}}
	case *boolexp.Relationship:
		return map[string]any{"rel": []any{x.Name, x.Target.String(), showExpr(x.Where)}}
	case *boolexp.Exists:
		return map[string]any{"exists": []any{x.Table.String(), showExpr(x.Where)}}
	}
	return "?"
}

// opName is an operator's permission name ("_eq").
func opName(op boolexp.Op) string {
	for name, o := range boolexp.Ops {
		if o == op && name[0] == '_' && name != "_ne" {
			return name
		}
	}
	return "?"
}

func showValue(v boolexp.Value) any {
	switch x := v.(type) {
	case boolexp.Const:
		return x.V
	case boolexp.SessionVar:
		return "$" + x.Name
	}
	return "?"
}

func TestBuild_Permissions(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{Tables: `[
	  {"table": "author"},
	  {"table": "article",
	   "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
	   "select_permissions": [
	     {"role": "user", "permission": {"columns": ["id", "title"], "filter": {"author": {"id": {"_eq": "X-Hasura-User-Id"}}},
	       "limit": 10, "allow_aggregations": true, "query_root_fields": ["select", "select_by_pk"], "subscription_root_fields": []}},
	     {"role": "anonymous", "permission": {"columns": "*", "filter": {"published": {"_eq": true}}}}
	   ],
	   "insert_permissions": [
	     {"role": "user", "permission": {"columns": "*", "check": {"author_id": "X-Hasura-User-Id"},
	       "set": {"author_id": "x-hasura-User-Id", "published": false}, "backend_only": true}}
	   ],
	   "update_permissions": [
	     {"role": "user", "permission": {"columns": ["title", "published"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}},
	       "check": {"_exists": {"_table": "author", "_where": {"id": {"_eq": "X-Hasura-Editor"}}}}, "set": {"published": "X-Hasura-Published"}}}
	   ],
	   "delete_permissions": [
	     {"role": "user", "permission": {"filter": {"_or": [{"author_id": {"_in": "X-Hasura-Ids"}}, {"editor_id": {"_ceq": "author_id"}}]}}}
	   ]}
	]`}, Options{})
	if len(m.Inconsistencies) > 0 {
		t.Fatalf("inconsistencies: %+v", inconsistencies(m))
	}
	if diff := cmp.Diff([]string{"anonymous", "user"}, m.Roles); diff != "" {
		t.Errorf("Roles (-want +got):\n%s", diff)
	}
	a := m.TableByName[qArticle]

	sel := a.Select["user"]
	if got, want := exprJSON(t, sel.Filter), `{"rel":["author","public.author",{"cmp":["id","_eq",[["$x-hasura-user-id","int4"]]]}]}`; got != want {
		t.Errorf("select filter = %s, want %s", got, want)
	}
	wantSel := &SelectPerm{
		Columns:                map[string]boolexp.Expr{"id": nil, "title": nil},
		ComputedFields:         map[string]boolexp.Expr{},
		Limit:                  10,
		AllowAggregations:      true,
		QueryRootFields:        map[string]bool{"select": true, "select_by_pk": true},
		SubscriptionRootFields: map[string]bool{},
		SessionVars:            []string{"x-hasura-user-id"},
	}
	sel.Filter = nil
	if diff := cmp.Diff(wantSel, sel); diff != "" {
		t.Errorf("select permission (-want +got):\n%s", diff)
	}
	anon := a.Select["anonymous"]
	if len(anon.Columns) != 6 || anon.QueryRootFields != nil || anon.SessionVars != nil {
		t.Errorf("anonymous select = %+v", anon)
	}

	ins := a.Insert["user"]
	if got, want := exprJSON(t, ins.Check), `{"cmp":["author_id","_eq",[["$x-hasura-user-id","int4"]]]}`; got != want {
		t.Errorf("insert check = %s, want %s", got, want)
	}
	ins.Check = nil
	wantIns := &InsertPerm{
		// Preset columns are not insertable.
		Columns:     map[string]bool{"id": true, "editor_id": true, "title": true, "status": true},
		Set:         map[string]boolexp.Value{"author_id": boolexp.SessionVar{Name: "x-hasura-user-id"}, "published": boolexp.Const{V: false}},
		BackendOnly: true,
		SessionVars: []string{"x-hasura-user-id"},
	}
	if diff := cmp.Diff(wantIns, ins); diff != "" {
		t.Errorf("insert permission (-want +got):\n%s", diff)
	}

	upd := a.Update["user"]
	if got, want := exprJSON(t, upd.Check), `{"exists":["public.author",{"cmp":["id","_eq",[["$x-hasura-editor","int4"]]]}]}`; got != want {
		t.Errorf("update check = %s, want %s", got, want)
	}
	if diff := cmp.Diff(map[string]bool{"title": true}, upd.Columns); diff != "" {
		t.Errorf("update columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x-hasura-editor", "x-hasura-published", "x-hasura-user-id"}, upd.SessionVars); diff != "" {
		t.Errorf("update session vars (-want +got):\n%s", diff)
	}

	del := a.Delete["user"]
	if got, want := exprJSON(t, del.Filter), `{"or":[{"cmp":["author_id","_in",[["$x-hasura-ids","int4"]]]},{"ccmp":["editor_id","_eq","author_id",false]}]}`; got != want {
		t.Errorf("delete filter = %s, want %s", got, want)
	}
	if del.Filter.(boolexp.Or)[0].(*boolexp.Compare).Args[0].Type.Dims != 1 {
		t.Errorf("_in operand is not an array: %+v", del.Filter)
	}
	if diff := cmp.Diff([]string{"x-hasura-ids"}, del.SessionVars); diff != "" {
		t.Errorf("delete session vars (-want +got):\n%s", diff)
	}
}

// TestBuild_InheritedRoles checks Note [inherited role columns].
func TestBuild_InheritedRoles(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{
		Tables: `[
	  {"table": "author"},
	  {"table": "article",
	   "select_permissions": [
	     {"role": "reader", "permission": {"columns": ["id", "title"], "filter": {"published": {"_eq": true}}, "limit": 5}},
	     {"role": "writer", "permission": {"columns": ["id", "title", "author_id"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}},
	       "allow_aggregations": true, "query_root_fields": ["select"]}},
	     {"role": "boss", "permission": {"columns": ["id"], "filter": {}}}
	   ],
	   "insert_permissions": [
	     {"role": "reader", "permission": {"columns": ["title"], "check": {"_and": [{"id": {"_gt": 0}}, {"title": {"_neq": ""}}]}}},
	     {"role": "writer", "permission": {"columns": ["title"], "check": {"_and": [{"title": {"_neq": ""}}, {"id": {"_gt": 0}}]}}}
	   ],
	   "delete_permissions": [
	     {"role": "writer", "permission": {"filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}},
	     {"role": "explicit", "permission": {"filter": {}}}
	   ]}
	]`,
		InheritedRoles: `[
	  {"role_name": "staff", "role_set": ["reader", "writer"]},
	  {"role_name": "everyone", "role_set": ["staff", "boss"]},
	  {"role_name": "explicit", "role_set": ["writer"]}
	]`,
	}, Options{})
	if len(m.Inconsistencies) > 0 {
		t.Fatalf("inconsistencies: %+v", inconsistencies(m))
	}
	if diff := cmp.Diff(map[string][]string{"staff": {"reader", "writer"}, "everyone": {"staff", "boss"}, "explicit": {"writer"}}, m.InheritedRoles); diff != "" {
		t.Errorf("InheritedRoles (-want +got):\n%s", diff)
	}
	a := m.TableByName[qArticle]
	reader := `{"cmp":["published","_eq",[[true,"bool"]]]}`
	writer := `{"cmp":["author_id","_eq",[["$x-hasura-user-id","int4"]]]}`

	staff := a.Select["staff"]
	if got, want := exprJSON(t, staff.Filter), `{"or":[`+reader+`,`+writer+`]}`; got != want {
		t.Errorf("staff filter = %s, want %s", got, want)
	}
	cols := map[string]string{}
	for c, cond := range staff.Columns {
		cols[c] = exprJSON(t, cond)
	}
	// id and title are visible to both parents; author_id only where the
	// writer may see the row.
	if diff := cmp.Diff(map[string]string{"id": "null", "title": "null", "author_id": `{"or":[` + writer + `]}`}, cols); diff != "" {
		t.Errorf("staff columns (-want +got):\n%s", diff)
	}
	if staff.Limit != 5 || !staff.AllowAggregations || staff.QueryRootFields != nil {
		t.Errorf("staff = limit %d, aggregations %v, query root fields %v; want 5, true, nil (all)", staff.Limit, staff.AllowAggregations, staff.QueryRootFields)
	}
	if diff := cmp.Diff([]string{"x-hasura-user-id"}, staff.SessionVars); diff != "" {
		t.Errorf("staff session vars (-want +got):\n%s", diff)
	}

	// A nested inherited parent shows a column where it shows it itself:
	// everywhere its filter admits a row for id and title, only where the
	// writer may see the row for author_id.
	every := a.Select["everyone"]
	staffFilter := `{"or":[` + reader + `,` + writer + `]}`
	cols = map[string]string{}
	for c, cond := range every.Columns {
		cols[c] = exprJSON(t, cond)
	}
	if diff := cmp.Diff(map[string]string{"id": "null", "title": `{"or":[` + staffFilter + `]}`, "author_id": `{"or":[{"or":[` + writer + `]}]}`}, cols); diff != "" {
		t.Errorf("everyone columns (-want +got):\n%s", diff)
	}
	if got, want := exprJSON(t, every.Filter), `{"or":[`+staffFilter+`,{"and":[]}]}`; got != want {
		t.Errorf("everyone filter = %s, want %s", got, want)
	}

	// The insert checks are the same up to the order of _and: inherited.
	if p, ok := a.Insert["staff"]; !ok || p != a.Insert["reader"] {
		t.Errorf("staff insert = %+v, want the parents' permission", p)
	}
	// Only writer can delete: inherited as it is.
	if p, ok := a.Delete["staff"]; !ok || p != a.Delete["writer"] {
		t.Errorf("staff delete = %+v, want writer's", p)
	}
	// An explicit permission wins over the inherited one.
	if p := a.Delete["explicit"]; !boolexp.IsTrue(p.Filter) {
		t.Errorf("explicit delete filter = %s, want the explicit {}", exprJSON(t, p.Filter))
	}
	if _, ok := a.Select["explicit"]; !ok {
		t.Error("explicit has no select permission, want writer's")
	}
}

func TestBuild_Functions(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{
		Tables: `[{"table": "article", "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]},
		  {"table": {"schema": "app", "name": "profile"}}]`,
		Functions: `[
		  {"function": "search_articles"},
		  {"function": "bump_article", "permissions": [{"role": "editor"}]},
		  {"function": "one_article", "configuration": {"session_argument": "hasura_session", "custom_name": "an_article"}},
		  {"function": "unnamed_args", "configuration": {"custom_root_fields": {"function": "by_id_or_title", "function_aggregate": "by_id_or_title_agg"}}, "comment": "Finds"},
		  {"function": "bump_article", "configuration": {"exposed_as": "query"}},
		  {"function": {"schema": "app", "name": "list_profiles"}}
		]`,
		InheritedRoles: `[{"role_name": "both", "role_set": ["user", "editor"]}]`,
	}, Options{InferFunctionPermissions: true})
	if len(m.Inconsistencies) > 0 {
		t.Fatalf("inconsistencies: %+v", inconsistencies(m))
	}
	type fn struct {
		Name                          string
		FieldName, AggregateFieldName string
		ArgsTypeName                  string
		Description                   string
		Return                        string
		ReturnsSet, Mutation          bool
		SessionArg                    int
		Args                          []string
		Roles                         []string
	}
	var got []fn
	for _, f := range m.Functions {
		var args []string
		for _, a := range f.Args {
			args = append(args, a.Name+":"+a.Scalar)
		}
		got = append(got, fn{f.Name.String(), f.FieldName, f.AggregateFieldName, f.ArgsTypeName, f.Description, f.ReturnTable.Name.String(),
			f.ReturnsSet, f.Mutation, f.SessionArg, args, sortedKeys(f.Roles)})
	}
	// bump_article is listed twice: the first entry counts. Being a
	// mutation, only roles with a function permission may call it.
	want := []fn{
		{"public.search_articles", "search_articles", "search_articles_aggregate", "search_articles_args", "", "public.article", true, false, -1, []string{"search:String"}, []string{"both", "user"}},
		{"public.bump_article", "bump_article", "bump_article_aggregate", "bump_article_args", "", "public.article", true, true, -1, []string{"article_id:Int"}, []string{"both", "editor"}},
		{"public.one_article", "an_article", "an_article_aggregate", "an_article_args", "", "public.article", false, false, 1, []string{"article_id:Int"}, []string{"both", "user"}},
		{"public.unnamed_args", "by_id_or_title", "by_id_or_title_agg", "unnamed_args_args", "Finds", "public.article", true, false, -1, []string{"arg_1:Int", "arg_2:String"}, []string{"both", "user"}},
		{"app.list_profiles", "app_list_profiles", "app_list_profiles_aggregate", "app_list_profiles_args", "", "app.profile", true, false, -1, nil, []string{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}

	// A mutation function needs an explicit permission even when
	// permissions are inferred; inherited roles get their parents'.
	m = mustBuild(t, mdSource{
		Tables:         `[{"table": "article", "select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]}]`,
		Functions:      `[{"function": "bump_article", "permissions": [{"role": "editor"}]}, {"function": "search_articles"}]`,
		InheritedRoles: `[{"role_name": "both", "role_set": ["user", "editor"]}]`,
	}, Options{InferFunctionPermissions: false})
	if f := m.Functions[0]; !f.Mutation || !cmp.Equal([]string{"both", "editor"}, sortedKeys(f.Roles)) {
		t.Errorf("bump_article: mutation %v, roles %v; want true, [both editor]", f.Mutation, sortedKeys(f.Roles))
	}
	if f := m.Functions[1]; len(f.Roles) != 0 {
		t.Errorf("search_articles roles = %v without inference, want none", sortedKeys(f.Roles))
	}
}

func TestBuild_Names(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  mdSource
		opts Options
		want tableShape
	}{
		{
			name: "CustomNames",
			src: mdSource{Tables: `[{"table": "tag", "configuration": {"custom_name": "label", "comment": "",
				"custom_root_fields": {"select": "labels", "insert_one": {"name": "add_label", "comment": "Adds one"}, "delete": {"comment": "Removes"}},
				"column_config": {"name": {"custom_name": "text", "comment": "The text"}}, "custom_column_names": {"author_id": "writer_id", "name": "ignored"}}}]`},
			want: tableShape{
				TypeName: "label", BaseTypeName: "label",
				RootFields: func() RootFieldNames {
					r := defaultRootFields("label")
					r.Select, r.InsertOne = "labels", "add_label"
					r.Comments = map[string]string{"insert_one": "Adds one", "delete": "Removes"}
					return r
				}(),
				Columns: []string{"article_id:article_id Int", "author_id:writer_id Int", "name:text String # The text"},
			},
		},
		{
			name: "SourceCustomization",
			src: mdSource{Tables: `[{"table": "tag"}]`,
				Customization: `{"root_fields": {"prefix": "p_", "suffix": "_s"}, "type_names": {"prefix": "T_", "suffix": "_U"}}`},
			want: tableShape{
				TypeName: "T_tag_U", BaseTypeName: "tag", Description: `columns and relationships of "tag"`,
				RootFields: RootFieldNames{
					Select: "p_tag_s", SelectByPk: "p_tag_by_pk_s", SelectAggregate: "p_tag_aggregate_s", SelectStream: "p_tag_stream_s",
					Insert: "p_insert_tag_s", InsertOne: "p_insert_tag_one_s", Update: "p_update_tag_s", UpdateByPk: "p_update_tag_by_pk_s",
					UpdateMany: "p_update_tag_many_s", Delete: "p_delete_tag_s", DeleteByPk: "p_delete_tag_by_pk_s",
				},
				Columns: []string{"article_id:article_id Int", "author_id:author_id Int", "name:name String"},
			},
		},
		{
			name: "GraphQLDefault",
			src:  mdSource{Tables: `[{"table": {"schema": "app", "name": "profile"}}]`},
			opts: Options{NamingConvention: "graphql-default"},
			want: tableShape{
				TypeName: "AppProfile", BaseTypeName: "AppProfile", Description: `columns and relationships of "app.profile"`,
				RootFields: RootFieldNames{
					Select: "appProfile", SelectByPk: "appProfileByPk", SelectAggregate: "appProfileAggregate", SelectStream: "appProfileStream",
					Insert: "insertAppProfile", InsertOne: "insertAppProfileOne", Update: "updateAppProfile", UpdateByPk: "updateAppProfileByPk",
					UpdateMany: "updateAppProfileMany", Delete: "deleteAppProfile", DeleteByPk: "deleteAppProfileByPk",
				},
				Columns:    []string{"author_id:authorId Int!", "bio:bio String"},
				PrimaryKey: []string{"author_id"},
				Unique:     []string{"profile_pkey(author_id)"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustBuild(t, tt.src, tt.opts)
			if len(m.Inconsistencies) > 0 {
				t.Fatalf("inconsistencies: %+v", inconsistencies(m))
			}
			if diff := cmp.Diff(tt.want, shape(m.Tables[0])); diff != "" {
				t.Errorf("table (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuild_GraphQLDefaultScalars(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{Tables: `[{"table": "article_status", "is_enum": true}, {"table": "article"}]`}, Options{NamingConvention: "graphql-default"})
	a := m.TableByName[qArticle]
	var got []string
	for _, c := range a.Columns {
		got = append(got, describeColumn(c))
	}
	want := []string{
		"id:id Int! default", "author_id:authorId Int!", "editor_id:editorId Int", "title:title String!",
		"status:status ArticleStatusEnum enum=public.article_status", "published:published Boolean! default",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("columns (-want +got):\n%s", diff)
	}
}
