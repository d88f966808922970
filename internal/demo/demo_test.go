package demo

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

func TestSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t, "")
	ctx := context.Background()
	for i := 0; i < 2; i++ { // the second run must change nothing
		if _, err := db.Pool.Exec(ctx, SQL); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
	}
	var got []string
	for _, table := range []string{"author", "article", "tag", "article_tag"} {
		var n int
		if err := db.Pool.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&n); err != nil {
			t.Fatal(err)
		}
		got = append(got, table+":"+strconv.Itoa(n))
	}
	if diff := cmp.Diff([]string{"author:4", "article:9", "tag:5", "article_tag:15"}, got); diff != "" {
		t.Errorf("row counts (-want +got):\n%s", diff)
	}

	// Rows inserted later get fresh ids: the sequences were not bypassed.
	var id int
	if err := db.Pool.QueryRow(ctx, "INSERT INTO author (name) VALUES ('Barbara Liskov') RETURNING id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 5 {
		t.Errorf("next author id = %d, want 5", id)
	}
	// A changed data set is left alone.
	if _, err := db.Pool.Exec(ctx, "DELETE FROM article_tag; DELETE FROM article"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(ctx, SQL); err != nil {
		t.Fatal(err)
	}
	var articles int
	db.Pool.QueryRow(ctx, "SELECT count(*) FROM article").Scan(&articles)
	if articles != 0 {
		t.Errorf("SQL refilled a changed data set: %d articles", articles)
	}
}

// call is one metadata API call of the bulk.
type call struct {
	Type string `json:"type"`
	Args struct {
		Source string `json:"source"`
		Table  struct {
			Schema string `json:"schema"`
			Name   string `json:"name"`
		} `json:"table"`
		Name       string          `json:"name"`
		Role       string          `json:"role"`
		Using      json.RawMessage `json:"using"`
		Permission struct {
			Columns []string       `json:"columns"`
			Filter  map[string]any `json:"filter"`
			Check   map[string]any `json:"check"`
			Set     map[string]any `json:"set"`
		} `json:"permission"`
	} `json:"args"`
}

func decodeMetadata(t *testing.T) []call {
	t.Helper()
	var body struct {
		Type string `json:"type"`
		Args []call `json:"args"`
	}
	dec := json.NewDecoder(strings.NewReader(string(Metadata())))
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("metadata is not JSON: %v", err)
	}
	if body.Type != "bulk" {
		t.Fatalf("type = %q, want bulk", body.Type)
	}
	return body.Args
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	calls := decodeMetadata(t)
	var got []string
	for _, c := range calls {
		if c.Args.Source != "default" || c.Args.Table.Schema != "public" {
			t.Errorf("%s on %+v: want source default, schema public", c.Type, c.Args.Table)
		}
		s := c.Type + " " + c.Args.Table.Name
		if c.Args.Name != "" {
			s += "." + c.Args.Name
		}
		if c.Args.Role != "" {
			s += " " + c.Args.Role
		}
		got = append(got, s)
	}
	want := []string{
		"pg_track_table author",
		"pg_track_table article",
		"pg_track_table tag",
		"pg_track_table article_tag",
		"pg_create_object_relationship article.author",
		"pg_create_array_relationship author.articles",
		"pg_create_array_relationship article.article_tags",
		"pg_create_object_relationship article_tag.article",
		"pg_create_object_relationship article_tag.tag",
		"pg_create_array_relationship tag.article_tags",
		"pg_create_select_permission author anonymous",
		"pg_create_select_permission article anonymous",
		"pg_create_select_permission tag anonymous",
		"pg_create_select_permission article_tag anonymous",
		"pg_create_select_permission author user",
		"pg_create_select_permission article user",
		"pg_create_select_permission tag user",
		"pg_create_select_permission article_tag user",
		"pg_create_insert_permission author user",
		"pg_create_update_permission author user",
		"pg_create_insert_permission article user",
		"pg_create_update_permission article user",
		"pg_create_delete_permission article user",
		"pg_create_insert_permission article_tag user",
		"pg_create_delete_permission article_tag user",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata calls (-want +got):\n%s", diff)
	}

	me := map[string]any{"_eq": "X-Hasura-User-Id"}
	own := map[string]any{"author": map[string]any{"user_id": me}}
	for _, c := range calls {
		if c.Args.Role != "user" || c.Type == "pg_create_select_permission" {
			continue
		}
		p := c.Args.Permission
		switch c.Args.Table.Name + " " + c.Type {
		case "author pg_create_insert_permission":
			if diff := cmp.Diff(map[string]any{"user_id": "X-Hasura-User-Id"}, p.Set); diff != "" {
				t.Errorf("author insert set (-want +got):\n%s", diff)
			}
		case "author pg_create_update_permission":
			if diff := cmp.Diff(map[string]any{"user_id": me}, p.Filter); diff != "" {
				t.Errorf("author update filter (-want +got):\n%s", diff)
			}
		case "article pg_create_insert_permission":
			if diff := cmp.Diff(own, p.Check); diff != "" {
				t.Errorf("article insert check (-want +got):\n%s", diff)
			}
		case "article pg_create_update_permission", "article pg_create_delete_permission":
			if diff := cmp.Diff(own, p.Filter); diff != "" {
				t.Errorf("%s filter (-want +got):\n%s", c.Type, diff)
			}
		case "article_tag pg_create_insert_permission":
			if diff := cmp.Diff(map[string]any{"article": own}, p.Check); diff != "" {
				t.Errorf("article_tag insert check (-want +got):\n%s", diff)
			}
		case "article_tag pg_create_delete_permission":
			if diff := cmp.Diff(map[string]any{"article": own}, p.Filter); diff != "" {
				t.Errorf("article_tag delete filter (-want +got):\n%s", diff)
			}
		default:
			t.Errorf("unexpected %s on %s for user", c.Type, c.Args.Table.Name)
		}
	}

	m := Metadata()
	m[0] = 'x'
	if Metadata()[0] != '{' {
		t.Error("Metadata returns shared bytes")
	}
}

// TestMetadata_MatchesSQL checks that every table, column and foreign key
// the metadata names exists in the schema SQL creates.
func TestMetadata_MatchesSQL(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t, SQL)
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	columns := map[string]bool{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		columns[table+"."+column] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// Foreign keys as "table.column->referenced_table".
	rows, err = db.Pool.Query(ctx, `
		SELECT c.conrelid::regclass::text || '.' || a.attname || '->' || c.confrelid::regclass::text
		FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	fks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(fks)
	if diff := cmp.Diff([]string{"article.author_id->author", "article_tag.article_id->article", "article_tag.tag_id->tag"}, fks); diff != "" {
		t.Errorf("foreign keys (-want +got):\n%s", diff)
	}
	hasFK := map[string]bool{}
	for _, fk := range fks {
		hasFK[fk] = true
	}

	// Permission expressions may name relationships as well as columns.
	rels := map[string]bool{}
	for _, c := range decodeMetadata(t) {
		if strings.HasSuffix(c.Type, "_relationship") {
			rels[c.Args.Table.Name+"."+c.Args.Name] = true
		}
	}
	for _, c := range decodeMetadata(t) {
		table := c.Args.Table.Name
		if !columns[table+".id"] && !columns[table+".article_id"] {
			t.Errorf("%s: no table %s", c.Type, table)
		}
		p := c.Args.Permission
		named := append([]string{}, p.Columns...)
		for _, m := range []map[string]any{p.Filter, p.Check, p.Set} {
			for k := range m {
				named = append(named, k)
			}
		}
		for _, col := range named {
			if !columns[table+"."+col] && !rels[table+"."+col] {
				t.Errorf("%s %s on %s: no column %s", c.Type, c.Args.Role, table, col)
			}
		}
		if len(c.Args.Using) > 0 {
			var using struct {
				FK json.RawMessage `json:"foreign_key_constraint_on"`
			}
			json.Unmarshal(c.Args.Using, &using)
			var col string
			var remote struct {
				Table  struct{ Name string } `json:"table"`
				Column string                `json:"column"`
			}
			var fk string
			if json.Unmarshal(using.FK, &col) == nil {
				fk = table + "." + col + "->"
			} else if err := json.Unmarshal(using.FK, &remote); err == nil {
				fk = remote.Table.Name + "." + remote.Column + "->" + table
			}
			found := false
			for k := range hasFK {
				if strings.HasPrefix(k, fk) {
					found = true
				}
			}
			if !found {
				t.Errorf("relationship %s.%s: no foreign key %s", table, c.Args.Name, fk)
			}
		}
	}
}

func TestSampleQuery(t *testing.T) {
	t.Parallel()
	doc, err := parser.ParseQuery(&ast.Source{Input: SampleQuery})
	if err != nil {
		t.Fatalf("SampleQuery does not parse: %v", err)
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
		t.Errorf("SampleQuery is not one query")
	}
}
