// Package introspect answers GraphQL introspection: the __schema and
// __type(name:) root fields, executed against a role's *ast.Schema with the
// output Hasura gives (hasura/graphql-engine:
// server/src-lib/Hasura/GraphQL/Schema/Introspect.hs).
//
// [Execute] takes a field the validator has already checked and returns the
// JSON of its value. What it returns is what Hasura returns:
//
//   - types, fields, arguments, input fields, enum values, interfaces and
//     possible types are listed sorted by name; directives are listed @include,
//     @skip, @cached, then any other by name; directive arguments keep their
//     declared order;
//   - an empty description is null;
//   - isDeprecated is always false and deprecationReason null: nothing is
//     deprecated;
//   - a NON_NULL type has no name but its named type's description;
//   - defaultValue is the GraphQL text of the default value, or null.
//
// Keys appear in selection order, aliases and __typename are honoured, and
// fragments, inline fragments, @skip and @include are applied. Execute only
// reads the schema, so it is safe for concurrent use.
package introspect

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// ErrNotIntrospection is returned for a field other than __schema and __type.
var ErrNotIntrospection = errors.New("not an introspection field")

// Execute returns the JSON value of field, a validated __schema or
// __type(name:) root field, against s. vars are the operation's coerced
// variable values, used by arguments and @skip/@include.
func Execute(s *ast.Schema, field *ast.Field, vars map[string]any) ([]byte, error) {
	e := &executor{s: s, vars: vars, buf: make([]byte, 0, 4096)}
	switch field.Name {
	case "__schema":
		e.schema(field.SelectionSet)
	case "__type":
		name, err := e.stringArg(field, "name")
		if err != nil {
			e.err = err
			break
		}
		if def := s.Types[name]; def != nil {
			e.typ(&ast.Type{NamedType: def.Name}, field.SelectionSet)
		} else {
			e.null()
		}
	default:
		return nil, fmt.Errorf("introspect field %q: %w", field.Name, ErrNotIntrospection)
	}
	if e.err != nil {
		return nil, fmt.Errorf("introspect %s: %w", field.Name, e.err)
	}
	return e.bytes(), nil
}

type executor struct {
	s    *ast.Schema
	vars map[string]any
	buf  []byte
	err  error
	// groups caches collect: a full introspection applies the same few
	// selection sets to thousands of types.
	groups map[collectKey][]*group
	// done holds the filled chunks of the output: appending to one slice
	// would copy a large result many times over as it grows.
	done [][]byte
}

const chunkSize = 1 << 20

// bytes returns the whole output.
func (e *executor) bytes() []byte {
	if len(e.done) == 0 {
		return e.buf
	}
	n := len(e.buf)
	for _, c := range e.done {
		n += len(c)
	}
	out := make([]byte, 0, n)
	for _, c := range e.done {
		out = append(out, c...)
	}
	return append(out, e.buf...)
}

type collectKey struct {
	first    ast.Selection
	n        int
	typeName string
}

// -----------------------------------------------------------------------------
// Selection sets

// group is the fields of a selection set that share a response key.
type group struct {
	key    string
	name   string
	fields []*ast.Field
	merged ast.SelectionSet // sub's result when there are several fields
}

// collect returns the fields of set that apply to an object of type
// typeName, grouped by response key in order of first appearance (the
// spec's CollectFields).
func (e *executor) collect(set ast.SelectionSet, typeName string) []*group {
	if len(set) == 0 {
		return nil
	}
	key := collectKey{first: set[0], n: len(set), typeName: typeName}
	if groups, ok := e.groups[key]; ok {
		return groups
	}
	var groups []*group
	e.collectInto(set, typeName, &groups, nil)
	if e.groups == nil {
		e.groups = make(map[collectKey][]*group)
	}
	e.groups[key] = groups
	return groups
}

func (e *executor) collectInto(set ast.SelectionSet, typeName string, groups *[]*group, visited map[string]bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if !e.included(sel.Directives) {
				continue
			}
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			var g *group
			for _, x := range *groups {
				if x.key == key {
					g = x
					break
				}
			}
			if g == nil {
				g = &group{key: key, name: sel.Name}
				*groups = append(*groups, g)
			}
			g.fields = append(g.fields, sel)
		case *ast.InlineFragment:
			if !e.included(sel.Directives) || !e.applies(sel.TypeCondition, typeName) {
				continue
			}
			e.collectInto(sel.SelectionSet, typeName, groups, visited)
		case *ast.FragmentSpread:
			if !e.included(sel.Directives) || visited[sel.Name] {
				continue
			}
			def := sel.Definition
			if def == nil {
				e.fail(fmt.Errorf("fragment %q is not defined", sel.Name))
				continue
			}
			if !e.applies(def.TypeCondition, typeName) {
				continue
			}
			if visited == nil {
				visited = make(map[string]bool)
			}
			visited[sel.Name] = true
			e.collectInto(def.SelectionSet, typeName, groups, visited)
		}
	}
}

// applies reports whether a fragment on cond applies to typeName.
func (e *executor) applies(cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	def := e.s.Types[cond]
	if def == nil || !def.IsAbstractType() {
		return false
	}
	for _, p := range e.s.PossibleTypes[cond] {
		if p.Name == typeName {
			return true
		}
	}
	return slices.Contains(def.Types, typeName)
}

// included applies @skip and @include.
func (e *executor) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		arg := d.Arguments.ForName("if")
		if arg == nil {
			continue
		}
		v, err := arg.Value.Value(e.vars)
		if err != nil {
			e.fail(err)
			return false
		}
		b, _ := v.(bool)
		if d.Name == "skip" && b || d.Name == "include" && !b {
			return false
		}
	}
	return true
}

// sub returns the merged selection sets of a group.
func (g *group) sub() ast.SelectionSet {
	if len(g.fields) == 1 {
		return g.fields[0].SelectionSet
	}
	if g.merged == nil {
		for _, f := range g.fields {
			g.merged = append(g.merged, f.SelectionSet...)
		}
	}
	return g.merged
}

func (e *executor) stringArg(f *ast.Field, name string) (string, error) {
	arg := f.Arguments.ForName(name)
	if arg == nil {
		return "", fmt.Errorf("missing argument %q", name)
	}
	v, err := arg.Value.Value(e.vars)
	if err != nil {
		return "", fmt.Errorf("argument %q: %w", name, err)
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("argument %q: expected a string, got %T", name, v)
	}
	return s, nil
}

func (e *executor) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// object writes an object of type typeName: each group's key, then what
// value writes for it.
func (e *executor) object(set ast.SelectionSet, typeName string, value func(g *group)) {
	if len(e.buf) > chunkSize-4096 {
		e.done = append(e.done, e.buf)
		e.buf = make([]byte, 0, chunkSize)
	}
	e.buf = append(e.buf, '{')
	for i, g := range e.collect(set, typeName) {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(g.key)
		e.buf = append(e.buf, ':')
		if g.name == "__typename" {
			e.str(typeName)
			continue
		}
		value(g)
	}
	e.buf = append(e.buf, '}')
}

func (e *executor) unknown(typeName string, g *group) {
	e.fail(fmt.Errorf("field %q not found in type: %q", g.name, typeName))
	e.null()
}

// -----------------------------------------------------------------------------
// __Schema

// directiveOrder is the order of Hasura's advertised directives.
var directiveOrder = []string{"include", "skip", "cached"}

func (e *executor) schema(set ast.SelectionSet) {
	e.object(set, "__Schema", func(g *group) {
		switch g.name {
		case "description":
			e.optString(e.s.Description)
		case "types":
			names := make([]string, 0, len(e.s.Types))
			for name := range e.s.Types {
				names = append(names, name)
			}
			slices.Sort(names)
			e.list(len(names), func(i int) { e.typ(&ast.Type{NamedType: names[i]}, g.sub()) })
		case "queryType":
			e.rootType(e.s.Query, g)
		case "mutationType":
			e.rootType(e.s.Mutation, g)
		case "subscriptionType":
			e.rootType(e.s.Subscription, g)
		case "directives":
			dirs := e.directives()
			e.list(len(dirs), func(i int) { e.directive(dirs[i], g.sub()) })
		default:
			e.unknown("__Schema", g)
		}
	})
}

func (e *executor) rootType(def *ast.Definition, g *group) {
	if def == nil {
		e.null()
		return
	}
	e.typ(&ast.Type{NamedType: def.Name}, g.sub())
}

func (e *executor) directives() []*ast.DirectiveDefinition {
	dirs := make([]*ast.DirectiveDefinition, 0, len(e.s.Directives))
	for _, name := range directiveOrder {
		if d := e.s.Directives[name]; d != nil {
			dirs = append(dirs, d)
		}
	}
	var rest []*ast.DirectiveDefinition
	for name, d := range e.s.Directives {
		if !slices.Contains(directiveOrder, name) {
			rest = append(rest, d)
		}
	}
	slices.SortFunc(rest, func(a, b *ast.DirectiveDefinition) int { return cmp.Compare(a.Name, b.Name) })
	return append(dirs, rest...)
}

// -----------------------------------------------------------------------------
// __Type

// typ writes the __Type of t: a named type when t.NamedType is set and t is
// nullable, else a LIST or NON_NULL wrapper.
func (e *executor) typ(t *ast.Type, set ast.SelectionSet) {
	def := e.s.Types[t.Name()]
	named := t.Elem == nil && !t.NonNull
	e.object(set, "__Type", func(g *group) {
		switch g.name {
		case "kind":
			switch {
			case t.NonNull:
				e.str("NON_NULL")
			case t.Elem != nil:
				e.str("LIST")
			case def != nil:
				e.str(string(def.Kind))
			default:
				e.fail(fmt.Errorf("type %q is not defined", t.NamedType))
				e.null()
			}
		case "name":
			if named {
				e.str(t.NamedType)
			} else {
				e.null()
			}
		case "description":
			// Hasura reports the named type's description through a
			// NON_NULL wrapper too (typeField's description).
			if t.Elem == nil && def != nil {
				e.optString(def.Description)
			} else {
				e.null()
			}
		case "fields":
			if !named || def == nil || (def.Kind != ast.Object && def.Kind != ast.Interface) {
				e.null()
				return
			}
			fields := sortedFields(def.Fields, true)
			e.list(len(fields), func(i int) { e.field(fields[i], g.sub()) })
		case "interfaces":
			if !named || def == nil || def.Kind != ast.Object {
				e.null()
				return
			}
			names := slices.Sorted(slices.Values(def.Interfaces))
			e.list(len(names), func(i int) { e.typ(&ast.Type{NamedType: names[i]}, g.sub()) })
		case "possibleTypes":
			if !named || def == nil || !def.IsAbstractType() {
				e.null()
				return
			}
			var names []string
			if def.Kind == ast.Union {
				names = slices.Clone(def.Types)
			} else {
				for _, p := range e.s.PossibleTypes[def.Name] {
					names = append(names, p.Name)
				}
			}
			slices.Sort(names)
			e.list(len(names), func(i int) { e.typ(&ast.Type{NamedType: names[i]}, g.sub()) })
		case "enumValues":
			if !named || def == nil || def.Kind != ast.Enum {
				e.null()
				return
			}
			values := def.EnumValues
			byName := func(a, b *ast.EnumValueDefinition) int { return cmp.Compare(a.Name, b.Name) }
			if !slices.IsSortedFunc(values, byName) {
				values = slices.Clone(values)
				slices.SortStableFunc(values, byName)
			}
			e.list(len(values), func(i int) { e.enumValue(values[i], g.sub()) })
		case "inputFields":
			if !named || def == nil || def.Kind != ast.InputObject {
				e.null()
				return
			}
			fields := sortedFields(def.Fields, false)
			e.list(len(fields), func(i int) { e.inputField(fields[i], g.sub()) })
		case "ofType":
			switch {
			case t.NonNull:
				c := *t
				c.NonNull = false
				e.typ(&c, g.sub())
			case t.Elem != nil:
				e.typ(t.Elem, g.sub())
			default:
				e.null()
			}
		case "specifiedByURL":
			e.null()
		case "isOneOf":
			if named && def != nil && def.Kind == ast.InputObject {
				e.bool(def.Directives.ForName("oneOf") != nil)
			} else {
				e.null()
			}
		default:
			e.unknown("__Type", g)
		}
	})
}

// sortedFields returns fields sorted by name; for output types, without the
// __schema and __type fields of the query root.
func sortedFields(fields ast.FieldList, output bool) ast.FieldList {
	byName := func(a, b *ast.FieldDefinition) int { return cmp.Compare(a.Name, b.Name) }
	hidden := false
	if output {
		for _, f := range fields {
			if strings.HasPrefix(f.Name, "__") {
				hidden = true
				break
			}
		}
	}
	if !hidden && slices.IsSortedFunc(fields, byName) {
		return fields
	}
	out := make(ast.FieldList, 0, len(fields))
	for _, f := range fields {
		if !output || !strings.HasPrefix(f.Name, "__") {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, byName)
	return out
}

// -----------------------------------------------------------------------------
// __Field, __InputValue, __EnumValue, __Directive

func (e *executor) field(f *ast.FieldDefinition, set ast.SelectionSet) {
	e.object(set, "__Field", func(g *group) {
		switch g.name {
		case "name":
			e.str(f.Name)
		case "description":
			e.optString(f.Description)
		case "args":
			args := f.Arguments
			byName := func(a, b *ast.ArgumentDefinition) int { return cmp.Compare(a.Name, b.Name) }
			if !slices.IsSortedFunc(args, byName) {
				args = slices.Clone(args)
				slices.SortStableFunc(args, byName)
			}
			e.list(len(args), func(i int) {
				e.inputValue(args[i].Name, args[i].Description, args[i].Type, args[i].DefaultValue, g.sub())
			})
		case "type":
			e.typ(f.Type, g.sub())
		case "isDeprecated":
			e.bool(false)
		case "deprecationReason":
			e.null()
		default:
			e.unknown("__Field", g)
		}
	})
}

func (e *executor) inputField(f *ast.FieldDefinition, set ast.SelectionSet) {
	e.inputValue(f.Name, f.Description, f.Type, f.DefaultValue, set)
}

func (e *executor) inputValue(name, desc string, t *ast.Type, def *ast.Value, set ast.SelectionSet) {
	e.object(set, "__InputValue", func(g *group) {
		switch g.name {
		case "name":
			e.str(name)
		case "description":
			e.optString(desc)
		case "type":
			e.typ(t, g.sub())
		case "defaultValue":
			if def == nil {
				e.null()
			} else {
				e.str(printValue(def))
			}
		case "isDeprecated":
			e.bool(false)
		case "deprecationReason":
			e.null()
		default:
			e.unknown("__InputValue", g)
		}
	})
}

func (e *executor) enumValue(v *ast.EnumValueDefinition, set ast.SelectionSet) {
	e.object(set, "__EnumValue", func(g *group) {
		switch g.name {
		case "name":
			e.str(v.Name)
		case "description":
			e.optString(v.Description)
		case "isDeprecated":
			e.bool(false)
		case "deprecationReason":
			e.null()
		default:
			e.unknown("__EnumValue", g)
		}
	})
}

func (e *executor) directive(d *ast.DirectiveDefinition, set ast.SelectionSet) {
	e.object(set, "__Directive", func(g *group) {
		switch g.name {
		case "name":
			e.str(d.Name)
		case "description":
			e.optString(d.Description)
		case "locations":
			e.list(len(d.Locations), func(i int) { e.str(string(d.Locations[i])) })
		case "args":
			e.list(len(d.Arguments), func(i int) {
				a := d.Arguments[i]
				e.inputValue(a.Name, a.Description, a.Type, a.DefaultValue, g.sub())
			})
		case "isRepeatable":
			e.bool(d.IsRepeatable)
		default:
			e.unknown("__Directive", g)
		}
	})
}

// printValue prints a default value as GraphQL text.
func printValue(v *ast.Value) string {
	var b strings.Builder
	writeValue(&b, v)
	return b.String()
}

func writeValue(b *strings.Builder, v *ast.Value) {
	switch v.Kind {
	case ast.StringValue, ast.BlockValue:
		b.WriteString(strconv.Quote(v.Raw))
	case ast.ListValue:
		b.WriteByte('[')
		for i, c := range v.Children {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValue(b, c.Value)
		}
		b.WriteByte(']')
	case ast.ObjectValue:
		b.WriteByte('{')
		for i, c := range v.Children {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.Name)
			b.WriteString(": ")
			writeValue(b, c.Value)
		}
		b.WriteByte('}')
	case ast.NullValue:
		b.WriteString("null")
	case ast.Variable:
		b.WriteString("$" + v.Raw)
	default: // Int, Float, Boolean, Enum
		b.WriteString(v.Raw)
	}
}

// -----------------------------------------------------------------------------
// JSON

func (e *executor) null() { e.buf = append(e.buf, "null"...) }

func (e *executor) bool(b bool) { e.buf = strconv.AppendBool(e.buf, b) }

func (e *executor) optString(s string) {
	if s == "" {
		e.null()
		return
	}
	e.str(s)
}

func (e *executor) list(n int, item func(i int)) {
	e.buf = append(e.buf, '[')
	for i := range n {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		item(i)
	}
	e.buf = append(e.buf, ']')
}

// str writes s as a JSON string escaped the way Hasura's aeson does: \" and
// \\, \n, \r and \t, other control characters as \u00XX; everything else,
// non-ASCII included, as it is.
func (e *executor) str(s string) {
	const hex = "0123456789abcdef"
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		e.buf = append(e.buf, s[start:i]...)
		switch c {
		case '"':
			e.buf = append(e.buf, '\\', '"')
		case '\\':
			e.buf = append(e.buf, '\\', '\\')
		case '\n':
			e.buf = append(e.buf, '\\', 'n')
		case '\r':
			e.buf = append(e.buf, '\\', 'r')
		case '\t':
			e.buf = append(e.buf, '\\', 't')
		default:
			e.buf = append(e.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
}
