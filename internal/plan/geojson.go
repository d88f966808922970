package plan

import (
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
)

// Note [input value checks]: Hasura parses some column values in Haskell
// before any SQL runs, and refuses a bad one as parse-failed at its path:
// GeoJSON (Hasura.Backends.Postgres.Instances.Types, from the geojson
// package: a Position needs 2 numbers, a LineString 2 positions, a
// LinearRing 4 with equal first and last positions), ltree ("a sequence of
// zero or more labels separated by dots", no empty label) and raster (hex
// of the well-known binary; Hasura.Backends.Postgres.SQL.Value). graft
// checks a constant when it plans, and a variable's value on every request
// (Root.VarChecks, Root.CheckVars), so that PostgreSQL never sees such a
// value and the error names where it was given.

// valueKind is what a value check verifies.
type valueKind int

const (
	kindNone valueKind = iota
	// kindNonNegative: a non-negative Int (limit, batch_size, first, last).
	kindNonNegative
	// kindOffset: a non-negative Int, or its digits in a string (Hasura
	// parses offset as a bigint).
	kindOffset
	kindGeoJSON
	kindLtree
	kindRaster
)

// kindOf is the check that values of t need (none for most types).
func kindOf(t boolexp.Type) valueKind {
	switch {
	case t.Encoding == boolexp.EncodeGeoJSON:
		return kindGeoJSON
	case typeNamed(t.SQL, "ltree"):
		return kindLtree
	case typeNamed(t.SQL, "raster"):
		return kindRaster
	}
	return kindNone
}

// typeNamed reports whether sql ("ltree", "public"."ltree") names the type
// name in any schema.
func typeNamed(sql, name string) bool {
	return sql == name || strings.HasSuffix(sql, `."`+name+`"`) || sql == `"`+name+`"`
}

// checkValue checks op at path (Note [input value checks]): a constant at
// once, a variable recorded for CheckVars.
func (b *builder) checkValue(op boolexp.Operand, path string) error {
	kind := kindOf(op.Type)
	if kind == kindNone {
		return nil
	}
	switch v := op.Value.(type) {
	case boolexp.Var:
		b.checkVar(VarCheck{Var: v.Name, Path: path, kind: kind, dims: op.Type.Dims})
	case boolexp.Const:
		return checkJSON(kind, op.Type.Dims, v.V, path)
	}
	return nil
}

func (b *builder) checkVar(c VarCheck) {
	if b.varChecks == nil {
		b.varChecks = map[VarCheck]bool{}
	}
	if !b.varChecks[c] {
		b.varChecks[c] = true
		b.root.VarChecks = append(b.root.VarChecks, c)
	}
}

// checkJSON checks a decoded JSON value of dims list levels.
func checkJSON(kind valueKind, dims int, v any, path string) error {
	if v == nil {
		return nil
	}
	if dims > 0 {
		if l, ok := v.([]any); ok {
			for i, e := range l {
				if err := checkJSON(kind, dims-1, e, path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
			return nil
		}
	}
	var msg string
	switch kind {
	case kindNonNegative, kindOffset:
		if str, ok := v.(string); ok {
			if kind == kindOffset && str != "" && strings.Trim(str, "0123456789") == "" {
				return nil
			}
			return errNegative(path, "a string")
		}
		if negative(v) {
			return errNegative(path, "a number")
		}
	case kindGeoJSON:
		obj, ok := v.(map[string]any)
		if !ok {
			msg = "expected a GeoJSON object, but encountered " + apierr.JSONKind(v)
			break
		}
		msg = geoJSONError(obj)
	case kindLtree:
		msg = ltreeError(v)
	case kindRaster:
		msg = rasterError(v)
	}
	if msg != "" {
		return apierr.New(apierr.ParseFailed, "%s", msg).At(path)
	}
	return nil
}

func ltreeError(v any) string {
	s, ok := v.(string)
	if ok && !slices.Contains(strings.Split(s, "."), "") {
		return ""
	}
	return "Expecting label path: a sequence of zero or more labels separated by dots, for example L1.L2.L3"
}

func rasterError(v any) string {
	s, ok := v.(string)
	if !ok {
		return "expecting String for raster"
	}
	if _, err := hex.DecodeString(s); err != nil {
		return "invalid hexadecimal representation of raster well known binary format"
	}
	return ""
}

func geoJSONError(obj map[string]any) string {
	typ, _ := obj["type"].(string)
	coords, _ := obj["coordinates"].([]any)
	lineString := func(c any) string {
		if l, _ := c.([]any); len(l) < 2 {
			return "A LineString needs at least 2 Positions"
		}
		return ""
	}
	polygon := func(c any) string {
		rings, _ := c.([]any)
		for _, r := range rings {
			ring, _ := r.([]any)
			if len(ring) < 4 {
				return "A LinearRing needs at least 4 Positions"
			}
			if !samePosition(ring[0], ring[len(ring)-1]) {
				return "the first and last locations have to be equal for a LinearRing"
			}
		}
		return ""
	}
	if msg := positionsError(typ, coords); msg != "" {
		return msg
	}
	switch typ {
	case "Point", "MultiPoint":
	case "LineString":
		return lineString(coords)
	case "MultiLineString":
		for _, c := range coords {
			if msg := lineString(c); msg != "" {
				return msg
			}
		}
	case "Polygon":
		return polygon(coords)
	case "MultiPolygon":
		for _, c := range coords {
			if msg := polygon(c); msg != "" {
				return msg
			}
		}
	case "GeometryCollection":
		geoms, _ := obj["geometries"].([]any)
		for _, g := range geoms {
			if m, ok := g.(map[string]any); ok {
				if msg := geoJSONError(m); msg != "" {
					return msg
				}
			}
		}
	default:
		if typ != "" {
			return "unexpected geometry type: " + typ
		}
	}
	return ""
}

// positionDepth is how deeply each geometry type nests its positions in
// "coordinates" (0: coordinates is one position).
var positionDepth = map[string]int{"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}

// positionsError checks that every position has at least two elements,
// which Hasura's GeoJSON parser checks before anything else.
func positionsError(typ string, coords any) string {
	depth, ok := positionDepth[typ]
	if !ok {
		return ""
	}
	var check func(c any, d int) string
	check = func(c any, d int) string {
		l, _ := c.([]any)
		if d == 0 {
			if len(l) < 2 {
				return "A Position needs at least 2 elements"
			}
			return ""
		}
		for _, e := range l {
			if msg := check(e, d-1); msg != "" {
				return msg
			}
		}
		return ""
	}
	return check(coords, depth)
}

// samePosition compares two positions by their numbers, as Hasura's
// geojson package does (0 and 0.0 are one coordinate).
func samePosition(a, b any) bool {
	pa, _ := a.([]any)
	pb, _ := b.([]any)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		x, ok1 := coordinate(pa[i])
		y, ok2 := coordinate(pb[i])
		if !ok1 || !ok2 || x != y {
			return false
		}
	}
	return true
}

func coordinate(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}
