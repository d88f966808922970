package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/pgtest"
)

// buildSchemaSQL is the database every Build test resolves metadata
// against; each test tracks the part it needs.
const buildSchemaSQL = `
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA app;
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN email AS text;
CREATE TYPE address AS (street text, zip int);
CREATE TYPE "my-type" AS ENUM ('a');

CREATE TABLE article_status (value text PRIMARY KEY, comment text);
COMMENT ON TABLE article_status IS 'Article states';
CREATE TABLE bad_enum (id int PRIMARY KEY, label varchar, extra text);
CREATE TABLE varchar_enum (value varchar PRIMARY KEY);
CREATE TABLE two_key_enum (a text, b text, PRIMARY KEY (a, b));
CREATE TABLE author (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email email UNIQUE,
  bio citext,
  age int2,
  score float8,
  rating float4,
  balance numeric,
  big int8,
  active bool NOT NULL DEFAULT true,
  code char(3),
  data jsonb,
  raw json,
  uid uuid,
  born date,
  created_at timestamptz NOT NULL DEFAULT now(),
  wake time,
  span interval,
  tags text[],
  feeling mood,
  home address,
  geom geometry,
  path ltree,
  cash money
);
COMMENT ON COLUMN author.name IS 'Full name';
CREATE TABLE article (
  id serial PRIMARY KEY,
  author_id int NOT NULL REFERENCES author (id),
  editor_id int REFERENCES author (id),
  title text NOT NULL,
  status text REFERENCES article_status (value),
  published bool NOT NULL DEFAULT false,
  CONSTRAINT article_title_key UNIQUE (title)
);
CREATE TABLE app.profile (author_id int PRIMARY KEY REFERENCES author (id), bio text);
CREATE TABLE untracked (id int PRIMARY KEY, author_id int REFERENCES author (id));
CREATE TABLE "my-table" (id int PRIMARY KEY);
CREATE TABLE weird ("my-col" int);
CREATE TABLE weird_type (x "my-type");
CREATE TABLE tag (
  article_id int REFERENCES article (id),
  author_id int REFERENCES author (id),
  name text
);
CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE pair_ref (id int PRIMARY KEY, a int, b int, FOREIGN KEY (a, b) REFERENCES pair (a, b));

CREATE FUNCTION author_full_name(a author) RETURNS text STABLE LANGUAGE sql AS $$ SELECT a.name $$;
COMMENT ON FUNCTION author_full_name(author) IS 'Name in full';
CREATE FUNCTION author_articles(a author, hasura_session json) RETURNS SETOF article STABLE LANGUAGE sql
  AS $$ SELECT * FROM article WHERE author_id = a.id $$;
CREATE FUNCTION author_search(a author, q text, lim int DEFAULT 10) RETURNS SETOF article STABLE LANGUAGE sql
  AS $$ SELECT * FROM article WHERE author_id = a.id AND title LIKE q LIMIT lim $$;
CREATE FUNCTION author_volatile(a author) RETURNS text VOLATILE LANGUAGE sql AS $$ SELECT a.name $$;
CREATE FUNCTION author_interval(a author) RETURNS interval STABLE LANGUAGE sql AS $$ SELECT interval '1 day' $$;
CREATE FUNCTION article_title(x article) RETURNS text STABLE LANGUAGE sql AS $$ SELECT x.title $$;
CREATE FUNCTION search_articles(search text) RETURNS SETOF article STABLE LANGUAGE sql
  AS $$ SELECT * FROM article WHERE title ILIKE search $$;
CREATE FUNCTION bump_article(article_id int) RETURNS SETOF article VOLATILE LANGUAGE sql
  AS $$ UPDATE article SET published = true WHERE id = article_id RETURNING * $$;
CREATE FUNCTION one_article(article_id int, hasura_session json) RETURNS article STABLE LANGUAGE sql
  AS $$ SELECT * FROM article WHERE id = article_id $$;
CREATE FUNCTION unnamed_args(int, text) RETURNS SETOF article STABLE LANGUAGE sql
  AS $$ SELECT * FROM article WHERE id = $1 OR title = $2 $$;
CREATE FUNCTION article_count() RETURNS int STABLE LANGUAGE sql AS $$ SELECT count(*)::int FROM article $$;
CREATE FUNCTION overloaded(x int) RETURNS SETOF article STABLE LANGUAGE sql AS $$ SELECT * FROM article $$;
CREATE FUNCTION overloaded(x text) RETURNS SETOF article STABLE LANGUAGE sql AS $$ SELECT * FROM article $$;
CREATE FUNCTION untracked_rows() RETURNS SETOF untracked STABLE LANGUAGE sql AS $$ SELECT * FROM untracked $$;
CREATE FUNCTION jsonb_session(s jsonb) RETURNS SETOF article STABLE LANGUAGE sql AS $$ SELECT * FROM article $$;
CREATE FUNCTION app.list_profiles() RETURNS SETOF app.profile STABLE LANGUAGE sql AS $$ SELECT * FROM app.profile $$;
`

var (
	catalogOnce sync.Once
	testCatalog *catalog.Catalog
	catalogErr  error
)

// mustCatalog introspects buildSchemaSQL once per test binary.
func mustCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	catalogOnce.Do(func() {
		db := pgtest.New(t, buildSchemaSQL)
		testCatalog, catalogErr = catalog.Introspect(context.Background(), db.Pool)
	})
	if catalogErr != nil {
		t.Fatalf("Introspect: %v", catalogErr)
	}
	return testCatalog
}

// mdSource is the metadata of the default source in tests.
type mdSource struct {
	Tables         string // JSON list of tables
	Functions      string // JSON list of functions
	InheritedRoles string // JSON list of inherited roles
	Customization  string // JSON object
	// EnumValues replaces the enum table rows when set.
	EnumValues map[catalog.QualifiedName][]EnumValue
}

func (s mdSource) metadata(t testing.TB) *metadata.Metadata {
	t.Helper()
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	doc := fmt.Sprintf(`{"version": 3, "sources": [{"name": "default", "kind": "postgres", "configuration": {},
		"tables": %s, "functions": %s, "customization": %s}], "inherited_roles": %s}`,
		or(s.Tables, "[]"), or(s.Functions, "[]"), or(s.Customization, "null"), or(s.InheritedRoles, "[]"))
	var md metadata.Metadata
	if err := json.Unmarshal([]byte(doc), &md); err != nil {
		t.Fatalf("metadata: %v\n%s", err, doc)
	}
	return &md
}

var statusValues = map[catalog.QualifiedName][]EnumValue{
	{Schema: "public", Name: "article_status"}: {{Value: "draft", Comment: "Not yet out"}, {Value: "published"}},
	{Schema: "public", Name: "bad_enum"}:       {{Value: "x"}},
}

// mustBuild builds the model of s against the test database.
func mustBuild(t testing.TB, s mdSource, opts Options) *Model {
	t.Helper()
	ev := statusValues
	if s.EnumValues != nil {
		ev = s.EnumValues
	}
	return Build(Input{Metadata: s.metadata(t), Source: "default", Catalog: mustCatalog(t), EnumValues: ev, Options: opts})
}

// inconsistency is the part of a metadata.Inconsistency tests compare.
type inconsistency struct {
	Reason, Name, Type string
}

func inconsistencies(m *Model) []inconsistency {
	var out []inconsistency
	for _, inc := range m.Inconsistencies {
		out = append(out, inconsistency{inc.Reason, inc.Name, inc.Type})
	}
	return out
}

// describeColumn is a column as tests compare it.
func describeColumn(c *Column) string {
	s := fmt.Sprintf("%s:%s %s%s", c.Name, c.Field, strings.Repeat("[", c.List), c.Scalar)
	if !c.Nullable {
		s += "!"
	}
	if c.HasDefault {
		s += " default"
	}
	if c.EnumTable != nil {
		s += " enum=" + c.EnumTable.Name.String()
	}
	if c.Description != "" {
		s += " # " + c.Description
	}
	return s
}

func describeRel(r *Relationship) string {
	kind := "object"
	if r.Kind == ArrayRel {
		kind = "array"
	}
	var m []string
	for _, p := range r.Mapping {
		m = append(m, p.Local+"->"+p.Remote)
	}
	s := fmt.Sprintf("%s %s %s (%s)", kind, r.Name, r.Target.Name, strings.Join(m, ","))
	if r.Nullable {
		s += " nullable"
	}
	if r.InsertionOrder != "" {
		s += " " + r.InsertionOrder
	}
	return s
}

func describeCF(c *ComputedField) string {
	var args []string
	for _, a := range c.Args {
		s := fmt.Sprintf("%s:%s@%d", a.Name, a.Scalar, a.Index)
		if a.HasDefault {
			s += "=default"
		}
		args = append(args, s)
	}
	ret := c.Scalar
	if c.ReturnTable != nil {
		ret = "rows of " + c.ReturnTable.Name.String()
	}
	return fmt.Sprintf("%s(%s) table=%d session=%d -> %s # %s", c.Name, strings.Join(args, ", "), c.TableArg, c.SessionArg, ret, c.Description)
}

// tableShape is a table as tests compare it.
type tableShape struct {
	TypeName, BaseTypeName string
	Description            string
	RootFields             RootFieldNames
	Columns                []string
	PrimaryKey             []string
	Unique                 []string
	Relationships          []string
	ComputedFields         []string
	EnumValues             []EnumValue
}

func shape(t *Table) tableShape {
	s := tableShape{TypeName: t.TypeName, BaseTypeName: t.BaseTypeName, Description: t.Description, RootFields: t.RootFields, EnumValues: t.EnumValues}
	for _, c := range t.Columns {
		s.Columns = append(s.Columns, describeColumn(c))
	}
	for _, c := range t.PrimaryKey {
		s.PrimaryKey = append(s.PrimaryKey, c.Name)
	}
	for _, u := range t.UniqueConstraints {
		s.Unique = append(s.Unique, u.Name+"("+strings.Join(u.Columns, ",")+")")
	}
	for _, r := range t.ObjectRelationships {
		s.Relationships = append(s.Relationships, describeRel(r))
	}
	for _, r := range t.ArrayRelationships {
		s.Relationships = append(s.Relationships, describeRel(r))
	}
	for _, c := range t.ComputedFields {
		s.ComputedFields = append(s.ComputedFields, describeCF(c))
	}
	return s
}

func defaultRootFields(name string) RootFieldNames {
	return RootFieldNames{
		Select: name, SelectByPk: name + "_by_pk", SelectAggregate: name + "_aggregate", SelectStream: name + "_stream",
		Insert: "insert_" + name, InsertOne: "insert_" + name + "_one",
		Update: "update_" + name, UpdateByPk: "update_" + name + "_by_pk", UpdateMany: "update_" + name + "_many",
		Delete: "delete_" + name, DeleteByPk: "delete_" + name + "_by_pk",
	}
}

const blogTables = `[
  {"table": {"schema": "public", "name": "article_status"}, "is_enum": true},
  {"table": {"schema": "public", "name": "author"},
   "array_relationships": [
     {"name": "articles", "using": {"foreign_key_constraint_on": {"table": "article", "column": "author_id"}}},
     {"name": "tag_rows", "using": {"manual_configuration": {"remote_table": "tag", "column_mapping": {"id": "author_id"}}}}
   ],
   "object_relationships": [
     {"name": "profile", "using": {"foreign_key_constraint_on": {"table": {"schema": "app", "name": "profile"}, "columns": ["author_id"]}}}
   ],
   "computed_fields": [
     {"name": "full_name", "definition": {"function": "author_full_name"}},
     {"name": "all_articles", "definition": {"function": "author_articles", "table_argument": "a", "session_argument": "hasura_session"}, "comment": "Every article"},
     {"name": "search", "definition": {"function": "author_search"}}
   ]},
  {"table": {"schema": "public", "name": "article"},
   "object_relationships": [
     {"name": "author", "using": {"foreign_key_constraint_on": "author_id"}},
     {"name": "editor", "using": {"foreign_key_constraint_on": ["editor_id"]}, "comment": "Who edits"},
     {"name": "writer", "using": {"manual_configuration": {"remote_table": "author", "column_mapping": {"author_id": "id"}, "insertion_order": "after_parent"}}}
   ]},
  {"table": {"schema": "app", "name": "profile"}},
  {"table": "tag"}
]`

func TestBuild_Tables(t *testing.T) {
	t.Parallel()
	m := mustBuild(t, mdSource{Tables: blogTables}, Options{})
	if diff := cmp.Diff([]inconsistency(nil), inconsistencies(m)); diff != "" {
		t.Fatalf("inconsistencies (-want +got):\n%s", diff)
	}
	var names []string
	for _, tb := range m.Tables {
		names = append(names, tb.Name.String())
	}
	if diff := cmp.Diff([]string{"public.article_status", "public.author", "public.article", "app.profile", "public.tag"}, names); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	want := map[string]tableShape{
		"public.article_status": {
			TypeName: "article_status", BaseTypeName: "article_status", Description: "Article states",
			RootFields: defaultRootFields("article_status"),
			Columns:    []string{"value:value String!", "comment:comment String"},
			PrimaryKey: []string{"value"},
			Unique:     []string{"article_status_pkey(value)"},
			EnumValues: []EnumValue{{Value: "draft", Comment: "Not yet out"}, {Value: "published"}},
		},
		"public.author": {
			TypeName: "author", BaseTypeName: "author", Description: `columns and relationships of "author"`,
			RootFields: defaultRootFields("author"),
			Columns: []string{
				"id:id Int! default", "name:name String! # Full name", "email:email String", "bio:bio citext",
				"age:age smallint", "score:score float8", "rating:rating Float", "balance:balance numeric",
				"big:big bigint", "active:active Boolean! default", "code:code bpchar", "data:data jsonb",
				"raw:raw json", "uid:uid uuid", "born:born date", "created_at:created_at timestamptz! default",
				"wake:wake time", "span:span interval", "tags:tags [String", "feeling:feeling mood",
				"home:home address", "geom:geom geometry", "path:path ltree", "cash:cash money",
			},
			PrimaryKey: []string{"id"},
			Unique:     []string{"author_pkey(id)", "author_email_key(email)"},
			Relationships: []string{
				"object profile app.profile (id->author_id) nullable after_parent",
				"array articles public.article (id->author_id) nullable after_parent",
				"array tag_rows public.tag (id->author_id) nullable after_parent",
			},
			ComputedFields: []string{
				`full_name() table=0 session=-1 -> String # Name in full`,
				`all_articles() table=0 session=1 -> rows of public.article # Every article`,
				`search(q:String@1, lim:Int@2=default) table=0 session=-1 -> rows of public.article # A computed field, executes function "author_search"`,
			},
		},
		"public.article": {
			TypeName: "article", BaseTypeName: "article", Description: `columns and relationships of "article"`,
			RootFields: defaultRootFields("article"),
			Columns: []string{
				"id:id Int! default", "author_id:author_id Int!", "editor_id:editor_id Int", "title:title String!",
				"status:status article_status_enum enum=public.article_status", "published:published Boolean! default",
			},
			PrimaryKey: []string{"id"},
			Unique:     []string{"article_pkey(id)", "article_title_key(title)"},
			Relationships: []string{
				"object author public.author (author_id->id) before_parent",
				"object editor public.author (editor_id->id) nullable before_parent",
				"object writer public.author (author_id->id) nullable after_parent",
			},
		},
		"app.profile": {
			TypeName: "app_profile", BaseTypeName: "app_profile", Description: `columns and relationships of "app.profile"`,
			RootFields: defaultRootFields("app_profile"),
			Columns:    []string{"author_id:author_id Int!", "bio:bio String"},
			PrimaryKey: []string{"author_id"},
			Unique:     []string{"profile_pkey(author_id)"},
		},
		"public.tag": {
			TypeName: "tag", BaseTypeName: "tag", Description: `columns and relationships of "tag"`,
			RootFields: defaultRootFields("tag"),
			Columns:    []string{"article_id:article_id Int", "author_id:author_id Int", "name:name String"},
		},
	}
	for _, tb := range m.Tables {
		if diff := cmp.Diff(want[tb.Name.String()], shape(tb)); diff != "" {
			t.Errorf("table %s (-want +got):\n%s", tb.Name, diff)
		}
	}
	// Lookups work on the built model.
	a := m.TableByName[catalog.QualifiedName{Schema: "public", Name: "article"}]
	if r, ok := a.Relationship("editor"); !ok || r.Description != "Who edits" || r.Target != m.TableByName[catalog.QualifiedName{Schema: "public", Name: "author"}] {
		t.Errorf("article.editor = %+v, %v", r, ok)
	}
	if c, ok := a.ColumnByField("title"); !ok || c.Name != "title" {
		t.Errorf("ColumnByField(title) = %+v, %v", c, ok)
	}
	if p, ok := a.SelectPermission("admin"); !ok || len(p.Columns) != 6 || !p.AllowAggregations {
		t.Errorf("admin select permission = %+v, %v", p, ok)
	}
	au := m.TableByName[catalog.QualifiedName{Schema: "public", Name: "author"}]
	admin, _ := au.SelectPermission("admin")
	if diff := cmp.Diff(map[string]bool{"full_name": true}, keySet(admin.ComputedFields)); diff != "" {
		t.Errorf("admin computed fields (-want +got):\n%s", diff)
	}
}

func keySet[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
