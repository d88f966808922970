package metadir

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/graftql/graft/internal/metadata"
)

// ExportMetadata fetches the server's metadata (export_metadata).
func ExportMetadata(ctx context.Context, c Client) (*metadata.Metadata, error) {
	out, err := c.Metadata(ctx, []byte(`{"type":"export_metadata","version":1,"args":{}}`))
	if err != nil {
		return nil, fmt.Errorf("export metadata: %w", err)
	}
	return decodeMetadata(out)
}

// ApplyResult is what ApplyMetadata did.
type ApplyResult struct {
	// Applied is false when the server already had the directory's
	// metadata and SkipUnchanged was set.
	Applied bool
	// InconsistentObjects are the objects the server could not resolve
	// (tables that do not exist, ...), as get_inconsistent_metadata lists
	// them; the metadata is stored anyway, as with the Hasura CLI.
	InconsistentObjects []json.RawMessage
}

// ApplyOptions change ApplyMetadata.
type ApplyOptions struct {
	// SkipUnchanged sends nothing when the server's metadata already
	// equals the directory's, so that a restart does not write a new
	// resource version.
	SkipUnchanged bool
}

// ApplyMetadata replaces the server's metadata with the metadata directory
// dir, as `hasura metadata apply` does: replace_metadata version 2 with
// allow_inconsistent_metadata, so that inconsistencies are reported rather
// than refused.
func ApplyMetadata(ctx context.Context, c Client, dir string, opts ApplyOptions) (ApplyResult, error) {
	doc, err := ReadJSON(dir)
	if err != nil {
		return ApplyResult{}, err
	}
	if opts.SkipUnchanged {
		// Compare what the server would store with what it has.
		want, err := decodeAsServer(doc)
		if err != nil {
			return ApplyResult{}, err
		}
		out, err := c.Metadata(ctx, []byte(`{"type":"export_metadata","version":1,"args":{}}`))
		if err != nil {
			return ApplyResult{}, fmt.Errorf("export metadata: %w", err)
		}
		have, err := decodeAsServer(out)
		if err != nil {
			return ApplyResult{}, err
		}
		if sameMetadata(want, have) {
			res := ApplyResult{}
			res.InconsistentObjects, err = inconsistentObjects(ctx, c)
			return res, err
		}
	}
	var body bytes.Buffer
	body.WriteString(`{"type":"replace_metadata","version":2,"args":{"allow_inconsistent_metadata":true,"metadata":`)
	body.Write(doc)
	body.WriteString(`}}`)
	out, err := c.Metadata(ctx, body.Bytes())
	if err != nil {
		return ApplyResult{}, fmt.Errorf("apply metadata from %s: %w", dir, err)
	}
	var report struct {
		InconsistentObjects []json.RawMessage `json:"inconsistent_objects"`
	}
	_ = json.Unmarshal(out, &report)
	return ApplyResult{Applied: true, InconsistentObjects: report.InconsistentObjects}, nil
}

func sameMetadata(a, b *metadata.Metadata) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func inconsistentObjects(ctx context.Context, c Client) ([]json.RawMessage, error) {
	out, err := c.Metadata(ctx, []byte(`{"type":"get_inconsistent_metadata","args":{}}`))
	if err != nil {
		return nil, fmt.Errorf("get inconsistent metadata: %w", err)
	}
	var report struct {
		InconsistentObjects []json.RawMessage `json:"inconsistent_objects"`
	}
	if err := json.Unmarshal(out, &report); err != nil {
		return nil, fmt.Errorf("get inconsistent metadata: %w", err)
	}
	return report.InconsistentObjects, nil
}

// ReloadMetadata asks the server to introspect its databases again
// (reload_metadata), as the cli-migrations image does after migrating.
func ReloadMetadata(ctx context.Context, c Client) error {
	if _, err := c.Metadata(ctx, []byte(`{"type":"reload_metadata","args":{}}`)); err != nil {
		return fmt.Errorf("reload metadata: %w", err)
	}
	return nil
}
