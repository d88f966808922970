package auth

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseJSONPath(t *testing.T) {
	doc := map[string]any{
		"hasura": map[string]any{"claims%": "special", "claims": map[string]any{"a-b": "dash"}},
		"roles":  []any{"x", map[string]any{"name": "second"}},
		"it's":   "quoted",
	}
	tests := []struct {
		path    string
		encoded string
		want    any // nil: not found
	}{
		{"$", "$", doc},
		{"$.hasura.claims.a-b", "$.hasura.claims.a-b", "dash"},
		{"hasura.claims", "$.hasura.claims", doc["hasura"].(map[string]any)["claims"]},
		{"$.hasura['claims%']", `$.hasura["claims%"]`, "special"},
		{`$.hasura["claims%"]`, `$.hasura["claims%"]`, "special"},
		{"$.roles[1].name", "$.roles[1].name", "second"},
		{"$.roles[2]", "$.roles[2]", nil},
		{`$['it\'s']`, `$["it's"]`, "quoted"},
		{"$.missing", "$.missing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			p, err := parseJSONPath(tt.path)
			if err != nil {
				t.Fatalf("parseJSONPath: %v", err)
			}
			if got := p.String(); got != tt.encoded {
				t.Errorf("String() = %s, want %s", got, tt.encoded)
			}
			got, ok := p.lookup(doc)
			if !ok {
				got = nil
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("lookup (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"$.", "$[", "$['x'", "$.1a", "$..a", "$[x]", "$.a b"} {
		t.Run("Bad/"+bad, func(t *testing.T) {
			if _, err := parseJSONPath(bad); err == nil {
				t.Errorf("parseJSONPath(%q) succeeded, want an error", bad)
			}
		})
	}
}

func TestJWKLifetime(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name         string
		cacheControl string
		expires      string
		want         fetchResult
	}{
		{"MaxAge", "public, max-age=300", "", fetchResult{refreshIn: 300 * time.Second}},
		{"SMaxAge", "s-maxage=30", "", fetchResult{refreshIn: 30 * time.Second}},
		{"MustRevalidateWithMaxAge", "max-age=60, must-revalidate", "", fetchResult{refreshIn: 60 * time.Second}},
		{"MustRevalidateAlone", "must-revalidate", "", fetchResult{}},
		{"NoCache", "no-cache", "", fetchResult{}},
		{"NoStoreWinsOverMaxAge", "no-store, max-age=100", "", fetchResult{}},
		{"CacheControlWinsOverExpires", "max-age=10", "Thu, 01 Jan 2026 01:00:00 GMT", fetchResult{refreshIn: 10 * time.Second}},
		{"ExpiresWithoutMaxAge", "public", "Thu, 01 Jan 2026 01:00:00 GMT", fetchResult{refreshIn: time.Hour}},
		{"Expires", "", "Thu, 01 Jan 2026 00:02:00 GMT", fetchResult{refreshIn: 2 * time.Minute}},
		{"BadMaxAge", "max-age=soon", "", fetchResult{refreshIn: maxRetry}},
		{"BadExpires", "", "tomorrow", fetchResult{refreshIn: maxRetry}},
		{"None", "", "", fetchResult{never: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.cacheControl != "" {
				h.Set("Cache-Control", tt.cacheControl)
			}
			if tt.expires != "" {
				h.Set("Expires", tt.expires)
			}
			got := jwkLifetime(h, now)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(fetchResult{})); diff != "" {
				t.Errorf("jwkLifetime (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSessionValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"x", "x"},
		{[]any{"a", "b c", `q"`, "", "NULL", []any{"n"}}, `{a,"b c","q\"","","NULL",{n}}`},
		{true, "true"},
		{float64(1.5), "1.5"},
	}
	for _, tt := range tests {
		got, err := sessionValue(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("sessionValue(%v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := sessionValue(nil); err == nil {
		t.Error("sessionValue(null) succeeded, want an error")
	}
}
