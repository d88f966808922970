package auth

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// jsonPath is a parsed JSON path such as $.hasura['claims%'] or $.roles[0],
// the syntax of claims_namespace_path and claims_map paths
// (hasura/graphql-engine: server/src-lib/Data/Parser/JSONPath.hs).
type jsonPath []pathElem

// pathElem is one step: a key, or an index when isIndex.
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

var errBadPath = errors.New("bad json path")

// parseJSONPath parses "$", "$.a.b", "$['a b']", `$["a"]`, "$.a[0]"; the
// leading "$" is optional, as in Hasura.
func parseJSONPath(s string) (jsonPath, error) {
	if s == "$" {
		return jsonPath{}, nil
	}
	rest := strings.TrimPrefix(s, "$")
	var p jsonPath
	for rest != "" {
		var e pathElem
		var err error
		rest = strings.TrimPrefix(rest, ".")
		if strings.HasPrefix(rest, "[") {
			e, rest, err = parseBracket(rest)
		} else {
			e, rest, err = parseName(rest)
		}
		if err != nil {
			return nil, pathError(s)
		}
		p = append(p, e)
	}
	if len(p) == 0 {
		return nil, pathError(s)
	}
	return p, nil
}

// pathError has Hasura's text for a path it cannot parse.
func pathError(s string) error {
	return errors.New(s + `. Accept letters, digits, underscore (_) or hyphen (-) only. Use quotes enclosed in bracket (["..."]) if there is any special character`)
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// parseName reads a property name: a letter or underscore, then letters,
// digits, underscores and hyphens.
func parseName(s string) (pathElem, string, error) {
	if s == "" || !(isLetter(s[0]) || s[0] == '_') {
		return pathElem{}, s, errBadPath
	}
	i := 1
	for i < len(s) && (isLetter(s[i]) || isDigit(s[i]) || s[i] == '_' || s[i] == '-') {
		i++
	}
	return pathElem{key: s[:i]}, s[i:], nil
}

// parseBracket reads [42], ["key"] or ['key'] (JSON escapes allowed; \' in
// single quotes).
func parseBracket(s string) (pathElem, string, error) {
	s = s[1:]
	if s == "" {
		return pathElem{}, s, errBadPath
	}
	switch q := s[0]; {
	case isDigit(q):
		i := 0
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		n, err := strconv.Atoi(s[:i])
		if err != nil || i >= len(s) || s[i] != ']' {
			return pathElem{}, s, errBadPath
		}
		return pathElem{index: n, isIndex: true}, s[i+1:], nil
	case q == '"' || q == '\'':
		var b strings.Builder
		b.WriteByte('"')
		i := 1
		for ; i < len(s) && s[i] != q; i++ {
			switch {
			case s[i] == '\\' && i+1 < len(s):
				if q == '\'' && s[i+1] == '\'' {
					b.WriteByte('\'')
				} else {
					b.WriteByte('\\')
					b.WriteByte(s[i+1])
				}
				i++
			case s[i] == '"':
				b.WriteString(`\"`)
			default:
				b.WriteByte(s[i])
			}
		}
		if i+1 >= len(s) || s[i+1] != ']' {
			return pathElem{}, s, errBadPath
		}
		b.WriteByte('"')
		var key string
		if err := json.Unmarshal([]byte(b.String()), &key); err != nil {
			return pathElem{}, s, errBadPath
		}
		return pathElem{key: key}, s[i+2:], nil
	}
	return pathElem{}, s, errBadPath
}

// String encodes p as Hasura does in its messages: simple keys as .key,
// others as ["key"] (JSON-quoted), indexes as [n].
func (p jsonPath) String() string {
	var b strings.Builder
	b.WriteByte('$')
	for _, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		case simpleKey(e.key):
			b.WriteString("." + e.key)
		default:
			q, _ := json.Marshal(e.key)
			b.WriteString("[" + string(q) + "]")
		}
	}
	return b.String()
}

func simpleKey(k string) bool {
	if k == "" || !(isLetter(k[0]) || k[0] == '_') {
		return false
	}
	for i := 1; i < len(k); i++ {
		if !(isLetter(k[i]) || isDigit(k[i]) || k[i] == '_' || k[i] == '-') {
			return false
		}
	}
	return true
}

// lookup walks v (decoded JSON) along p; ok is false when a step is missing.
func (p jsonPath) lookup(v any) (any, bool) {
	for _, e := range p {
		if e.isIndex {
			a, ok := v.([]any)
			if !ok || e.index >= len(a) {
				return nil, false
			}
			v = a[e.index]
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[e.key]; !ok {
			return nil, false
		}
	}
	return v, true
}
