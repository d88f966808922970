package schema

import (
	"encoding/json"
	"strings"

	"github.com/graftql/graft/internal/metadata"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/formatter"
	"github.com/vektah/gqlparser/v2/parser"
)

// Allowlist holds the queries of the allow-listed collections, normalized
// (see [NormalizeQuery]). It is used when HASURA_GRAPHQL_ENABLE_ALLOWLIST
// is on; admin is exempt.
type Allowlist struct {
	// global are the queries every role may run.
	global map[string]bool
	// roles are the queries of role-scoped collections (an Enterprise
	// feature of Hasura that graft enforces).
	roles map[string]map[string]bool
}

// Allows reports whether role may run the normalized query q.
func (a *Allowlist) Allows(role, q string) bool {
	if a == nil {
		return false
	}
	return a.global[q] || a.roles[role][q]
}

// buildAllowlist reads the allow-listed collections of md.
func buildAllowlist(md *metadata.Metadata) *Allowlist {
	a := &Allowlist{global: map[string]bool{}, roles: map[string]map[string]bool{}}
	if md == nil {
		return a
	}
	collections := map[string]*metadata.QueryCollection{}
	for _, c := range md.QueryCollections {
		collections[c.Name] = c
	}
	for _, e := range md.Allowlist {
		c := collections[e.Collection]
		if c == nil {
			continue
		}
		var scope struct {
			Global *bool    `json:"global"`
			Roles  []string `json:"roles"`
		}
		if len(e.Scope) > 0 {
			_ = json.Unmarshal(e.Scope, &scope)
		}
		for _, q := range c.Definition.Queries {
			n, err := NormalizeQuery(q.Query)
			if err != nil {
				continue
			}
			if scope.Global == nil || *scope.Global {
				a.global[n] = true
				continue
			}
			for _, r := range scope.Roles {
				if a.roles[r] == nil {
					a.roles[r] = map[string]bool{}
				}
				a.roles[r][n] = true
			}
		}
	}
	return a
}

// NormalizeQuery returns the canonical text an allow list compares: the
// document reformatted, with every __typename field removed (Hasura
// ignores them; field order stays significant).
func NormalizeQuery(q string) (string, error) {
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		return "", err
	}
	var strip func(set ast.SelectionSet) ast.SelectionSet
	strip = func(set ast.SelectionSet) ast.SelectionSet {
		out := set[:0]
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Name == "__typename" {
					continue
				}
				s.SelectionSet = strip(s.SelectionSet)
			case *ast.InlineFragment:
				s.SelectionSet = strip(s.SelectionSet)
			}
			out = append(out, sel)
		}
		return out
	}
	for _, op := range doc.Operations {
		op.SelectionSet = strip(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		f.SelectionSet = strip(f.SelectionSet)
	}
	var b strings.Builder
	formatter.NewFormatter(&b, formatter.WithIndent(" ")).FormatQueryDocument(doc)
	return b.String(), nil
}
