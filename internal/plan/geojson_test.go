package plan

import (
	"encoding/json"
	"strings"
	"testing"
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
