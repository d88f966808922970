package plan

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/catalog"
	"github.com/graftql/graft/internal/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// Note [Relay]: /v1beta1/relay serves Hasura's Relay schema
// (hasura/graphql-engine: server/src-lib/Hasura/GraphQL/Schema/Relay.hs,
// Translate/Select/Internal/Process.hs processConnectionSelect). A
// connection orders its rows by order_by followed by the primary key
// columns not already in it; a cursor is the JSON object of a row's sort
// key values, base64-encoded; `after`/`before` keep the rows past a
// cursor in sort order; `first`/`last` then slice. A node id is the
// base64 of [1, "<schema>", "<table>", <primary key values...>].

// connection plans a Relay connection over t (or over fn's rows).
func (b *builder) connection(t *schema.Table, fn *FunctionCall, args ast.ArgumentList, set ast.SelectionSet, path string) (*Select, error) {
	p, err := b.perm(t, path)
	if err != nil {
		return nil, err
	}
	s := &Select{Shape: Connection, Table: t, Function: fn, Perm: permFilter(p), PermLimit: p.Limit, Conn: &ConnectionArgs{}}
	if err := b.listArgs(s, t, args, path); err != nil {
		return nil, err
	}
	s.OrderBy = b.withPrimaryKey(s.OrderBy, t)
	if err := b.connectionArgs(s, args, path+".args"); err != nil {
		return nil, err
	}
	fields, err := b.collect(set, "")
	if err != nil {
		return nil, err
	}
	for _, cf := range fields {
		fpath := path + ".selectionSet." + cf.alias
		switch cf.field.Name {
		case "__typename":
			s.Fields = append(s.Fields, &Field{Alias: cf.alias, Kind: FieldTypename, Typename: parentType(cf.field, t.TypeName+"Connection")})
		case "pageInfo":
			pi := &Field{Alias: cf.alias, Kind: FieldPageInfo}
			subs, err := b.collect(cf.merged, "PageInfo")
			if err != nil {
				return nil, err
			}
			for _, sub := range subs {
				k, ok := map[string]FieldKind{"hasNextPage": FieldHasNextPage, "hasPreviousPage": FieldHasPreviousPage,
					"startCursor": FieldStartCursor, "endCursor": FieldEndCursor, "__typename": FieldTypename}[sub.field.Name]
				if !ok {
					return nil, notFound(sub.field.Name, "PageInfo", fpath+".selectionSet."+sub.alias)
				}
				pi.Children = append(pi.Children, &Field{Alias: sub.alias, Kind: k, Typename: "PageInfo"})
			}
			s.Fields = append(s.Fields, pi)
		case "edges":
			ed := &Field{Alias: cf.alias, Kind: FieldEdges}
			subs, err := b.collect(cf.merged, t.TypeName+"Edge")
			if err != nil {
				return nil, err
			}
			for _, sub := range subs {
				spath := fpath + ".selectionSet." + sub.alias
				switch sub.field.Name {
				case "__typename":
					ed.Children = append(ed.Children, &Field{Alias: sub.alias, Kind: FieldTypename, Typename: parentType(sub.field, t.TypeName+"Edge")})
				case "cursor":
					ed.Children = append(ed.Children, &Field{Alias: sub.alias, Kind: FieldCursor})
				case "node":
					rows, err := b.rowFields(t, p, sub.merged, spath)
					if err != nil {
						return nil, err
					}
					ed.Children = append(ed.Children, &Field{Alias: sub.alias, Kind: FieldNode, Children: rows})
				default:
					return nil, notFound(sub.field.Name, t.TypeName+"Edge", spath)
				}
			}
			s.Fields = append(s.Fields, ed)
		default:
			return nil, notFound(cf.field.Name, t.TypeName+"Connection", fpath)
		}
	}
	return s, nil
}

// withPrimaryKey appends t's primary key columns that order_by does not
// already sort by, so that cursors identify rows.
func (b *builder) withPrimaryKey(obs []OrderBy, t *schema.Table) []OrderBy {
	for _, c := range t.PrimaryKey {
		present := false
		for _, ob := range obs {
			if len(ob.Path) == 0 && ob.Column != nil && ob.Column.Name == c.Name {
				present = true
				break
			}
		}
		if !present {
			col := b.visible(t, c)
			obs = append(obs, OrderBy{Column: &col, CursorPath: []string{c.Name}, Type: c.Operand()})
		}
	}
	return obs
}

func (b *builder) connectionArgs(s *Select, args ast.ArgumentList, path string) error {
	var first, last, after, before *ast.Argument
	for _, a := range args {
		switch a.Name {
		case "first":
			first = a
		case "last":
			last = a
		case "after":
			after = a
		case "before":
			before = a
		}
	}
	if first != nil && last != nil && !b.isNull(astVal(first.Value)) && !b.isNull(astVal(last.Value)) {
		return apierr.New(apierr.ValidationFailed, `"first" and "last" are not allowed at once`).At(path)
	}
	if after != nil && before != nil && !b.isNull(astVal(after.Value)) && !b.isNull(astVal(before.Value)) {
		return apierr.New(apierr.ValidationFailed, `"after" and "before" are not allowed at once`).At(path)
	}
	for _, a := range []*ast.Argument{first, last} {
		if a == nil || b.isNullLiteral(astVal(a.Value)) {
			continue
		}
		if err := b.nonNegative(astVal(a.Value), path+"."+a.Name, kindNonNegative); err != nil {
			return err
		}
		op := b.operand(astVal(a.Value), intType)
		if a == first {
			s.Conn.First = &op
		} else {
			s.Conn.Last = &op
		}
	}
	cursorArg := after
	if before != nil && !b.isNull(astVal(before.Value)) {
		cursorArg = before
		s.Conn.Before = true
	}
	if cursorArg == nil || b.isNull(astVal(cursorArg.Value)) {
		return nil
	}
	raw, ok := b.name(astVal(cursorArg.Value))
	if !ok {
		return apierr.New(apierr.ValidationFailed, "expected a string for the cursor").At(path + "." + cursorArg.Name)
	}
	cursor, err := decodeBase64JSON(raw)
	if err != nil {
		return apierr.New(apierr.ValidationFailed, "the %q cursor is invalid", cursorArg.Name).At(path + "." + cursorArg.Name)
	}
	for _, ob := range s.OrderBy {
		v, ok := lookupPath(cursor, ob.CursorPath)
		if !ok {
			return apierr.New(apierr.ValidationFailed, "the %q cursor is invalid", cursorArg.Name).At(path + "." + cursorArg.Name)
		}
		s.Conn.Split = append(s.Conn.Split, boolexp.Operand{Value: boolexp.Const{V: v}, Type: ob.Type})
	}
	return nil
}

func decodeBase64JSON(s string) (any, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return nil, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) && strings.Contains(se.Error(), "looking for beginning of value") && se.Offset > 0 {
			return nil, notJSONAt(raw[se.Offset-1:])
		}
		return nil, err
	}
	return v, nil
}

// notJSON is aeson's "not a valid json value at '...'": the input from
// where a value was expected, white space dropped, each byte a character.
type notJSON struct{ rest string }

func (e notJSON) Error() string { return "Failed reading: not a valid json value at '" + e.rest + "'" }

func notJSONAt(rest []byte) notJSON {
	var b strings.Builder
	for _, c := range rest {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			b.WriteRune(rune(c))
		}
	}
	return notJSON{b.String()}
}

func lookupPath(v any, path []string) (any, bool) {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = m[p]
		if !ok {
			return nil, false
		}
	}
	return v, true
}

// node plans node(id: ID!): the id names a table and a primary key; the
// selection set applies to that table's type.
func (b *builder) node(args ast.ArgumentList, set ast.SelectionSet, path string) (*Select, error) {
	a := args.ForName("id")
	if a == nil {
		return nil, apierr.New(apierr.ValidationFailed, "missing required field 'id'").At(path + ".args")
	}
	idPath := path + ".args.id"
	raw, ok := b.name(astVal(a.Value))
	if !ok {
		return nil, apierr.New(apierr.ValidationFailed, "invalid node id").At(path)
	}
	t, pk, err := b.decodeNodeID(raw, idPath, path)
	if err != nil {
		return nil, err
	}
	p, err := b.perm(t, path)
	if err != nil {
		return nil, err
	}
	var where boolexp.And
	for i, c := range t.PrimaryKey {
		where = append(where, &boolexp.Compare{Column: b.visible(t, c), Op: boolexp.OpEq, Args: []boolexp.Operand{{Value: boolexp.Const{V: pk[i]}, Type: c.Operand()}}})
	}
	s := &Select{Shape: One, Table: t, Perm: permFilter(p), Where: where}
	s.Fields, err = b.rowFields(t, p, set, path)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// decodeNodeID decodes a node id into its table and primary key values,
// with Hasura's error messages.
func (b *builder) decodeNodeID(raw, idPath, path string) (*schema.Table, []any, error) {
	invalid := func(format string, args ...any) error {
		return apierr.New(apierr.ValidationFailed, "invalid node id: "+format, args...).At(idPath)
	}
	v, err := decodeBase64JSON(raw)
	if nj := (notJSON{}); errors.As(err, &nj) {
		return nil, nil, invalid("Error in $: %s", nj.Error())
	}
	if err != nil {
		return nil, nil, invalid("Error in $: Failed reading: not a valid json value")
	}
	list, ok := v.([]any)
	if !ok {
		return nil, nil, invalid("Error in $: parsing node id failed, expected Array, but encountered %s", apierr.JSONKind(v))
	}
	if len(list) == 0 {
		return nil, nil, invalid("Error in $: unexpected GUID format, needs to start with a version number")
	}
	ver, ok := list[0].(json.Number)
	if !ok {
		return nil, nil, invalid("Error in $: unexpected GUID format, needs to start with a version number")
	}
	if ver.String() != "1" {
		f, _ := ver.Float64()
		return nil, nil, invalid("Error in $: unsupported GUID version: %s", fmt.Sprintf("%.1f", f))
	}
	if len(list) < 4 {
		return nil, nil, invalid("Error in $: GUID version 1: expecting schema name, table name and at least one column value")
	}
	sch, ok1 := list[1].(string)
	name, ok2 := list[2].(string)
	if !ok1 || !ok2 {
		return nil, nil, invalid("Error in $: GUID version 1: expecting schema name, table name and at least one column value")
	}
	t := b.in.Model.TableByName[catalog.QualifiedName{Schema: sch, Name: name}]
	if t == nil || len(t.PrimaryKey) == 0 {
		return nil, nil, apierr.New(apierr.ValidationFailed, "invalid node id").At(path)
	}
	if _, ok := t.SelectPermission(b.role); !ok {
		return nil, nil, apierr.New(apierr.ValidationFailed, "invalid node id").At(path)
	}
	vals := list[3:]
	if len(vals) < len(t.PrimaryKey) {
		var missing []string
		for _, c := range t.PrimaryKey[len(vals):] {
			missing = append(missing, "'"+c.Name+"'")
		}
		return nil, nil, invalid("primary key columns [%s] are missing", strings.Join(missing, ", "))
	}
	if len(vals) > len(t.PrimaryKey) {
		extra, _ := json.Marshal(vals[len(t.PrimaryKey):])
		return nil, nil, invalid("unexpected column values %s", strings.ReplaceAll(string(extra), ",", ", "))
	}
	for i, c := range t.PrimaryKey {
		if c.Scalar == "String" {
			if _, ok := vals[i].(string); !ok {
				return nil, nil, apierr.New(apierr.ParseFailed, "value of column '%s' in node id: parsing Text failed, expected String, but encountered %s", c.Name, apierr.JSONKind(vals[i])).At(path)
			}
		}
	}
	return t, vals, nil
}
