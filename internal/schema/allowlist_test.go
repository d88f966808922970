package schema

import (
	"encoding/json"
	"testing"

	"github.com/graftql/graft/internal/metadata"
)

func TestAllowlist_Allows(t *testing.T) {
	var md metadata.Metadata
	err := json.Unmarshal([]byte(`{
	  "version": 3, "sources": [],
	  "query_collections": [
	    {"name": "pub", "definition": {"queries": [
	      {"name": "a", "query": "query { user { id __typename name } }"},
	      {"name": "b", "query": "fragment F on user { id } query { user { ...F } }"}
	    ]}},
	    {"name": "staff", "definition": {"queries": [{"name": "c", "query": "{ salary { amount } }"}]}},
	    {"name": "off", "definition": {"queries": [{"name": "d", "query": "{ secret { id } }"}]}}
	  ],
	  "allowlist": [
	    {"collection": "pub"},
	    {"collection": "staff", "scope": {"global": false, "roles": ["manager"]}}
	  ]
	}`), &md)
	if err != nil {
		t.Fatal(err)
	}
	a := buildAllowlist(&md)
	cases := []struct {
		name, role, query string
		want              bool
	}{
		{"Exact", "user", "query { user { id __typename name } }", true},
		{"TypenameIgnored", "user", "query {\n  user { __typename id name __typename }\n}", true},
		{"FormattingIgnored", "user", "query{user{id,name}}", true},
		{"OrderMatters", "user", "query { user { name id } }", false},
		{"Fragment", "user", "fragment F on user { id }\nquery { user { ...F } }", true},
		{"RoleScoped", "manager", "{ salary { amount } }", true},
		{"RoleScopedOtherRole", "user", "{ salary { amount } }", false},
		{"NotAllowListed", "user", "{ secret { id } }", false},
		{"Unparsable", "user", "{ user {", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := NormalizeQuery(tc.query)
			got := err == nil && a.Allows(tc.role, n)
			if got != tc.want {
				t.Errorf("Allows(%q, %q) = %v, want %v (normalized %q, err %v)", tc.role, tc.query, got, tc.want, n, err)
			}
		})
	}
}
