package catalog_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/pgtest"
)

const (
	largeTables  = 1000
	largeSchemas = 5
)

// largeSchemaSQL creates n tables spread over largeSchemas schemas, each with
// ten columns, a primary key and two foreign keys to earlier tables (in other
// schemas, for some).
func largeSchemaSQL(n int) string {
	var b strings.Builder
	for s := range largeSchemas {
		fmt.Fprintf(&b, "CREATE SCHEMA s%d;\n", s)
	}
	name := func(i int) string { return fmt.Sprintf("s%d.t%d", i%largeSchemas, i) }
	for i := range n {
		fmt.Fprintf(&b, `CREATE TABLE %s (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  amount numeric(12, 2),
  flags int[],
  note varchar(200),
  active boolean DEFAULT true,
  data jsonb`, name(i))
		for k, ref := range []int{i - 1, i / 2} {
			if ref >= 0 && ref < i {
				fmt.Fprintf(&b, ",\n  ref%d bigint REFERENCES %s (id)", k, name(ref))
			} else {
				fmt.Fprintf(&b, ",\n  ref%d bigint", k)
			}
		}
		b.WriteString("\n);\n")
		if i%50 == 0 {
			fmt.Fprintf(&b, "COMMENT ON TABLE %s IS 'table %d';\n", name(i), i)
		}
	}
	return b.String()
}

// TestIntrospect_Large checks that a catalog of 1000 tables is read well
// under a second.
func TestIntrospect_Large(t *testing.T) {
	db := pgtest.New(t, largeSchemaSQL(largeTables))
	ctx := context.Background()

	best := time.Duration(1<<63 - 1)
	var c *catalog.Catalog
	for range 3 {
		start := time.Now()
		var err error
		c, err = catalog.Introspect(ctx, db.Pool)
		if err != nil {
			t.Fatalf("Introspect: %v", err)
		}
		best = min(best, time.Since(start))
	}
	t.Logf("introspected %d tables in %v (best of 3)", len(c.Tables), best)

	if len(c.Tables) != largeTables {
		t.Errorf("%d tables, want %d", len(c.Tables), largeTables)
	}
	var cols, fks int
	for _, tb := range c.Tables {
		cols += len(tb.Columns)
		fks += len(tb.ForeignKeys)
		if tb.PrimaryKey == nil {
			t.Errorf("%s: no primary key", tb.Name)
		}
	}
	if want := largeTables * 10; cols != want {
		t.Errorf("%d columns, want %d", cols, want)
	}
	if want := 2 * (largeTables - 1); fks != want { // t0 has none
		t.Errorf("%d foreign keys, want %d", fks, want)
	}
	if best > time.Second {
		t.Errorf("introspection took %v, want well under 1s", best)
	}

	// Note [introspection query shape]: past jit_above_cost, JIT compiling
	// the query costs more than running it.
	var plan []struct {
		Plan struct {
			TotalCost float64 `json:"Total Cost"`
		} `json:"Plan"`
	}
	if err := db.Pool.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+catalog.IntrospectSQL).Scan(&plan); err != nil {
		t.Fatalf("explain: %v", err)
	}
	const jitAboveCost = 100000 // PostgreSQL's default
	if cost := plan[0].Plan.TotalCost; cost > jitAboveCost {
		t.Errorf("estimated cost %.0f, want under jit_above_cost (%d)", cost, jitAboveCost)
	} else {
		t.Logf("estimated cost %.0f", cost)
	}
}

func BenchmarkIntrospect(b *testing.B) {
	db := pgtest.New(b, largeSchemaSQL(largeTables))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := catalog.Introspect(ctx, db.Pool); err != nil {
			b.Fatal(err)
		}
	}
}
