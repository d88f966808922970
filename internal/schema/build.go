package schema

import (
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/metadata"
)

// Input is what a Model is built from.
type Input struct {
	Metadata *metadata.Metadata
	// Source is the Postgres source to serve ("default").
	Source  string
	Catalog *catalog.Catalog
	// EnumValues holds the rows of the tables tracked with is_enum: true,
	// read by the caller (the catalog has no table data).
	EnumValues map[catalog.QualifiedName][]EnumValue
	Options    Options
}

// Build resolves in.Source of in.Metadata against in.Catalog. Objects that do
// not match the database are left out and listed in Model.Inconsistencies;
// Build never fails on inconsistent metadata.
func Build(in Input) *Model {
	panic("not implemented")
}
