package plan

import (
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
	"github.com/graftql/graft/internal/schema"
)

// orderBy parses an order_by argument: a list of <t>_order_by objects (or
// one object); keys of one object sort in their order.
func (b *builder) orderBy(t *schema.Table, v val, path string) ([]OrderBy, error) {
	var out []OrderBy
	for _, it := range b.items(v) {
		if b.isNull(it) {
			continue
		}
		keys, err := b.orderKeys(t, nil, nil, it, path)
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
	}
	return out, nil
}

// orderKeys parses one <t>_order_by object; steps are the object
// relationships followed so far and names their names (the cursor path).
func (b *builder) orderKeys(t *schema.Table, steps []*RelStep, names []string, v val, path string) ([]OrderBy, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	var out []OrderBy
	for _, e := range kvs {
		fpath := path + "." + e.name
		if b.isNull(e.v) {
			continue
		}
		if c, ok := t.ColumnByField(e.name); ok {
			ob, err := b.direction(e.v, fpath)
			if err != nil {
				return nil, err
			}
			col := b.visible(t, c)
			ob.Column, ob.Path = &col, steps
			ob.CursorPath, ob.Type = appendName(names, c.Name), c.Operand()
			out = append(out, ob)
			continue
		}
		if r, ok := t.Relationship(e.name); ok && r.Kind == schema.ObjectRel {
			p, err := b.perm(r.Target, fpath)
			if err != nil {
				return nil, err
			}
			step := &RelStep{Target: r.Target.Name, Mapping: r.Mapping, Perm: permFilter(p)}
			keys, err := b.orderKeys(r.Target, appendStep(steps, step), appendName(names, r.Name), e.v, fpath)
			if err != nil {
				return nil, err
			}
			out = append(out, keys...)
			continue
		}
		if cfd, ok := t.ComputedField(e.name); ok && cfd.ReturnTable == nil {
			ob, err := b.direction(e.v, fpath)
			if err != nil {
				return nil, err
			}
			args, err := b.callArgs(len(cfd.Function.Args), cfd.TableArg, cfd.SessionArg, cfd.Args, nil, fpath)
			if err != nil {
				return nil, err
			}
			ob.Computed, ob.Path = &FunctionCall{Name: cfd.Function.Name, Args: args}, steps
			ob.CursorPath = appendName(names, cfd.Name)
			if cfd.ResultType != nil {
				ob.Type = boolexp.TypeOf(cfd.ResultType)
			}
			out = append(out, ob)
			continue
		}
		if strings.HasSuffix(e.name, "_aggregate") {
			base := strings.TrimSuffix(e.name, "_aggregate")
			if r, ok := t.Relationship(base); ok && r.Kind == schema.ArrayRel {
				p, err := b.perm(r.Target, fpath)
				if err != nil {
					return nil, err
				}
				src := AggregateKey{Rel: RelStep{Target: r.Target.Name, Mapping: r.Mapping, Perm: permFilter(p)}}
				keys, err := b.aggregateOrder(r.Target, src, steps, appendName(names, e.name), e.v, fpath)
				if err != nil {
					return nil, err
				}
				out = append(out, keys...)
				continue
			}
			if cfd, ok := t.ComputedField(base); ok && cfd.ReturnTable != nil && cfd.ReturnsSet {
				p, err := b.perm(cfd.ReturnTable, fpath)
				if err != nil {
					return nil, err
				}
				args, err := b.callArgs(len(cfd.Function.Args), cfd.TableArg, cfd.SessionArg, cfd.Args, nil, fpath)
				if err != nil {
					return nil, err
				}
				src := AggregateKey{Rel: RelStep{Target: cfd.ReturnTable.Name, Perm: permFilter(p)}, Computed: &FunctionCall{Name: cfd.Function.Name, Args: args}}
				keys, err := b.aggregateOrder(cfd.ReturnTable, src, steps, appendName(names, e.name), e.v, fpath)
				if err != nil {
					return nil, err
				}
				out = append(out, keys...)
				continue
			}
		}
		return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_order_by'", e.name, t.TypeName).At(fpath)
	}
	return out, nil
}

func appendName(names []string, n string) []string {
	out := make([]string, 0, len(names)+1)
	return append(append(out, names...), n)
}

func appendStep(steps []*RelStep, s *RelStep) []*RelStep {
	out := make([]*RelStep, 0, len(steps)+1)
	return append(append(out, steps...), s)
}

// aggregateOrder parses <rel>_aggregate_order_by over the rows of target
// that src (a relationship or computed field) reaches.
func (b *builder) aggregateOrder(target *schema.Table, src AggregateKey, steps []*RelStep, names []string, v val, path string) ([]OrderBy, error) {
	kvs, err := b.fields(v, path)
	if err != nil {
		return nil, err
	}
	var out []OrderBy
	for _, e := range kvs {
		fpath := path + "." + e.name
		if b.isNull(e.v) {
			continue
		}
		if e.name == "count" {
			ob, err := b.direction(e.v, fpath)
			if err != nil {
				return nil, err
			}
			key := src
			key.Op = "count"
			ob.Agg, ob.Path = &key, steps
			ob.CursorPath, ob.Type = appendName(names, "count"), boolexp.Type{SQL: "int8"}
			out = append(out, ob)
			continue
		}
		cols, err := b.fields(e.v, fpath)
		if err != nil {
			return nil, err
		}
		for _, ce := range cols {
			if b.isNull(ce.v) {
				continue
			}
			c, ok := target.ColumnByField(ce.name)
			if !ok {
				return nil, apierr.New(apierr.ValidationFailed, "field '%s' not found in type: '%s_%s_order_by'", ce.name, target.TypeName, e.name).At(fpath)
			}
			ob, err := b.direction(ce.v, fpath+"."+ce.name)
			if err != nil {
				return nil, err
			}
			col := b.visible(target, c)
			key := src
			key.Op, key.Column = e.name, &col
			ob.Agg, ob.Path = &key, steps
			ob.CursorPath = append(appendName(names, e.name), c.Name)
			ob.Type = boolexp.Type{SQL: "numeric"}
			if e.name == "max" || e.name == "min" {
				ob.Type = c.Operand()
			}
			out = append(out, ob)
		}
	}
	return out, nil
}

// direction parses an order_by enum value.
func (b *builder) direction(v val, path string) (OrderBy, error) {
	n, ok := b.name(v)
	if !ok {
		return OrderBy{}, apierr.New(apierr.ValidationFailed, "expected an enum value for type 'order_by'").At(path)
	}
	switch n {
	case "asc", "asc_nulls_last":
		return OrderBy{}, nil
	case "asc_nulls_first":
		return OrderBy{NullsFirst: true}, nil
	case "desc", "desc_nulls_first":
		return OrderBy{Desc: true, NullsFirst: true}, nil
	case "desc_nulls_last":
		return OrderBy{Desc: true}, nil
	}
	return OrderBy{}, apierr.New(apierr.ValidationFailed, "expected one of the values ['asc', 'asc_nulls_first', 'asc_nulls_last', 'desc', 'desc_nulls_first', 'desc_nulls_last'] for type 'order_by', but found '%s'", n).At(path)
}
