package metadata_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/metadata"
)

// TestMetadata_RoundTrip decodes metadata exports and encodes them again:
// every key must survive, with the same value. testdata/hasura_stored.json
// is a document Hasura v2.4x stored in hdb_metadata; export_full.json uses
// every part of the format (hasura/graphql-engine:
// docs/docs/migrations-metadata-seeds/metadata-format.mdx).
func TestMetadata_RoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var md metadata.Metadata
			if err := json.Unmarshal(in, &md); err != nil {
				t.Fatalf("decode: %v", err)
			}
			out, err := json.Marshal(&md)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			var want, got any
			_ = json.Unmarshal(in, &want)
			_ = json.Unmarshal(out, &got)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-export +graft):\n%s", diff)
			}
			// Clone must be a faithful deep copy.
			c := md.Clone()
			if diff := cmp.Diff(string(out), mustMarshal(t, c)); diff != "" {
				t.Errorf("Clone (-original +clone):\n%s", diff)
			}
		})
	}
}
