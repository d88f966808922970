package catalog

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Querier is what Introspect needs of a connection or pool.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Introspect reads the catalog of the database db is connected to.
func Introspect(ctx context.Context, db Querier) (*Catalog, error) {
	panic("not implemented")
}
