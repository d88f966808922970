package plan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/graftql/graft/internal/apierr"
)

// TestGeoJSONError checks the GeoJSON shapes Hasura's parser refuses,
// with its messages, and that valid geometries pass.
func TestGeoJSONError(t *testing.T) {
	for _, tc := range []struct{ geo, want string }{
		{`{"type":"Point","coordinates":[1,2]}`, ""},
		{`{"type":"Point","coordinates":[43.75049]}`, "A Position needs at least 2 elements"},
		{`{"type":"MultiPoint","coordinates":[[1,2],[3]]}`, "A Position needs at least 2 elements"},
		{`{"type":"LineString","coordinates":[[1,2]]}`, "A LineString needs at least 2 Positions"},
		{`{"type":"LineString","coordinates":[[1,2],[3,4]]}`, ""},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`, ""},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}`, "A LinearRing needs at least 4 Positions"},
		{`{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}`, "the first and last locations have to be equal for a LinearRing"},
		{`{"type":"MultiPolygon","coordinates":[[[[0,0],[1],[1,1],[0,0]]]]}`, "A Position needs at least 2 elements"},
		{`{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1]}]}`, "A Position needs at least 2 elements"},
		{`{"type":"Random","coordinates":[1,2]}`, "unexpected geometry type: Random"},
	} {
		var obj map[string]any
		d := json.NewDecoder(strings.NewReader(tc.geo))
		d.UseNumber()
		if err := d.Decode(&obj); err != nil {
			t.Fatal(err)
		}
		if got := geoJSONError(obj); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.geo, got, tc.want)
		}
	}
}

// TestCheckJSON checks Note [input value checks] for ltree, raster and
// counts: Hasura's parse-failed messages at the value's path, list
// elements included.
func TestCheckJSON(t *testing.T) {
	const ltreeMsg = "Expecting label path: a sequence of zero or more labels separated by dots, for example L1.L2.L3"
	for _, tc := range []struct {
		name      string
		kind      valueKind
		dims      int
		value     any
		path, msg string
	}{
		{"Ltree", kindLtree, 0, "Tree.Collections", "", ""},
		{"LtreeTrailingDot", kindLtree, 0, "Tree.Collections.", "$.v", ltreeMsg},
		{"LtreeEmpty", kindLtree, 0, "", "$.v", ltreeMsg},
		{"LtreeNotString", kindLtree, 0, json.Number("1"), "$.v", ltreeMsg},
		{"LtreeListElement", kindLtree, 1, []any{"A.B", "A..B"}, "$.v[1]", ltreeMsg},
		{"LtreeNull", kindLtree, 0, nil, "", ""},
		{"Raster", kindRaster, 0, "0100000000", "", ""},
		{"RasterNotHex", kindRaster, 0, "this is invalid raster value", "$.v", "invalid hexadecimal representation of raster well known binary format"},
		{"RasterNotString", kindRaster, 0, true, "$.v", "expecting String for raster"},
		{"Count", kindNonNegative, 0, json.Number("0"), "", ""},
		{"CountAsString", kindNonNegative, 0, "1", "$.v", "expected a non-negative 32-bit integer for type 'Int', but found a string"},
		{"NegativeCountAsString", kindNonNegative, 0, "-1", "$.v", "expected a non-negative 32-bit integer for type 'Int', but found a string"},
		{"OffsetDigits", kindOffset, 0, "10", "", ""},
		{"NegativeOffsetAsString", kindOffset, 0, "-10", "$.v", "expected a non-negative 32-bit integer for type 'Int', but found a string"},
		{"NegativeOffset", kindOffset, 0, json.Number("-10"), "$.v", "expected a non-negative 32-bit integer for type 'Int', but found a number"},
		{"GeoJSONNotObject", kindGeoJSON, 0, "POINT(1 2)", "$.v", "expected a GeoJSON object, but encountered String"},
		{"GeoJSONRingNumbers", kindGeoJSON, 0, map[string]any{"type": "Polygon", "coordinates": []any{[]any{
			[]any{json.Number("0"), json.Number("0")}, []any{json.Number("1"), json.Number("0")},
			[]any{json.Number("1"), json.Number("1")}, []any{json.Number("0.0"), json.Number("0e0")}}}}, "", ""},
		{"NegativeCount", kindNonNegative, 0, json.Number("-2"), "$.v", "expected a non-negative 32-bit integer for type 'Int', but found a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkJSON(tc.kind, tc.dims, tc.value, "$.v")
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var e *apierr.Error
			if !errors.As(err, &e) || e.Message != tc.msg || e.Path != tc.path {
				t.Fatalf("got %v, want %q at %s", err, tc.msg, tc.path)
			}
		})
	}
}
