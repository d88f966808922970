package metaapi_test

import (
	"fmt"
	"strconv"
	"strings"
)

// parseYAML reads the subset of YAML that Hasura's test files use: block
// mappings and sequences, plain, quoted and block scalars (| and >), flow
// collections and comments. It is test-only: graft's dependency list has no
// YAML library, and these files need nothing more. Values decode as
// encoding/json would: map[string]any, []any, string, int64, float64,
// bool, nil.
func parseYAML(src string) (any, error) {
	p := &yparser{lines: strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")}
	p.skip()
	if p.i < len(p.lines) && strings.TrimSpace(p.lines[p.i]) == "---" {
		p.i++
		p.skip()
	}
	if p.i >= len(p.lines) {
		return nil, nil
	}
	v, err := p.node(indentOf(p.lines[p.i]))
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i < len(p.lines) && strings.TrimSpace(p.lines[p.i]) != "..." {
		return nil, fmt.Errorf("line %d: unexpected content %q", p.i+1, p.lines[p.i])
	}
	return v, nil
}

type yparser struct {
	lines   []string
	i       int
	anchors map[string]any
}

// anchor splits a leading "&name" off a value.
func anchor(rest string) (name, value string) {
	if !strings.HasPrefix(rest, "&") {
		return "", rest
	}
	end := strings.IndexAny(rest, " \t")
	if end < 0 {
		return rest[1:], ""
	}
	return rest[1:end], strings.TrimSpace(rest[end:])
}

func (p *yparser) setAnchor(name string, v any) {
	if name == "" {
		return
	}
	if p.anchors == nil {
		p.anchors = map[string]any{}
	}
	p.anchors[name] = v
}

func indentOf(s string) int { return len(s) - len(strings.TrimLeft(s, " ")) }

// significant reports whether a line has content other than a comment.
func significant(s string) bool {
	t := strings.TrimSpace(s)
	return t != "" && !strings.HasPrefix(t, "#")
}

// skip moves past blank and comment lines.
func (p *yparser) skip() {
	for p.i < len(p.lines) && !significant(p.lines[p.i]) {
		p.i++
	}
}

func isSeqItem(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// node parses the node whose first line is the current line, at indent n.
func (p *yparser) node(n int) (any, error) {
	p.skip()
	if p.i >= len(p.lines) {
		return nil, nil
	}
	t := strings.TrimSpace(p.lines[p.i])
	if isSeqItem(t) {
		return p.sequence(n)
	}
	if _, _, ok := splitKey(t); ok {
		return p.mapping(n)
	}
	// A scalar or flow collection on its own line(s).
	text := strings.TrimLeft(p.lines[p.i], " ")
	p.i++
	return p.inlineValue(text, n-1)
}

func (p *yparser) sequence(n int) (any, error) {
	out := []any{}
	for {
		p.skip()
		if p.i >= len(p.lines) {
			return out, nil
		}
		line := p.lines[p.i]
		if indentOf(line) != n || !isSeqItem(strings.TrimSpace(line)) {
			if indentOf(line) > n {
				return nil, fmt.Errorf("line %d: bad indentation", p.i+1)
			}
			return out, nil
		}
		rest := strings.TrimSpace(line)[1:]
		name, value := anchor(strings.TrimSpace(rest))
		if name != "" || strings.HasPrefix(value, "*") {
			if strings.HasPrefix(value, "*") {
				out = append(out, p.anchors[stripComment(value)[1:]])
				p.i++
				continue
			}
			if value != "" {
				// "- &a x": keep x at its column.
				rest = strings.Repeat(" ", len(rest)-len(strings.TrimLeft(rest, " "))) + value
			} else {
				rest = ""
			}
		}
		if strings.TrimSpace(rest) == "" || strings.HasPrefix(strings.TrimSpace(rest), "#") {
			p.i++
			p.skip()
			if p.i < len(p.lines) && indentOf(p.lines[p.i]) > n {
				v, err := p.node(indentOf(p.lines[p.i]))
				if err != nil {
					return nil, err
				}
				p.setAnchor(name, v)
				out = append(out, v)
			} else {
				out = append(out, nil)
			}
			continue
		}
		// "- x": parse x as if it started at column n+2.
		inner := n + 1 + indentOf(rest)
		p.lines[p.i] = strings.Repeat(" ", inner) + strings.TrimLeft(rest, " ")
		v, err := p.node(inner)
		if err != nil {
			return nil, err
		}
		p.setAnchor(name, v)
		out = append(out, v)
	}
}

// splitKey splits "key: value" (or "key:"); ok is false when t is not a
// mapping entry.
func splitKey(t string) (key, rest string, ok bool) {
	if strings.HasPrefix(t, `"`) || strings.HasPrefix(t, `'`) {
		q := t[0]
		end := -1
		for j := 1; j < len(t); j++ {
			if q == '\'' && t[j] == '\'' && j+1 < len(t) && t[j+1] == '\'' {
				j++
				continue
			}
			if q == '"' && t[j] == '\\' {
				j++
				continue
			}
			if t[j] == q {
				end = j
				break
			}
		}
		if end < 0 {
			return "", "", false
		}
		after := t[end+1:]
		if !strings.HasPrefix(after, ":") || (len(after) > 1 && after[1] != ' ') {
			return "", "", false
		}
		k, err := unquote(t[:end+1])
		if err != nil {
			return "", "", false
		}
		return k, strings.TrimSpace(after[1:]), true
	}
	if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
		return "", "", false
	}
	for j := 0; j < len(t); j++ {
		if t[j] == '#' && j > 0 && t[j-1] == ' ' {
			return "", "", false
		}
		if t[j] == ':' && (j+1 == len(t) || t[j+1] == ' ') {
			return strings.TrimSpace(t[:j]), strings.TrimSpace(t[j+1:]), true
		}
	}
	return "", "", false
}

func (p *yparser) mapping(n int) (any, error) {
	out := map[string]any{}
	for {
		p.skip()
		if p.i >= len(p.lines) {
			return out, nil
		}
		line := p.lines[p.i]
		ind := indentOf(line)
		t := strings.TrimSpace(line)
		if ind < n {
			return out, nil
		}
		if ind > n {
			return nil, fmt.Errorf("line %d: bad indentation", p.i+1)
		}
		if isSeqItem(t) {
			return out, nil
		}
		key, rest, ok := splitKey(t)
		if !ok {
			return nil, fmt.Errorf("line %d: expected a mapping key: %q", p.i+1, t)
		}
		p.i++
		rest = stripComment(rest)
		name, rest := anchor(rest)
		var v any
		var err error
		switch {
		case strings.HasPrefix(rest, "*"):
			v = p.anchors[rest[1:]]
		case rest == "":
			p.skip()
			if p.i < len(p.lines) {
				next := p.lines[p.i]
				switch {
				case indentOf(next) > n:
					v, err = p.node(indentOf(next))
				case indentOf(next) == n && isSeqItem(strings.TrimSpace(next)):
					v, err = p.sequence(n)
				}
			}
		case rest[0] == '|' || rest[0] == '>':
			v = p.blockScalar(rest, n)
		default:
			v, err = p.inlineValue(rest, n)
		}
		if err != nil {
			return nil, err
		}
		p.setAnchor(name, v)
		out[key] = v
	}
}

// stripComment removes a trailing " # comment" outside quotes.
func stripComment(s string) string {
	var q byte
	for j := 0; j < len(s); j++ {
		c := s[j]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			if j == 0 || s[j-1] == ' ' || s[j-1] == '[' || s[j-1] == '{' || s[j-1] == ',' || s[j-1] == ':' {
				q = c
			}
		case c == '#' && (j == 0 || s[j-1] == ' '):
			return strings.TrimSpace(s[:j])
		}
	}
	return strings.TrimSpace(s)
}

// blockScalar reads a | or > scalar whose header is h, under a key at
// indent n.
func (p *yparser) blockScalar(h string, n int) string {
	folded := h[0] == '>'
	chomp := byte(0)
	explicit := 0
	for _, c := range h[1:] {
		switch {
		case c == '-' || c == '+':
			chomp = byte(c)
		case c >= '1' && c <= '9':
			explicit = int(c - '0')
		}
	}
	var lines []string
	indent := -1
	if explicit > 0 {
		indent = n + explicit
	}
	for p.i < len(p.lines) {
		line := p.lines[p.i]
		if strings.TrimSpace(line) == "" {
			lines = append(lines, "")
			p.i++
			continue
		}
		ind := indentOf(line)
		if indent < 0 {
			if ind <= n {
				break
			}
			indent = ind
		}
		if ind < indent {
			break
		}
		lines = append(lines, line[indent:])
		p.i++
	}
	// Trailing blank lines belong to the chomping, not the content.
	trailing := 0
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
		trailing++
	}
	var b strings.Builder
	for j, l := range lines {
		if j > 0 {
			prev := lines[j-1]
			if folded && l != "" && prev != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(prev, " ") {
				b.WriteByte(' ')
			} else if folded && l == "" {
				// an empty line in folded text is a newline; handled below
				b.WriteByte('\n')
				continue
			} else if folded && prev == "" {
				// the newline was already written for the empty line
			} else {
				b.WriteByte('\n')
			}
		}
		b.WriteString(l)
	}
	s := b.String()
	switch chomp {
	case '-':
	case '+':
		if len(lines) > 0 {
			s += "\n"
		}
		s += strings.Repeat("\n", trailing)
	default:
		if len(lines) > 0 {
			s += "\n"
		}
	}
	return s
}

// inlineValue parses a value that starts on the current key's line (text),
// reading continuation lines indented more than n.
func (p *yparser) inlineValue(text string, n int) (any, error) {
	switch text[0] {
	case '"', '\'':
		full := text
		for !closedQuote(full) && p.i < len(p.lines) {
			full += "\n" + p.lines[p.i]
			p.i++
		}
		end := closingQuote(full)
		if end < 0 {
			return nil, fmt.Errorf("line %d: unterminated quoted scalar", p.i)
		}
		if rest := stripComment(full[end+1:]); rest != "" {
			return nil, fmt.Errorf("line %d: text after quoted scalar: %q", p.i, rest)
		}
		return unquote(foldQuoted(full[:end+1]))
	case '{', '[':
		full := text
		for !balanced(full) && p.i < len(p.lines) {
			full += " " + strings.TrimSpace(p.lines[p.i])
			p.i++
		}
		fp := &flowParser{s: stripComment(full)}
		v, err := fp.value()
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", p.i, err)
		}
		return v, nil
	}
	parts := []string{stripComment(text)}
	for p.i < len(p.lines) {
		line := p.lines[p.i]
		if strings.TrimSpace(line) == "" {
			// A blank line inside a plain scalar is a newline.
			j := p.i
			for j < len(p.lines) && strings.TrimSpace(p.lines[j]) == "" {
				j++
			}
			if j < len(p.lines) && indentOf(p.lines[j]) > n && !strings.HasPrefix(strings.TrimSpace(p.lines[j]), "#") {
				parts = append(parts, "\n")
				p.i = j
				continue
			}
			break
		}
		if indentOf(line) <= n || strings.HasPrefix(strings.TrimSpace(line), "#") {
			break
		}
		parts = append(parts, stripComment(strings.TrimSpace(line)))
		p.i++
	}
	s := ""
	for j, part := range parts {
		if j > 0 && part != "\n" && parts[j-1] != "\n" {
			s += " "
		}
		s += part
	}
	return plainScalar(s), nil
}

func closingQuote(s string) int {
	q := s[0]
	for j := 1; j < len(s); j++ {
		if q == '\'' && s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				j++
				continue
			}
			return j
		}
		if q == '"' {
			if s[j] == '\\' {
				j++
				continue
			}
			if s[j] == '"' {
				return j
			}
		}
	}
	return -1
}

func closedQuote(s string) bool { return closingQuote(s) >= 0 }

// foldQuoted folds the line breaks of a multi-line quoted scalar: a break
// becomes a space, an empty line a newline; indentation is dropped.
func foldQuoted(s string) string {
	if !strings.Contains(s, "\n") {
		return s
	}
	lines := strings.Split(s, "\n")
	var b strings.Builder
	for j, l := range lines {
		if j > 0 {
			l = strings.TrimLeft(l, " \t")
		}
		if j < len(lines)-1 || j == 0 {
			l = strings.TrimRight(l, " \t")
		}
		switch {
		case j == 0:
			b.WriteString(l)
		case l == "" && j < len(lines)-1:
			b.WriteByte('\n')
		default:
			cur := b.String()
			switch {
			case strings.HasSuffix(cur, "\\") && !strings.HasSuffix(cur, "\\\\"):
				// An escaped line break joins the lines without a space.
				b.Reset()
				b.WriteString(cur[:len(cur)-1])
			case !strings.HasSuffix(cur, "\n"):
				b.WriteByte(' ')
			}
			b.WriteString(l)
		}
	}
	return b.String()
}

func unquote(s string) (string, error) {
	if s[0] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	}
	body := s[1 : len(s)-1]
	var b strings.Builder
	for j := 0; j < len(body); j++ {
		c := body[j]
		if c != '\\' || j+1 == len(body) {
			b.WriteByte(c)
			continue
		}
		j++
		switch body[j] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '0':
			b.WriteByte(0)
		case '"', '\\', '/', ' ':
			b.WriteByte(body[j])
		case 'x', 'u', 'U':
			size := map[byte]int{'x': 2, 'u': 4, 'U': 8}[body[j]]
			if j+size >= len(body)+1 {
				return "", fmt.Errorf("bad escape in %q", s)
			}
			r, err := strconv.ParseUint(body[j+1:j+1+size], 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad escape in %q", s)
			}
			b.WriteRune(rune(r))
			j += size
		default:
			b.WriteByte('\\')
			b.WriteByte(body[j])
		}
	}
	return b.String(), nil
}

// plainScalar resolves an unquoted scalar as YAML 1.2's core schema.
func plainScalar(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if (s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.' {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xX_") {
			return f
		}
	}
	return s
}

func balanced(s string) bool {
	depth := 0
	var q byte
	for j := 0; j < len(s); j++ {
		c := s[j]
		switch {
		case q != 0:
			if c == '\\' && q == '"' {
				j++
			} else if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return depth <= 0
}

// flowParser parses a flow collection: {a: 1, b: [x, "y"]}.
type flowParser struct {
	s string
	j int
}

func (f *flowParser) ws() {
	for f.j < len(f.s) && (f.s[f.j] == ' ' || f.s[f.j] == '\t') {
		f.j++
	}
}

func (f *flowParser) value() (any, error) {
	f.ws()
	if f.j >= len(f.s) {
		return nil, fmt.Errorf("unexpected end of flow collection")
	}
	switch f.s[f.j] {
	case '{':
		f.j++
		out := map[string]any{}
		for {
			f.ws()
			if f.j < len(f.s) && f.s[f.j] == '}' {
				f.j++
				return out, nil
			}
			k, err := f.scalar(true)
			if err != nil {
				return nil, err
			}
			f.ws()
			var v any
			if f.j < len(f.s) && f.s[f.j] == ':' {
				f.j++
				if v, err = f.value(); err != nil {
					return nil, err
				}
			}
			out[fmt.Sprint(k)] = v
			f.ws()
			if f.j < len(f.s) && f.s[f.j] == ',' {
				f.j++
			}
		}
	case '[':
		f.j++
		out := []any{}
		for {
			f.ws()
			if f.j < len(f.s) && f.s[f.j] == ']' {
				f.j++
				return out, nil
			}
			v, err := f.value()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
			f.ws()
			if f.j < len(f.s) && f.s[f.j] == ',' {
				f.j++
			}
		}
	}
	return f.scalar(false)
}

func (f *flowParser) scalar(key bool) (any, error) {
	f.ws()
	if f.j < len(f.s) && (f.s[f.j] == '"' || f.s[f.j] == '\'') {
		end := closingQuote(f.s[f.j:])
		if end < 0 {
			return nil, fmt.Errorf("unterminated quoted scalar")
		}
		s, err := unquote(f.s[f.j : f.j+end+1])
		f.j += end + 1
		return s, err
	}
	start := f.j
	for f.j < len(f.s) {
		c := f.s[f.j]
		if c == ',' || c == ']' || c == '}' || (key && c == ':') || (c == ':' && f.j+1 < len(f.s) && f.s[f.j+1] == ' ') {
			break
		}
		f.j++
	}
	s := strings.TrimSpace(f.s[start:f.j])
	if key {
		return s, nil
	}
	return plainScalar(s), nil
}
