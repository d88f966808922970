package schema

import (
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Build resolves the Postgres source named source of md against cat. Objects
// that do not match the database are left out and listed in
// Model.Inconsistencies; Build never fails on inconsistent metadata.
func Build(md *metadata.Metadata, source string, cat *catalog.Catalog, opts Options) *Model {
	panic("not implemented")
}
