package pgsql

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/boolexp"
)

// ParamSpec says where a parameter's value comes from at execution time.
type ParamSpec struct {
	// Session is set for the session JSON parameter.
	Session bool
	// Var names a GraphQL variable whose value is encoded with Type.
	Var string
	// Const is a value fixed by the plan, already encoded (nil means NULL).
	Const *string
	// Type is the operand's type (for encoding a Var).
	Type boolexp.Type
	// Written is the JSON a mutation's write statement returned (for its
	// Respond statement).
	Written bool
}

// params allocates parameter numbers while compiling.
type params struct {
	specs   []ParamSpec
	session int            // 0 until used
	vars    map[string]int // "name\x00type" -> N, or the cohort slot when multiplexed
	// offset is the number of parameters before the first one allocated
	// here ($1..$offset belong to the caller: the cohort arrays).
	offset int
	// multiplexed reads session and variables from the cohort row (Note
	// [multiplexed statements]) instead of parameters.
	multiplexed bool
	cohortVars  []ParamSpec
}

// sessionExpr is the session JSON.
func (p *params) sessionExpr() Expr {
	if p.multiplexed {
		return Col{Table: cohortAlias, Name: "result_session"}
	}
	return Session{N: p.sessionParam()}
}

func (p *params) sessionParam() int {
	if p.session == 0 {
		p.specs = append(p.specs, ParamSpec{Session: true})
		p.session = p.offset + len(p.specs)
	}
	return p.session
}

// operand returns the SQL for a value: a parameter cast to its type.
func (p *params) operand(o boolexp.Operand) (Expr, error) {
	switch v := o.Value.(type) {
	case boolexp.SessionVar:
		if p.multiplexed {
			return Cast{Expr: &BinOp{Op: "->>", L: p.sessionExpr(), R: String{S: v.Name}}, Type: castType(o.Type)}, nil
		}
		n := p.sessionParam()
		return Cast{Expr: SessionVar{N: n, Name: v.Name}, Type: castType(o.Type)}, nil
	case boolexp.Var:
		key := v.Name + "\x00" + castType(o.Type) + "\x00" + strconv.Itoa(int(o.Type.Encoding))
		if p.vars == nil {
			p.vars = map[string]int{}
		}
		if p.multiplexed {
			k, ok := p.vars[key]
			if !ok {
				p.cohortVars = append(p.cohortVars, ParamSpec{Var: v.Name, Type: o.Type})
				k = len(p.cohortVars) - 1
				p.vars[key] = k
			}
			slot := &BinOp{Op: "->>", L: Col{Table: cohortAlias, Name: "result_vars"}, R: Keyword(strconv.Itoa(k))}
			return typedValue(slot, o.Type), nil
		}
		n, ok := p.vars[key]
		if !ok {
			p.specs = append(p.specs, ParamSpec{Var: v.Name, Type: o.Type})
			n = p.offset + len(p.specs)
			p.vars[key] = n
		}
		return typedParam(n, o.Type), nil
	case boolexp.Const:
		s, err := Encode(v.V, o.Type)
		if err != nil {
			return nil, err
		}
		p.specs = append(p.specs, ParamSpec{Const: s, Type: o.Type})
		return typedParam(p.offset+len(p.specs), o.Type), nil
	}
	return nil, fmt.Errorf("unknown value %T", o.Value)
}

// typedParam is $N cast to the operand type (see typedValue).
func typedParam(n int, t boolexp.Type) Expr {
	return typedValue(Param{N: n}, t)
}

// typedValue casts a text value to the operand type; GeoJSON goes through
// ST_GeomFromGeoJSON (and on to geography when that is the type).
func typedValue(e Expr, t boolexp.Type) Expr {
	if t.Encoding == boolexp.EncodeGeoJSON && t.Dims == 0 {
		geom := &Func{Name: geomFromGeoJSON(t.SQL), Args: []Expr{Cast{Expr: e, Type: "text"}}}
		if strings.HasSuffix(t.SQL, `"geography"`) || t.SQL == "geography" {
			return Cast{Expr: geom, Type: t.SQL}
		}
		return geom
	}
	if p, ok := e.(Param); ok {
		p.Type = castType(t)
		return p
	}
	return Cast{Expr: e, Type: castType(t)}
}

// geomFromGeoJSON qualifies ST_GeomFromGeoJSON with the PostGIS schema taken
// from the geometry type's spelling (`"public"."geometry"`).
func geomFromGeoJSON(typeSQL string) string {
	if i := strings.Index(typeSQL, "."); i > 0 {
		return typeSQL[:i] + ".st_geomfromgeojson"
	}
	return "st_geomfromgeojson"
}

func castType(t boolexp.Type) string {
	return t.SQL + strings.Repeat("[]", t.Dims)
}

// Encode turns a decoded JSON value into the text of a parameter of type
// t; nil means SQL NULL.
func Encode(v any, t boolexp.Type) (*string, error) {
	if v == nil {
		return nil, nil
	}
	v = normalizeNumber(v)
	var s string
	if t.Dims > 0 {
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected a list")
		}
		var b strings.Builder
		if err := arrayLiteral(&b, list, t, t.Dims); err != nil {
			return nil, err
		}
		s = b.String()
		return &s, nil
	}
	switch t.Encoding {
	case boolexp.EncodeJSON, boolexp.EncodeGeoJSON:
		b, err := marshal(v)
		if err != nil {
			return nil, err
		}
		s = string(b)
	default:
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case bool:
			s = strconv.FormatBool(x)
		case float64:
			s = strconv.FormatFloat(x, 'g', -1, 64)
		case int64:
			s = strconv.FormatInt(x, 10)
		case int:
			s = strconv.Itoa(x)
		case []any:
			var b strings.Builder
			if err := arrayLiteral(&b, x, t, 1); err != nil {
				return nil, err
			}
			s = b.String()
		default:
			b, err := marshal(v)
			if err != nil {
				return nil, err
			}
			s = string(b)
		}
	}
	return &s, nil
}

// normalizeNumber turns the Go numbers variable coercion produces for a
// top-level Int or Float (int64, int, float64) into json.Number, the form
// every other number of a request has.
func normalizeNumber(v any) any {
	switch x := v.(type) {
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case int:
		return json.Number(strconv.Itoa(x))
	case float64:
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64))
	}
	return v
}

// arrayLiteral writes a PostgreSQL array literal: {"a","b"}, NULL for nil.
func arrayLiteral(b *strings.Builder, list []any, t boolexp.Type, dims int) error {
	b.WriteByte('{')
	for i, e := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		if e == nil {
			b.WriteString("NULL")
			continue
		}
		if sub, ok := e.([]any); ok && dims > 1 {
			if err := arrayLiteral(b, sub, t, dims-1); err != nil {
				return err
			}
			continue
		}
		et := t
		et.Dims = 0
		s, err := Encode(e, et)
		if err != nil {
			return err
		}
		b.WriteByte('"')
		for _, r := range *s {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return nil
}

// marshal encodes JSON with sorted keys and without HTML escaping.
func marshal(v any) ([]byte, error) {
	var b strings.Builder
	if err := writeJSON(&b, v); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}

func writeJSON(b *strings.Builder, v any) error {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			if err := writeJSON(b, x[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		out, err := json.Marshal(x)
		if err != nil {
			return err
		}
		b.Write(out)
	}
	return nil
}

// ValuesKey is a canonical text of the values of the named variables,
// equal exactly when their values encode equally: the key under which a
// plan that read those variables structurally is cached. names must be in
// one order for every call (plan.Root.StructuralVars is sorted).
func ValuesKey(names []string, vars map[string]any) string {
	if len(names) == 0 {
		return ""
	}
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n)
		b.WriteByte('=')
		s, err := Encode(vars[n], keyType)
		if err != nil || s == nil {
			b.WriteString("null")
		} else {
			b.WriteString(*s)
		}
		b.WriteByte(0)
	}
	return b.String()
}

var keyType = boolexp.Type{SQL: "json", Encoding: boolexp.EncodeJSON}
