package schema

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/catalog"
)

// articleAuthor tracks author and article; extra is spliced into
// article's entry.
func articleAuthor(extra string) string {
	if extra != "" {
		extra = ", " + extra
	}
	return `[{"table": "author"}, {"table": "article"` + extra + `}]`
}

func TestBuild_Inconsistencies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  mdSource
		want []inconsistency
	}{
		{
			name: "TableMissing",
			src:  mdSource{Tables: `[{"table": "ghost"}, {"table": {"schema": "app", "name": "ghost"}}]`},
			want: []inconsistency{
				{`Inconsistent object: no such table/view exists in source: "ghost"`, "table ghost in source default", "table"},
				{`Inconsistent object: no such table/view exists in source: "app.ghost"`, "table app.ghost in source default", "table"},
			},
		},
		{
			name: "TableTwice",
			src:  mdSource{Tables: `[{"table": "tag"}, {"table": {"schema": "public", "name": "tag"}}]`},
			want: []inconsistency{{"Inconsistent object: duplication definition for table", "table tag in source default", "table"}},
		},
		{
			name: "TableNameNotGraphQL",
			src:  mdSource{Tables: `[{"table": "my-table"}]`},
			want: []inconsistency{{`Inconsistent object: cannot include "my-table" in the GraphQL schema because "my-table" is not a valid GraphQL identifier`, "table my-table in source default", "table"}},
		},
		{
			name: "TableCustomNameMakesItValid",
			src:  mdSource{Tables: `[{"table": "my-table", "configuration": {"custom_name": "my_table"}}]`},
		},
		{
			name: "ColumnNameNotGraphQL",
			src:  mdSource{Tables: `[{"table": "weird"}]`},
			want: []inconsistency{{`Inconsistent object: cannot include "my-col" in the GraphQL schema because "my-col" is not a valid GraphQL identifier`, "table weird in source default", "table"}},
		},
		{
			name: "ColumnCustomNameMakesItValid",
			src:  mdSource{Tables: `[{"table": "weird", "configuration": {"column_config": {"my-col": {"custom_name": "my_col"}}}}]`},
		},
		{
			name: "TypeNameNotGraphQL",
			src:  mdSource{Tables: `[{"table": "weird_type"}]`},
			want: []inconsistency{{`Inconsistent object: cannot use SQL type "my-type" in the GraphQL schema because its name is not a valid GraphQL identifier`, "table weird_type in source default", "table"}},
		},
		{
			name: "ColumnConfigForMissingColumn",
			src:  mdSource{Tables: `[{"table": "tag", "configuration": {"column_config": {"nope": {"custom_name": "x"}}}}]`},
			want: []inconsistency{{`Inconsistent object: configuration was given for the column "nope", but no such column exists`, "table tag in source default", "table"}},
		},
		{
			name: "ColumnsMappedToOneField",
			src:  mdSource{Tables: `[{"table": "tag", "configuration": {"custom_column_names": {"name": "author_id"}}}]`},
			want: []inconsistency{{`Inconsistent object: the definitions of columns "author_id" and "name" are in conflict: they are mapped to the same field name, "author_id"`, "table tag in source default", "table"}},
		},
		{
			name: "EnumSeveralReasons",
			src:  mdSource{Tables: `[{"table": "bad_enum", "is_enum": true}]`},
			want: []inconsistency{{"Inconsistent object: the table \"bad_enum\" cannot be used as an enum for the following reasons:\n" +
				"  • the table’s primary key (\"id\") must have type \"text\", not type \"integer\"\n" +
				"  • the table must have exactly one primary key and optionally one comment column, not 3 columns (extra, id, label)\n",
				"table bad_enum in source default", "table"}},
		},
		{
			name: "EnumVarcharKey",
			src:  mdSource{Tables: `[{"table": "varchar_enum", "is_enum": true}]`},
			// With the key refused, the key column also counts as the comment
			// column (fetchAndValidateEnumValues tolerates the first error).
			want: []inconsistency{{"Inconsistent object: the table \"varchar_enum\" cannot be used as an enum for the following reasons:\n" +
				"  • the table’s primary key (\"value\") must have type \"text\", not type \"varchar\"\n" +
				"  • the table’s comment column (\"value\") must have type \"text\", not type \"varchar\"\n",
				"table varchar_enum in source default", "table"}},
		},
		{
			name: "EnumNoRows",
			src: mdSource{Tables: `[{"table": "article_status", "is_enum": true}]`,
				EnumValues: map[catalog.QualifiedName][]EnumValue{}},
			want: []inconsistency{{`Inconsistent object: the table "article_status" cannot be used as an enum because the table must have at least one row`, "table article_status in source default", "table"}},
		},
		{
			name: "EnumBadValues",
			src: mdSource{Tables: `[{"table": "article_status", "is_enum": true}]`,
				EnumValues: map[catalog.QualifiedName][]EnumValue{{Schema: "public", Name: "article_status"}: {{Value: "ok"}, {Value: "not ok"}, {Value: "true"}, {Value: "1st"}}}},
			want: []inconsistency{{`Inconsistent object: the table "article_status" cannot be used as an enum because the values 1st, not ok, and "true" are not valid GraphQL enum value names`, "table article_status in source default", "table"}},
		},
		{
			name: "RelationshipNoForeignKey",
			src:  mdSource{Tables: articleAuthor(`"object_relationships": [{"name": "x", "using": {"foreign_key_constraint_on": "title"}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in relationship "x": no foreign constraint exists on the given column(s)`, "object_relation x in table article in source default", "object_relation"}},
		},
		{
			name: "RelationshipRemoteTableUntracked",
			src:  mdSource{Tables: `[{"table": "author", "array_relationships": [{"name": "u", "using": {"foreign_key_constraint_on": {"table": "untracked", "column": "author_id"}}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in relationship "u": table "untracked" does not exist in source: default`, "array_relation u in table author in source default", "array_relation"}},
		},
		{
			name: "RelationshipTargetUntracked",
			src:  mdSource{Tables: `[{"table": "article", "object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}]}]`},
			want: []inconsistency{{`Inconsistent object: table "author" is not tracked`, "object_relation author in table article in source default", "object_relation"}},
		},
		{
			name: "RelationshipManualBadColumn",
			src:  mdSource{Tables: articleAuthor(`"object_relationships": [{"name": "w", "using": {"manual_configuration": {"remote_table": "author", "column_mapping": {"author_id": "nope"}}}}]`)},
			want: []inconsistency{{`Inconsistent object: table "author" has no field named "nope"`, "object_relation w in table article in source default", "object_relation"}},
		},
		{
			name: "RelationshipNamedLikeColumn",
			src:  mdSource{Tables: articleAuthor(`"object_relationships": [{"name": "title", "using": {"foreign_key_constraint_on": "author_id"}}]`)},
			want: []inconsistency{{`Inconsistent object: field definition conflicts with postgres column`, "object_relation title in table article in source default", "object_relation"}},
		},
		{
			name: "RelationshipNamedLikeCustomColumn",
			src: mdSource{Tables: articleAuthor(`"configuration": {"column_config": {"title": {"custom_name": "heading"}}},
				"object_relationships": [{"name": "heading", "using": {"foreign_key_constraint_on": "author_id"}}]`)},
			want: []inconsistency{{`Inconsistent object: field definition conflicts with custom field name for postgres column "title"`, "object_relation heading in table article in source default", "object_relation"}},
		},
		{
			name: "RelationshipAndComputedFieldSameName",
			src: mdSource{Tables: articleAuthor(`"object_relationships": [{"name": "t", "using": {"foreign_key_constraint_on": "author_id"}}],
				"computed_fields": [{"name": "t", "definition": {"function": "article_title"}}]`)},
			want: []inconsistency{{Reason: `Conflicting objects: conflicting definitions for field "t"`}},
		},
		{
			name: "ComputedFieldFunctionMissing",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "nope"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": no such function exists: "nope"`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldOverloaded",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "overloaded"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": function "overloaded" is overloaded. Overloaded functions are not supported`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldVolatile",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "author_volatile"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": the computed field "cf" cannot be added to table "author" because the function "author_volatile" is of type VOLATILE; cannot be added as a computed field`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldOtherTable",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "article_title"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": the computed field "cf" cannot be added to table "author" because first argument of the function "article_title" of type "article" is not the table to which the computed field is being added`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldNotBaseType",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "author_interval"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": the computed field "cf" cannot be added to table "author" because the function "author_interval" returning type interval is not a BASE type`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldSessionNotJSON",
			src:  mdSource{Tables: `[{"table": "article"}, {"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "author_search", "session_argument": "q"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": the computed field "cf" cannot be added to table "author" because "q" argument of the function "author_search" is not of type JSON`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldNoSuchTableArgument",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "author_full_name", "table_argument": "zz"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": the computed field "cf" cannot be added to table "author" because "zz" is not an input argument of the function "author_full_name"`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "ComputedFieldReturnsUntrackedTable",
			src:  mdSource{Tables: `[{"table": "author", "computed_fields": [{"name": "cf", "definition": {"function": "author_articles"}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in computed field "cf": the computed field "cf" cannot be added to table "author" because the function "author_articles" returning set of table "article" is not tracked or not found in database`, "computed_field cf in table author in source default", "computed_field"}},
		},
		{
			name: "PermissionUnknownColumn",
			src:  mdSource{Tables: articleAuthor(`"select_permissions": [{"role": "user", "permission": {"columns": ["id", "nope"], "filter": {}}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in permission for role "user": column "nope" does not exist`, "select_permission user in table article in source default", "select_permission"}},
		},
		{
			name: "PermissionColumnIsRelationship",
			src: mdSource{Tables: articleAuthor(`"object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
				"select_permissions": [{"role": "user", "permission": {"columns": ["author"], "filter": {}}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in permission for role "user": expecting a database column; but, "author" is a relationship; permissions for relationships are automatically inferred`, "select_permission user in table article in source default", "select_permission"}},
		},
		{
			name: "PermissionFilterUnknownColumn",
			src:  mdSource{Tables: articleAuthor(`"delete_permissions": [{"role": "user", "permission": {"filter": {"nope": {"_eq": 1}}}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in permission for role "user": "nope" does not exist`, "delete_permission user in table article in source default", "delete_permission"}},
		},
		{
			name: "PermissionForAdmin",
			src:  mdSource{Tables: articleAuthor(`"insert_permissions": [{"role": "admin", "permission": {"columns": "*", "check": {}}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in permission for role "admin": cannot define permission for admin role`, "insert_permission admin in table article in source default", "insert_permission"}},
		},
		{
			name: "PermissionPresetUnknownColumn",
			src:  mdSource{Tables: articleAuthor(`"update_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}, "set": {"nope": 1}}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in permission for role "user": column "nope" does not exist`, "update_permission user in table article in source default", "update_permission"}},
		},
		{
			name: "PermissionNegativeLimit",
			src:  mdSource{Tables: articleAuthor(`"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}, "limit": -1}}]`)},
			want: []inconsistency{{`Inconsistent object: in table "article": in permission for role "user": unexpected negative value`, "select_permission user in table article in source default", "select_permission"}},
		},
		{
			name: "PermissionSetReturningComputedField",
			src: mdSource{Tables: `[{"table": "article"}, {"table": "author",
				"computed_fields": [{"name": "all_articles", "definition": {"function": "author_articles", "session_argument": "hasura_session"}}],
				"select_permissions": [{"role": "user", "permission": {"columns": "*", "computed_fields": ["all_articles"], "filter": {}}}]}]`},
			want: []inconsistency{{`Inconsistent object: in table "author": in permission for role "user": select permissions on computed field "all_articles" are auto-derived from the permissions on its returning table "article" and cannot be specified manually`, "select_permission user in table author in source default", "select_permission"}},
		},
		{
			// Note [permissions on lost relationships]
			name: "PermissionThroughRelationshipToUntrackedTable",
			src: mdSource{Tables: `[{"table": "article",
				"object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
				"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"author": {"id": {"_eq": "X-Hasura-User-Id"}}}}}]}]`},
			want: []inconsistency{
				{`Inconsistent object: table "author" is not tracked`, "object_relation author in table article in source default", "object_relation"},
				{`Inconsistent object: in table "article": in permission for role "user": table "author" does not exist`, "select_permission user in table article in source default", "select_permission"},
			},
		},
		{
			name: "PermissionThroughLostRelationship",
			src: mdSource{Tables: articleAuthor(`"object_relationships": [{"name": "w", "using": {"manual_configuration": {"remote_table": "author", "column_mapping": {"author_id": "nope"}}}}],
				"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {"w": {}}}}]`)},
			want: []inconsistency{
				{`Inconsistent object: table "author" has no field named "nope"`, "object_relation w in table article in source default", "object_relation"},
				{`Inconsistent object: table "article" has no field named "w"`, "select_permission user in table article in source default", "select_permission"},
			},
		},
		{
			name: "FunctionMissing",
			src:  mdSource{Tables: articleAuthor(""), Functions: `[{"function": "nope"}]`},
			want: []inconsistency{{`Inconsistent object: in function "nope": no such function exists: "nope"`, "function nope in source default", "function"}},
		},
		{
			name: "FunctionReturnsScalar",
			src:  mdSource{Tables: articleAuthor(""), Functions: `[{"function": "article_count"}]`},
			want: []inconsistency{{"Inconsistent object: in function \"article_count\": the function \"article_count\" cannot be tracked for the following reasons:\n" +
				"  • the function does not return a \"COMPOSITE\" type\n  • the function does not return a table\n", "function article_count in source default", "function"}},
		},
		{
			// hasura-tests queries/graphql_mutation/functions/smoke_errs.yaml
			name: "FunctionStableAsMutation",
			src:  mdSource{Tables: articleAuthor(""), Functions: `[{"function": "search_articles", "configuration": {"exposed_as": "mutation"}}]`},
			want: []inconsistency{{`Inconsistent object: in function "search_articles": the function "search_articles" cannot be tracked because the function was requested to be exposed as a mutation, but is not marked VOLATILE. Maybe the function was given the wrong volatility when it was defined?`, "function search_articles in source default", "function"}},
		},
		{
			name: "FunctionSessionArgumentNotJSON",
			src:  mdSource{Tables: articleAuthor(""), Functions: `[{"function": "jsonb_session", "configuration": {"session_argument": "s"}}]`},
			want: []inconsistency{{`Inconsistent object: in function "jsonb_session": the function "jsonb_session" cannot be tracked because given session argument "s" is not of type json`, "function jsonb_session in source default", "function"}},
		},
		{
			name: "FunctionSessionArgumentMissing",
			src:  mdSource{Tables: articleAuthor(""), Functions: `[{"function": "search_articles", "configuration": {"session_argument": "s"}}]`},
			want: []inconsistency{{`Inconsistent object: in function "search_articles": the function "search_articles" cannot be tracked because given session argument "s" not the input argument of the function`, "function search_articles in source default", "function"}},
		},
		{
			name: "FunctionReturnsUntrackedTable",
			src:  mdSource{Tables: articleAuthor(""), Functions: `[{"function": "untracked_rows"}]`},
			want: []inconsistency{{`Inconsistent object: table "untracked" is not tracked`, "function untracked_rows in source default", "function"}},
		},
		{
			name: "InheritedRoleMissingParents",
			src: mdSource{Tables: articleAuthor(`"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]`),
				InheritedRoles: `[{"role_name": "both", "role_set": ["user", "zed", "guest"]}, {"role_name": "child", "role_set": ["both"]}]`},
			want: []inconsistency{
				{`Inconsistent object: the following parent role(s) are not found: guest, zed which are required to construct the inherited role: "both"`, "inherited_role inherited role both", "inherited_role"},
				{`Inconsistent object: parent role "both" does not exist`, "inherited_role inherited role child", "inherited_role"},
			},
		},
		{
			name: "InheritedRoleCycle",
			src: mdSource{Tables: articleAuthor(`"select_permissions": [{"role": "user", "permission": {"columns": "*", "filter": {}}}]`),
				InheritedRoles: `[{"role_name": "a", "role_set": ["user", "b"]}, {"role_name": "b", "role_set": ["a"]}]`},
			want: []inconsistency{
				{`Inconsistent object: found cycle(s) in roles: ["a","b","a"]`, "inherited_role inherited role a", "inherited_role"},
				{`Inconsistent object: found cycle(s) in roles: ["a","b","a"]`, "inherited_role inherited role b", "inherited_role"},
			},
		},
		{
			// hasura-tests queries/graphql_mutation/roles_inheritance/resolve_inconsistent_permission.yaml
			name: "InheritedRoleConflictingUpdate",
			src: mdSource{Tables: articleAuthor(`"update_permissions": [
				{"role": "author", "permission": {"columns": ["title"], "filter": {"author_id": "X-Hasura-User-Id"}}},
				{"role": "editor", "permission": {"columns": ["title"], "filter": {"editor_id": "X-Hasura-User-Id"}}}]`),
				InheritedRoles: `[{"role_name": "author_editor", "role_set": ["author", "editor"]}]`},
			want: []inconsistency{{`Could not inherit permission for the role 'author_editor' for the entity: 'update permission, table: article, source: 'default''`, "author_editor", "inherited role permission inconsistency"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := mustBuild(t, tt.src, Options{})
			if diff := cmp.Diff(tt.want, inconsistencies(m)); diff != "" {
				t.Errorf("inconsistencies (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBuild_InconsistencyDefinitions checks the definition reported with
// each kind of object, as Hasura's get_inconsistent_metadata shows it.
func TestBuild_InconsistencyDefinitions(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{
		Tables: `[{"table": "ghost"}, {"table": "article",
			"object_relationships": [{"name": "author", "using": {"foreign_key_constraint_on": "author_id"}}],
			"computed_fields": [{"name": "cf", "definition": {"function": "nope"}}],
			"select_permissions": [{"role": "user", "permission": {"columns": ["nope"], "filter": {}}}]}]`,
		Functions:      `[{"function": "nope"}]`,
		InheritedRoles: `[{"role_name": "r", "role_set": ["x"]}]`,
	}, Options{})
	got := map[string]any{}
	for _, inc := range m.Inconsistencies {
		var d any
		if err := json.Unmarshal(inc.Definition, &d); err != nil {
			t.Fatalf("definition of %s: %v", inc.Name, err)
		}
		got[inc.Type] = d
	}
	want := map[string]any{
		"table":           map[string]any{"schema": "public", "name": "ghost"},
		"object_relation": map[string]any{"source": "default", "table": map[string]any{"schema": "public", "name": "article"}, "name": "author", "using": map[string]any{"foreign_key_constraint_on": "author_id"}},
		"computed_field":  map[string]any{"source": "default", "table": map[string]any{"schema": "public", "name": "article"}, "name": "cf", "definition": map[string]any{"function": map[string]any{"schema": "public", "name": "nope"}}, "comment": nil},
		"select_permission": map[string]any{"source": "default", "table": map[string]any{"schema": "public", "name": "article"}, "role": "user", "comment": nil,
			"permission": map[string]any{"columns": []any{"nope"}, "filter": map[string]any{}}},
		"function":       map[string]any{"schema": "public", "name": "nope"},
		"inherited_role": map[string]any{"role_name": "r", "role_set": []any{"x"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("definitions (-want +got):\n%s", diff)
	}
}
