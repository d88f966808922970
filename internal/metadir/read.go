package metadir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/graftql/graft/internal/metadata"
)

// ErrNotMetadataDir means a directory has neither version.yaml nor
// databases/databases.yaml.
var ErrNotMetadataDir = errors.New("not a Hasura metadata directory (no version.yaml or databases/databases.yaml)")

// ErrOldFormat means a metadata directory of config v1 or v2 (one
// tables.yaml, no databases/).
var ErrOldFormat = errors.New("metadata version 1 or 2 (config v1/v2) is not supported; upgrade the project with `hasura scripts update-project-v3`")

// A FileError locates a failure in one file of a project.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *FileError) Unwrap() error { return e.Err }

// Read reads the metadata directory dir into the model, as the Hasura CLI
// builds it for `hasura metadata apply` (see [ReadJSON]).
func Read(dir string) (*metadata.Metadata, error) {
	doc, err := ReadJSON(dir)
	if err != nil {
		return nil, err
	}
	return decodeMetadata(doc)
}

// decodeAsServer decodes a metadata document as graft's metadata API does
// with replace_metadata.
func decodeAsServer(doc []byte) (*metadata.Metadata, error) {
	var md metadata.Metadata
	if err := json.Unmarshal(doc, &md); err != nil {
		return nil, fmt.Errorf("decode metadata: %w", err)
	}
	md.Normalize()
	return &md, nil
}

// decodeMetadata decodes a metadata document into the model.
func decodeMetadata(doc []byte) (*metadata.Metadata, error) {
	return decodeAsServer(doc)
}

// ReadJSON returns the metadata document the Hasura CLI (config v3) builds
// from the metadata directory dir and sends with replace_metadata
// (hasura/graphql-engine: cli/internal/projectmetadata/handler.go,
// buildMetadata): one key per file that exists, in the CLI's key order,
// with !include tags resolved and actions.graphql turned into actions and
// custom types.
func ReadJSON(dir string) (json.RawMessage, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, &FileError{Path: dir, Err: ErrNotMetadataDir}
	}
	if !exists(filepath.Join(dir, "version.yaml")) && !exists(filepath.Join(dir, "databases", "databases.yaml")) {
		return nil, &FileError{Path: dir, Err: ErrNotMetadataDir}
	}
	var doc object
	if n, err := readFile(dir, "version.yaml"); err != nil {
		return nil, err
	} else if v := mapGet(n, "version"); v != nil {
		if v.Value == "1" || v.Value == "2" {
			return nil, &FileError{Path: filepath.Join(dir, "version.yaml"), Err: ErrOldFormat}
		}
		if err := doc.addNode("version", v, filepath.Join(dir, "version.yaml")); err != nil {
			return nil, err
		}
	}
	sources, err := readSources(dir)
	if err != nil {
		return nil, err
	}
	if sources != nil {
		doc.add("sources", sources)
	}
	actions, customTypes, err := readActions(dir)
	if err != nil {
		return nil, err
	}
	if actions != nil {
		doc.add("actions", actions)
	}
	if customTypes != nil {
		doc.add("custom_types", customTypes)
	}
	for _, f := range []struct{ key, file string }{
		{"remote_schemas", "remote_schemas.yaml"},
		{"query_collections", "query_collections.yaml"},
		{"allowlist", "allow_list.yaml"},
		{"cron_triggers", "cron_triggers.yaml"},
		{"network", "network.yaml"},
		{"api_limits", "api_limits.yaml"},
		{"rest_endpoints", "rest_endpoints.yaml"},
		{"inherited_roles", "inherited_roles.yaml"},
		{"opentelemetry", "opentelemetry.yaml"},
		{"backend_configs", "backend_configs.yaml"},
		{"graphql_schema_introspection", "graphql_schema_introspection.yaml"},
		{"metrics_config", "metrics_config.yaml"},
	} {
		path := filepath.Join(dir, f.file)
		if !exists(path) {
			continue
		}
		n, err := readFile(dir, f.file)
		if err != nil {
			return nil, err
		}
		if f.key == "graphql_schema_introspection" {
			// The CLI always sends {"disabled_for_roles": [...]}
			// (cli/internal/metadataobject/graphql_schema_introspection).
			roles := mapGet(n, "disabled_for_roles")
			if roles == nil || roles.Tag == "!!null" {
				roles = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			}
			n = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{keyNode("disabled_for_roles"), roles}}
		}
		if n == nil {
			continue
		}
		if err := doc.addNode(f.key, n, path); err != nil {
			return nil, err
		}
	}
	return doc.bytes(), nil
}

// readFile loads dir/name with its includes; a missing file gives nil.
func readFile(dir, name string) (*yaml.Node, error) {
	path := filepath.Join(dir, name)
	n, err := loadYAML(path)
	if errors.Is(err, fs.ErrNotExist) && !exists(path) {
		return nil, nil
	}
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return n, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// sourceKeys are the keys of a database the CLI reads from
// databases.yaml, in the order it sends them
// (cli/internal/metadataobject/sources/sources.go, Source); it drops
// others.
var sourceKeys = []string{"name", "kind", "configuration", "query_tags", "customization", "health_check",
	"logical_models", "native_queries", "stored_procedures", "tables", "functions"}

// readSources reads databases/databases.yaml, whose !include paths are
// relative to databases/.
func readSources(dir string) (json.RawMessage, error) {
	path := filepath.Join(dir, "databases", "databases.yaml")
	if !exists(path) {
		return nil, nil
	}
	n, err := loadYAML(path)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	if n == nil {
		return json.RawMessage(`[]`), nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, &FileError{Path: path, Err: fmt.Errorf("line %d: expected a list of databases", n.Line)}
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, src := range n.Content {
		if src.Kind != yaml.MappingNode {
			return nil, &FileError{Path: path, Err: fmt.Errorf("line %d: expected a database (a mapping)", src.Line)}
		}
		var o object
		for _, k := range sourceKeys {
			v := mapGet(src, k)
			if v == nil {
				continue
			}
			if err := o.addNode(k, v, path); err != nil {
				return nil, err
			}
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(o.bytes())
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// object builds a JSON object with keys in insertion order.
type object struct {
	buf bytes.Buffer
	n   int
}

func (o *object) add(key string, v json.RawMessage) {
	if o.n == 0 {
		o.buf.WriteByte('{')
	} else {
		o.buf.WriteByte(',')
	}
	o.n++
	k, _ := json.Marshal(key)
	o.buf.Write(k)
	o.buf.WriteByte(':')
	o.buf.Write(v)
}

func (o *object) addNode(key string, n *yaml.Node, path string) error {
	v, err := nodeJSON(n)
	if err != nil {
		return &FileError{Path: path, Err: fmt.Errorf("%s: %w", key, err)}
	}
	o.add(key, v)
	return nil
}

func (o *object) bytes() json.RawMessage {
	if o.n == 0 {
		return json.RawMessage(`{}`)
	}
	return append(append(json.RawMessage(nil), o.buf.Bytes()...), '}')
}
