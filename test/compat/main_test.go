package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name                 string
		out                  string
		passed, failed, warn int
		ok                   bool
	}{
		{"OK", "PASS a\nFAIL b\n\ndirectory pass (warn) fail skipped\n" +
			"TOTAL                                                           186     14      5       12\n" +
			"# PASS* = ...\n186 passed, 5 failed\n", 186, 5, 14, true},
		{"NoTotal", "3 passed, 0 failed\n", 3, 0, -1, true},
		{"LastWins", "1 passed, 1 failed\nmore\n2 passed, 0 failed\n", 2, 0, -1, true},
		{"Crashed", "PASS a\npanic: boom\n", 0, 0, 0, false},
		{"Empty", "", 0, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, f, w, ok := parseSummary(tt.out)
			got := []any{p, f, w, ok}
			want := []any{tt.passed, tt.failed, tt.warn, tt.ok}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("parseSummary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseFloors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []floor
		wantErr string
	}{
		{"OK", "# comment\ngraphql_query 12  # note\n\ngraphql_mutation 3 2\n",
			[]floor{{"graphql_query", 12, -1}, {"graphql_mutation", 3, 2}}, ""},
		{"NotACount", "graphql_query many\n", nil, `f:1: "many" is not a count`},
		{"Negative", "graphql_query -1\n", nil, `f:1: "-1" is not a count`},
		{"Shape", "graphql_query\n", nil, `f:1: want "suite count [max-PASS*]", got "graphql_query"`},
		{"NegativeCeiling", "graphql_query 1 -2\n", nil, `f:1: "-2" is not a count`},
		{"Twice", "a 1\na 2\n", nil, "f:2: suite a listed twice"},
		{"Empty", "# nothing\n", nil, "f: no floors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseFloors("f", []byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("parseFloors error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(floor{})); diff != "" {
				t.Errorf("parseFloors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFloorsFile checks the committed floors file parses.
func TestFloorsFile(t *testing.T) {
	b, err := os.ReadFile("../../scripts/compat-floors")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseFloors("scripts/compat-floors", b); err != nil {
		t.Error(err)
	}
}

func TestJudge(t *testing.T) {
	floors := []floor{{"q", 10, -1}, {"m", 5, 2}}
	tests := []struct {
		name    string
		results []result
		wantErr string
		wantOut string
	}{
		{"AtFloor", []result{{suite: "q", passed: 10}, {suite: "m", passed: 5}}, "", ""},
		{"Above", []result{{suite: "q", passed: 12}}, "", "raise the floor to 12"},
		{"Below", []result{{suite: "q", passed: 10}, {suite: "m", passed: 4}},
			"conformance fell below the floor in m", "BELOW THE FLOOR by 1"},
		{"MoreLenientPasses", []result{{suite: "q", passed: 10, warn: 50}, {suite: "m", passed: 5, warn: 3}},
			"more error bodies differ from Hasura's than the PASS* ceiling allows (or the count is missing) in m", "1 MORE ERROR BODIES DIFFER FROM HASURA'S than the 2 allowed"},
		{"NoLenientCount", []result{{suite: "m", passed: 5, warn: -1}},
			"more error bodies differ from Hasura's than the PASS* ceiling allows (or the count is missing) in m", "NO PASS* COUNT"},
		{"FewerLenientPasses", []result{{suite: "m", passed: 5, warn: 1}}, "", "lower the PASS* ceiling to 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			err := judge(io.Writer(&out), tt.results, floors)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("judge error = %q, want %q", gotErr, tt.wantErr)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("judge output lacks %q:\n%s", tt.wantOut, out.String())
			}
		})
	}
}

func TestSuiteSpecFor(t *testing.T) {
	tests := []struct {
		suite   string
		want    suiteSpec
		wantErr string
	}{
		{"graphql_query", suiteSpec{name: "graphql_query", runnerArgs: []string{"-suite", "graphql_query"}}, ""},
		{"webhook-post", suiteSpec{name: "webhook-post", webhook: true,
			graftEnv:   []string{"HASURA_GRAPHQL_AUTH_HOOK_MODE=POST"},
			runnerArgs: []string{"-suite", "webhook", "-strict", "-env", "HASURA_GRAPHQL_AUTH_HOOK_MODE=POST"}}, ""},
		{"jwt-nonsense", suiteSpec{}, `unknown JWT preset "nonsense"`},
	}
	for _, tt := range tests {
		t.Run(tt.suite, func(t *testing.T) {
			got, err := suiteSpecFor(tt.suite, "/nonexistent/hasuracompat", jwtKeys{})
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("suiteSpecFor error = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(suiteSpec{})); diff != "" {
				t.Errorf("suiteSpecFor (-want +got):\n%s", diff)
			}
		})
	}
}
