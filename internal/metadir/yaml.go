package metadir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// includeTag marks a value that is the content of another file
// (hasura/graphql-engine: cli/internal/metadatautil/yaml.go).
const includeTag = "!include"

// maxIncludeDepth bounds !include nesting, so that a file including
// itself is an error rather than a hang.
const maxIncludeDepth = 32

// loadYAML reads the YAML file at path and resolves its !include tags (see
// resolveIncludes). An empty file gives a nil node.
func loadYAML(path string) (*yaml.Node, error) {
	return loadYAMLDepth(path, 0)
}

func loadYAMLDepth(path string, depth int) (*yaml.Node, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	n, err := resolveIncludes(doc.Content[0], filepath.Dir(path), depth)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}

// resolveIncludes replaces every include in n by the included content,
// relative to dir (the directory of the file n was read from). An include
// is a scalar tagged !include (`tables: !include a.yaml`) or a string that
// starts with "!include " (`tables: "!include a.yaml"`, which is how the
// CLI writes them). A .yaml or .yml file is included as YAML, with its own
// includes resolved relative to its own directory; any other file (such as
// a .graphql file) is included as a string.
func resolveIncludes(n *yaml.Node, dir string, depth int) (*yaml.Node, error) {
	if target, ok := includeTarget(n); ok {
		if depth >= maxIncludeDepth {
			return nil, fmt.Errorf("!include %s: nested too deep (a cycle?)", target)
		}
		path := filepath.Join(dir, target)
		switch filepath.Ext(path) {
		case ".yaml", ".yml":
			inc, err := loadYAMLDepth(path, depth+1)
			if err != nil {
				return nil, fmt.Errorf("!include %s: %w", target, err)
			}
			if inc == nil {
				return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
			}
			return inc, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("!include %s: %w", target, err)
		}
		s := &yaml.Node{}
		s.SetString(string(b))
		return s, nil
	}
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode, yaml.MappingNode:
		for i, c := range n.Content {
			r, err := resolveIncludes(c, dir, depth)
			if err != nil {
				return nil, err
			}
			n.Content[i] = r
		}
	}
	return n, nil
}

// includeTarget returns the file an include names.
func includeTarget(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	if n.Tag == includeTag {
		return strings.Trim(strings.TrimSpace(n.Value), `"'`), true
	}
	if n.ShortTag() != "!!str" {
		return "", false
	}
	v := strings.TrimSpace(n.Value)
	rest, ok := strings.CutPrefix(v, includeTag)
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return "", false
	}
	return strings.Trim(strings.TrimSpace(rest), `"'`), true
}

// errNotJSON is wrapped by nodeJSON for YAML that has no JSON equivalent.
var errNotJSON = errors.New("value has no JSON equivalent")

// nodeJSON converts a YAML node to JSON, keeping the key order. Scalars
// follow YAML 1.2 (as the Hasura CLI's YAML to JSON conversion does):
// plain 600 is a number, plain yes a string; aliases and merge keys (<<)
// are expanded.
func nodeJSON(n *yaml.Node) (json.RawMessage, error) {
	var buf bytes.Buffer
	if err := writeNodeJSON(&buf, n, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeNodeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if n == nil {
		buf.WriteString("null")
		return nil
	}
	if depth > 1000 {
		return fmt.Errorf("nested too deep: %w", errNotJSON)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			buf.WriteString("null")
			return nil
		}
		return writeNodeJSON(buf, n.Content[0], depth+1)
	case yaml.AliasNode:
		return writeNodeJSON(buf, n.Alias, depth+1)
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeNodeJSON(buf, c, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case yaml.MappingNode:
		keys, vals, err := mappingPairs(n)
		if err != nil {
			return err
		}
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			buf.Write(kb)
			buf.WriteByte(':')
			if err := writeNodeJSON(buf, vals[k], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		return writeScalarJSON(buf, n)
	}
	return fmt.Errorf("line %d: unknown YAML node: %w", n.Line, errNotJSON)
}

// mappingPairs returns the keys of a mapping in order and their values,
// with merge keys expanded: keys written in the mapping win over merged
// ones, wherever they stand.
func mappingPairs(n *yaml.Node) ([]string, map[string]*yaml.Node, error) {
	explicit := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !isMergeKey(n.Content[i]) {
			explicit[n.Content[i].Value] = true
		}
	}
	var keys []string
	vals := map[string]*yaml.Node{}
	add := func(k string, v *yaml.Node) {
		if _, seen := vals[k]; !seen {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			for _, m := range mergeSources(v) {
				mk, mv, err := mappingPairs(m)
				if err != nil {
					return nil, nil, err
				}
				for _, key := range mk {
					if _, seen := vals[key]; !explicit[key] && !seen {
						add(key, mv[key])
					}
				}
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, nil, fmt.Errorf("line %d: a mapping key must be a scalar: %w", k.Line, errNotJSON)
		}
		add(k.Value, v)
	}
	return keys, vals, nil
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.ShortTag() == "!!merge")
}

// mergeSources returns the mappings a merge key's value names.
func mergeSources(v *yaml.Node) []*yaml.Node {
	for v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.MappingNode:
		return []*yaml.Node{v}
	case yaml.SequenceNode:
		var out []*yaml.Node
		for _, c := range v.Content {
			out = append(out, mergeSources(c)...)
		}
		return out
	}
	return nil
}

func writeScalarJSON(buf *bytes.Buffer, n *yaml.Node) error {
	switch n.ShortTag() {
	case "!!null":
		buf.WriteString("null")
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return err
		}
		buf.WriteString(strconv.FormatBool(b))
	case "!!int":
		var v any
		if err := n.Decode(&v); err != nil {
			return err
		}
		switch x := v.(type) {
		case int:
			buf.WriteString(strconv.Itoa(x))
		case int64:
			buf.WriteString(strconv.FormatInt(x, 10))
		case uint64:
			buf.WriteString(strconv.FormatUint(x, 10))
		case float64:
			return writeFloat(buf, n, x)
		default:
			return fmt.Errorf("line %d: integer %q: %w", n.Line, n.Value, errNotJSON)
		}
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return err
		}
		return writeFloat(buf, n, f)
	default:
		// Strings, and timestamps and binary data as written.
		b, _ := json.Marshal(n.Value)
		buf.Write(b)
	}
	return nil
}

func writeFloat(buf *bytes.Buffer, n *yaml.Node, f float64) error {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Errorf("line %d: number %q: %w", n.Line, n.Value, errNotJSON)
	}
	if isJSONNumber(n.Value) {
		buf.WriteString(n.Value)
		return nil
	}
	buf.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	return nil
}

var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func isJSONNumber(s string) bool { return jsonNumber.MatchString(s) }

// Note [export layout]
//
// `hasura metadata export` turns the server's JSON into YAML through CUE
// (hasura/graphql-engine: cli/internal/metadatautil/json.go, JSONToYAML) and
// writes every file with gopkg.in/yaml.v3 at indent 2
// (cli/internal/metadataobject/metadataobject.go, GetEncoder). The result:
// key order is the server's; strings with a newline are literal blocks
// (|, |-); strings YAML 1.1 would read as something else (yes, off, y,
// dates and times) are double-quoted, as CUE's encoder marks them
// (cuelang.org/go internal/encoding/yaml, shouldQuote); everything else is
// left to yaml.v3, which quotes only what would not read back as the same
// string ("" and "123" in double quotes, '*' and '{{URL}}/x' in single
// quotes). jsonNode builds the same yaml.Node tree, so the same encoder
// gives the same bytes. The key order of the server's JSON is Hasura's, not
// graft's: write.go puts the keys of the parts graft models in Hasura's
// order (hasura/graphql-engine:
// server/src-lib/Hasura/RQL/Types/Metadata/Serialization.hs: explicit order
// for tables, permissions, relationships, ...; alphabetical wherever aeson
// encodes a value, such as table configuration).

// jsonNode converts JSON to a yaml.Node tree, keeping the key order and
// choosing scalar styles as Note [export layout] describes.
func jsonNode(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := decodeJSONNode(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return n, nil
}

func decodeJSONNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeJSONNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, keyNode(kt.(string)), v)
			}
			_, err := dec.Token()
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			for dec.More() {
				v, err := decodeJSONNode(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, v)
			}
			_, err := dec.Token()
			return n, err
		}
	case string:
		return strNode(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return nullNode(), nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

func nullNode() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"} }

// strNode is a string scalar styled as Note [export layout] says.
func strNode(s string) *yaml.Node {
	n := &yaml.Node{}
	n.SetString(s) // literal style for multi-line strings
	if n.Style == 0 && shouldQuote(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// keyNode is a mapping key; CUE quotes keys as it quotes strings.
func keyNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if shouldQuote(s) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// includeNode is an !include line as the CLI writes it.
func includeNode(file string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.DoubleQuotedStyle, Value: includeTag + " " + file}
}

// shouldQuote reports whether CUE's YAML encoder double-quotes s: a
// string that a YAML 1.1 reader would take for a boolean, a date, a time
// or a base-60 number.
func shouldQuote(s string) bool { return legacyStrings[s] || legacyValue.MatchString(s) }

var legacyValue = regexp.MustCompile(`^[\-+0-9:\. \t]+([-:]|[tT])[\-+0-9:\. \t]+[zZ]?$`)

var legacyStrings = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"n": true, "N": true, "t": true, "T": true, "f": true, "F": true,
	"no": true, "No": true, "NO": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
	".Nan": true,
}

// encodeYAML encodes v as the CLI does: yaml.v3 at indent 2.
func encodeYAML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Helpers on mapping nodes.

// mapGet returns the value of key in mapping m, or nil.
func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// mapSet sets key in mapping m, appending it when new.
func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, keyNode(key), v)
}

// mapDelete removes key from mapping m.
func mapDelete(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// mapString returns the string value of key in m.
func mapString(m *yaml.Node, key string) string {
	if v := mapGet(m, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// reorder puts the keys of m listed in order first, in that order; the
// other keys follow as they were.
func reorder(m *yaml.Node, order ...string) {
	if m == nil || m.Kind != yaml.MappingNode {
		return
	}
	rank := map[string]int{}
	for i, k := range order {
		rank[k] = i
	}
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		pairs = append(pairs, pair{m.Content[i], m.Content[i+1]})
	}
	sort.SliceStable(pairs, func(i, j int) bool {
		ri, iok := rank[pairs[i].k.Value]
		rj, jok := rank[pairs[j].k.Value]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return false
	})
	m.Content = m.Content[:0]
	for _, p := range pairs {
		m.Content = append(m.Content, p.k, p.v)
	}
}

// sortKeys orders the keys of every mapping in n alphabetically, as aeson
// encodes objects (by code point; Go compares UTF-8 bytes, the same order).
func sortKeys(n *yaml.Node) {
	if n == nil {
		return
	}
	for _, c := range n.Content {
		sortKeys(c)
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	type pair struct{ k, v *yaml.Node }
	pairs := make([]pair, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i].k.Value < pairs[j].k.Value })
	n.Content = n.Content[:0]
	for _, p := range pairs {
		n.Content = append(n.Content, p.k, p.v)
	}
}

// sortItems orders the items of sequence s by key, a function of an item
// (stable, so items with equal keys keep their order).
func sortItems(s *yaml.Node, key func(*yaml.Node) string) {
	if s == nil || s.Kind != yaml.SequenceNode {
		return
	}
	sort.SliceStable(s.Content, func(i, j int) bool { return key(s.Content[i]) < key(s.Content[j]) })
}

// byField is a sortItems key: the string value of field name.
func byField(name string) func(*yaml.Node) string {
	return func(n *yaml.Node) string { return mapString(n, name) }
}
