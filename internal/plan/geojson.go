package plan

import (
	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/boolexp"
)

// checkGeoJSON validates a GeoJSON value the way Hasura's parser does
// (Hasura.Backends.Postgres.Instances.Types GeoJSON instances, from the
// geojson package): a LineString needs 2 positions, a LinearRing 4 with
// equal first and last positions. Only constants are checked; a variable
// bound per request is checked by PostGIS.
func checkGeoJSON(op boolexp.Operand, path string) error {
	if op.Type.Encoding != boolexp.EncodeGeoJSON {
		return nil
	}
	k, ok := op.Value.(boolexp.Const)
	if !ok {
		return nil
	}
	obj, ok := k.V.(map[string]any)
	if !ok {
		return nil
	}
	if msg := geoJSONError(obj); msg != "" {
		return apierr.New(apierr.ParseFailed, "%s", msg).At(path)
	}
	return nil
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

func samePosition(a, b any) bool {
	pa, _ := a.([]any)
	pb, _ := b.([]any)
	if len(pa) != len(pb) {
		return false
	}
	for i := range pa {
		if jsonText(pa[i]) != jsonText(pb[i]) {
			return false
		}
	}
	return true
}

func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case interface{ String() string }:
		return x.String()
	}
	return ""
}
