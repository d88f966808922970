package metadir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
	"gopkg.in/yaml.v3"

	"github.com/graftql/graft/internal/metadata"
)

// Write writes md into the metadata directory dir as `hasura metadata
// export` does (see [Files]). databases/ is replaced as a whole, so that
// the files of untracked tables go; other files in dir that are not part
// of the layout are left alone.
func Write(dir string, md *metadata.Metadata) error {
	files, err := Files(md)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, "databases")); err != nil {
		return fmt.Errorf("clear %s: %w", filepath.Join(dir, "databases"), err)
	}
	for name, b := range files {
		if !localPath(name) {
			return fmt.Errorf("write %q: %w", name, ErrUnsafeName)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// defaultFiles are the files of the layout that hold one metadata key
// each; a key the metadata lacks gives an empty list or mapping, as the
// CLI writes it (cli/internal/metadataobject, DefaultExport).
var defaultFiles = []struct {
	file, key string
	mapping   bool
}{
	{"remote_schemas.yaml", "remote_schemas", false},
	{"query_collections.yaml", "query_collections", false},
	{"allow_list.yaml", "allowlist", false},
	{"cron_triggers.yaml", "cron_triggers", false},
	{"network.yaml", "network", true},
	{"rest_endpoints.yaml", "rest_endpoints", false},
	{"inherited_roles.yaml", "inherited_roles", false},
	{"opentelemetry.yaml", "opentelemetry", true},
	{"backend_configs.yaml", "backend_configs", true},
	{"api_limits.yaml", "api_limits", true},
	{"metrics_config.yaml", "metrics_config", true},
}

// Files returns the metadata directory for md as `hasura metadata export`
// writes it, by slash-separated path relative to the directory:
// version.yaml, databases/databases.yaml and one file per table and
// function, actions.graphql and actions.yaml, and one file per other part
// of the metadata, each as yaml.v3 writes it at indent 2 (Note [export
// layout]). Lists Hasura sorts on export (tables, relationships,
// permissions, ...) are sorted the same way, and the keys of the parts
// graft models are put in Hasura's order, so that a directory the CLI
// exported reads and writes back unchanged.
func Files(md *metadata.Metadata) (map[string][]byte, error) {
	doc, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	root, err := jsonNode(doc)
	if err != nil {
		return nil, fmt.Errorf("encode metadata: %w", err)
	}
	files := map[string][]byte{}
	put := func(name string, v any) error {
		if !localPath(name) {
			return fmt.Errorf("write %q: %w", name, ErrUnsafeName)
		}
		b, err := encodeYAML(v)
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		files[name] = b
		return nil
	}

	version := mapGet(root, "version")
	if version == nil {
		version = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "3"}
	}
	if err := put("version.yaml", mapping("version", version)); err != nil {
		return nil, err
	}

	sources := mapGet(root, "sources")
	if sources == nil {
		sources = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	sortItems(sources, byField("name"))
	databases := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, src := range sources.Content {
		out, err := writeSource(src, put)
		if err != nil {
			return nil, err
		}
		databases.Content = append(databases.Content, out)
	}
	if err := put("databases/databases.yaml", databases); err != nil {
		return nil, err
	}

	ay, sdl, err := writeActions(md.Actions, md.CustomTypes)
	if err != nil {
		return nil, err
	}
	files["actions.yaml"], files["actions.graphql"] = ay, sdl

	for _, f := range defaultFiles {
		v := mapGet(root, f.key)
		switch {
		case v == nil || v.Tag == "!!null":
			if f.mapping {
				v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			} else {
				v = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			}
		case f.key == "remote_schemas":
			if v, err = remoteSchemas(v); err != nil {
				return nil, err
			}
		case f.key == "query_collections" || f.key == "cron_triggers":
			sortItems(v, byField("name"))
		case f.key == "allowlist":
			sortItems(v, byField("collection"))
		case f.key == "inherited_roles":
			sortItems(v, byField("role_name"))
		case f.key == "rest_endpoints":
			// Hasura encodes endpoints with aeson: keys in alphabetical order.
			sortKeys(v)
			sortItems(v, byField("url"))
		}
		if err := put(f.file, v); err != nil {
			return nil, err
		}
	}

	roles := mapGet(mapGet(root, "graphql_schema_introspection"), "disabled_for_roles")
	if roles == nil || roles.Tag == "!!null" {
		roles = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	if err := put("graphql_schema_introspection.yaml", mapping("disabled_for_roles", roles)); err != nil {
		return nil, err
	}
	return files, nil
}

func mapping(key string, v *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Content: []*yaml.Node{keyNode(key), v}}
}

// writeSource writes the table and function files of one database and
// returns its entry of databases.yaml, with its keys in the CLI's order
// (sourceKeys) and !include lines for its tables and functions
// (cli/internal/metadataobject/sources/sources.go, Export).
func writeSource(src *yaml.Node, put func(string, any) error) (*yaml.Node, error) {
	name := mapString(src, "name")
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") {
		return nil, fmt.Errorf("database %q: %w", name, ErrUnsafeName)
	}
	sortKeys(mapGet(src, "customization"))
	if tables := mapGet(src, "tables"); tables != nil && tables.Kind == yaml.SequenceNode {
		sortItems(tables, func(t *yaml.Node) string { return qualifiedKey(mapGet(t, "table")) })
		includes := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, t := range tables.Content {
			fixTable(t)
			file := objectFileName(mapGet(t, "table"))
			if err := put(path.Join("databases", name, "tables", file), t); err != nil {
				return nil, err
			}
			includes.Content = append(includes.Content, includeNode(file))
		}
		if err := put(path.Join("databases", name, "tables", "tables.yaml"), includes); err != nil {
			return nil, err
		}
		mapSet(src, "tables", includeNode(path.Join(name, "tables", "tables.yaml")))
	}
	if fns := mapGet(src, "functions"); fns != nil && fns.Kind == yaml.SequenceNode && len(fns.Content) > 0 {
		sortItems(fns, func(f *yaml.Node) string { return qualifiedKey(mapGet(f, "function")) })
		includes := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, f := range fns.Content {
			fixFunction(f)
			file := objectFileName(mapGet(f, "function"))
			if err := put(path.Join("databases", name, "functions", file), f); err != nil {
				return nil, err
			}
			includes.Content = append(includes.Content, includeNode(file))
		}
		if err := put(path.Join("databases", name, "functions", "functions.yaml"), includes); err != nil {
			return nil, err
		}
		mapSet(src, "functions", includeNode(path.Join(name, "functions", "functions.yaml")))
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, k := range sourceKeys {
		if v := mapGet(src, k); v != nil {
			mapSet(out, k, v)
		}
	}
	return out, nil
}

// qualifiedKey sorts tables and functions as Hasura does: by schema, then
// name (a QualifiedObject's derived Ord).
func qualifiedKey(n *yaml.Node) string {
	if n == nil {
		return ""
	}
	if n.Kind == yaml.MappingNode {
		ns := mapString(n, "schema")
		if ns == "" {
			ns = mapString(n, "dataset")
		}
		return ns + "\x00" + mapString(n, "name")
	}
	var parts []string
	for _, c := range n.Content {
		parts = append(parts, c.Value)
	}
	return strings.Join(parts, "\x00")
}

// objectFileName is the file of a table or function: <schema>_<name>.yaml,
// or the parts of a data connector's name joined by _
// (cli/internal/metadataobject/sources/util.go, getTableYamlFileName).
func objectFileName(n *yaml.Node) string {
	if n != nil && n.Kind == yaml.SequenceNode {
		var parts []string
		for _, c := range n.Content {
			parts = append(parts, c.Value)
		}
		return fileElem(strings.Join(parts, "_")) + ".yaml"
	}
	ns := mapString(n, "schema")
	if ns == "" {
		ns = mapString(n, "dataset")
	}
	return fileElem(ns+"_"+mapString(n, "name")) + ".yaml"
}

// ErrUnsafeName is returned for metadata whose names would put a file
// outside the metadata directory.
var ErrUnsafeName = errors.New("name cannot be a file name in the metadata directory")

// fileElem makes s one path element. PostgreSQL names may hold / and \,
// which would name directories; such names are written with /, \, NUL
// and % percent-encoded, so that no two names share a file. Names without
// those characters keep the CLI's file name.
func fileElem(s string) string {
	if !strings.ContainsAny(s, "/\\\x00%") {
		return s
	}
	return strings.NewReplacer("%", "%25", "/", "%2F", "\\", "%5C", "\x00", "%00").Replace(s)
}

// localPath reports whether the slash-separated name stays inside the
// directory it is relative to.
func localPath(name string) bool {
	return name != "" && !strings.Contains(name, `\`) && filepath.IsLocal(filepath.FromSlash(name)) && path.Clean(name) == name
}

// fixTable puts a table's keys in Hasura's export order
// (Hasura.RQL.Types.Metadata.Serialization, tableMetaToOrdJSON): the
// listed keys in that order, their lists sorted by name or role, and the
// values Hasura encodes with aeson in alphabetical order.
func fixTable(t *yaml.Node) {
	reorder(t, "table", "is_enum", "configuration", "object_relationships", "array_relationships",
		"computed_fields", "remote_relationships", "insert_permissions", "select_permissions",
		"update_permissions", "delete_permissions", "event_triggers", "apollo_federation_config")
	sortKeys(mapGet(t, "table"))
	if c := mapGet(t, "configuration"); c != nil {
		if fixTableConfig(c) {
			mapDelete(t, "configuration")
		}
	}
	for _, k := range []string{"object_relationships", "array_relationships"} {
		rels := mapGet(t, k)
		sortItems(rels, byField("name"))
		for _, r := range contentOf(rels) {
			reorder(r, "name", "using", "comment")
			if mc := mapGet(mapGet(r, "using"), "manual_configuration"); mc != nil {
				// Hasura writes insertion_order even when it is not set.
				if mapGet(mc, "insertion_order") == nil {
					mapSet(mc, "insertion_order", nullNode())
				}
				sortKeys(mc)
			}
		}
	}
	cfs := mapGet(t, "computed_fields")
	sortItems(cfs, byField("name"))
	for _, cf := range contentOf(cfs) {
		reorder(cf, "name", "definition", "comment")
		sortKeys(mapGet(cf, "definition"))
	}
	sortItems(mapGet(t, "remote_relationships"), byField("name"))
	sortItems(mapGet(t, "event_triggers"), byField("name"))
	permOrder := map[string][]string{
		"insert_permissions": {"check", "set", "columns", "backend_only", "validate_input"},
		"select_permissions": {"columns", "computed_fields", "filter", "limit", "allow_aggregations", "query_root_fields", "subscription_root_fields"},
		"update_permissions": {"columns", "filter", "check", "set", "backend_only", "validate_input"},
		"delete_permissions": {"filter", "backend_only", "validate_input"},
	}
	for kind, order := range permOrder {
		perms := mapGet(t, kind)
		sortItems(perms, byField("role"))
		for _, p := range contentOf(perms) {
			reorder(p, "role", "permission", "comment")
			perm := mapGet(p, "permission")
			if kind == "update_permissions" && perm != nil && mapGet(perm, "check") == nil {
				// Hasura always writes an update permission's check.
				mapSet(perm, "check", nullNode())
			}
			reorder(perm, order...)
		}
	}
}

// fixTableConfig shapes a table's configuration as Hasura encodes it
// (Hasura.Table.Cache, ToJSON TableConfig): custom_root_fields always,
// column_config with the legacy custom_column_names merged in (column_config
// wins), custom_column_names derived from it, custom_name and comment when
// set, keys in alphabetical order. It reports whether the configuration is
// empty, which Hasura leaves out.
func fixTableConfig(c *yaml.Node) (empty bool) {
	cc, legacy := mapGet(c, "column_config"), mapGet(c, "custom_column_names")
	merged := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	names := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	var cols []string
	seen := map[string]bool{}
	for _, m := range []*yaml.Node{cc, legacy} {
		for i := 0; m != nil && i+1 < len(m.Content); i += 2 {
			if col := m.Content[i].Value; !seen[col] {
				seen[col] = true
				cols = append(cols, col)
			}
		}
	}
	for _, col := range cols {
		entry := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		name := mapGet(mapGet(cc, col), "custom_name")
		if name == nil || name.Tag == "!!null" {
			name = mapGet(legacy, col)
		}
		if name != nil && name.Tag != "!!null" {
			mapSet(entry, "custom_name", name)
			mapSet(names, col, name)
		}
		if cm := mapGet(mapGet(cc, col), "comment"); cm != nil && cm.Tag != "!!null" {
			mapSet(entry, "comment", cm)
		}
		if len(entry.Content) > 0 {
			mapSet(merged, col, entry)
		}
	}
	roots := mapGet(c, "custom_root_fields")
	if roots == nil || roots.Tag == "!!null" {
		roots = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	mapSet(out, "custom_root_fields", roots)
	mapSet(out, "custom_column_names", names)
	mapSet(out, "column_config", merged)
	for _, k := range []string{"custom_name", "comment"} {
		if v := mapGet(c, k); v != nil && v.Tag != "!!null" {
			mapSet(out, k, v)
		}
	}
	for i := 0; i+1 < len(c.Content); i += 2 {
		switch k := c.Content[i].Value; k {
		case "custom_root_fields", "custom_column_names", "column_config", "custom_name", "comment":
		default:
			mapSet(out, k, c.Content[i+1]) // a key graft does not know yet
		}
	}
	sortKeys(out)
	*c = *out
	return len(roots.Content) == 0 && len(merged.Content) == 0 && mapGet(out, "custom_name") == nil &&
		mapGet(out, "comment") == nil && len(out.Content) == 2*3
}

// fixFunction puts a tracked function's keys in Hasura's order
// (functionMetadataToOrdJSON); its configuration is encoded by aeson:
// alphabetical, custom_root_fields always, left out when empty.
func fixFunction(f *yaml.Node) {
	reorder(f, "function", "configuration", "permissions", "comment")
	sortKeys(mapGet(f, "function"))
	c := mapGet(f, "configuration")
	if c == nil {
		return
	}
	roots := mapGet(c, "custom_root_fields")
	if roots == nil || roots.Tag == "!!null" {
		roots = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		mapSet(c, "custom_root_fields", roots)
	}
	sortKeys(c)
	if len(c.Content) == 2 && len(roots.Content) == 0 {
		mapDelete(f, "configuration")
	}
}

func contentOf(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// remoteSchemas lays out remote_schemas.yaml as the CLI does
// (cli/internal/metadataobject/remoteschemas/remote_schemas.go, Export):
// name, definition, comment, permissions and remote_relationships, each
// permission as its role and its schema, reformatted as GraphQL SDL.
func remoteSchemas(list *yaml.Node) (*yaml.Node, error) {
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("remote_schemas: expected a list")
	}
	sortItems(list, byField("name"))
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, rs := range list.Content {
		o := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range []string{"name", "definition", "comment"} {
			if v := mapGet(rs, k); v != nil && v.Tag != "!!null" {
				mapSet(o, k, v)
			}
		}
		if perms := mapGet(rs, "permissions"); perms != nil && len(perms.Content) > 0 {
			ps := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for _, p := range perms.Content {
				po := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if r := mapGet(p, "role"); r != nil {
					mapSet(po, "role", r)
				}
				def := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if s := scalarOr(mapGet(mapGet(p, "definition"), "schema")); s != "" {
					mapSet(def, "schema", strNode(formatSDL(s)))
				}
				mapSet(po, "definition", def)
				ps.Content = append(ps.Content, po)
			}
			mapSet(o, "permissions", ps)
		}
		if v := mapGet(rs, "remote_relationships"); v != nil && v.Tag != "!!null" {
			mapSet(o, "remote_relationships", v)
		}
		out.Content = append(out.Content, o)
	}
	return out, nil
}

// formatSDL reformats a schema as the CLI does with gqlparser's
// formatter; SDL that does not parse is kept as it is.
func formatSDL(s string) string {
	doc, err := parser.ParseSchema(&ast.Source{Input: s})
	if err != nil {
		return s
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchemaDocument(doc)
	if buf.Len() == 0 {
		return s
	}
	return buf.String()
}
