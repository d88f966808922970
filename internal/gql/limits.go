package gql

import (
	"github.com/graftql/graft/internal/apierr"
	"github.com/vektah/gqlparser/v2/ast"
)

// Note [query size limits]: a few hundred bytes of GraphQL can cost
// minutes of CPU before any SQL runs. gqlparser's
// OverlappingFieldsCanBeMerged rule (as graphql-js's) compares every pair
// of fields that share a response name once fragments are expanded and
// same-named fields merged, so `{ t { id } t { id } ... }` with 20,000
// copies takes a minute; and a field collector that expands a fragment
// each time it is spread doubles its work per fragment in
// `fragment F1 on T { ...F0 ...F0 }`. Hasura has neither limit, but no
// honest query comes near them: Parse refuses, before validation, a
// document whose merged selection (the tree the rule and the planner
// walk) has more than maxSameName fields under one response name at one
// level, or more than maxMergedFields fields in all; and the parser stops
// after maxTokens tokens.
const (
	maxTokens       = 1_000_000
	maxSameName     = 100
	maxMergedFields = 100_000
)

// checkSize enforces Note [query size limits] on every operation of doc.
func checkSize(doc *ast.QueryDocument) error {
	c := &sizeCheck{doc: doc}
	for _, op := range doc.Operations {
		if err := c.level([]ast.SelectionSet{op.SelectionSet}); err != nil {
			return err
		}
	}
	return nil
}

type sizeCheck struct {
	doc    *ast.QueryDocument
	fields int
}

// level merges the selection sets of one level as field collection does
// (fields by response name; inline fragments and each named fragment once
// spread in place, type conditions ignored), counts the fields, and goes
// on with the merged subselections of each response name. The document
// has no fragment cycles (Parse checks that first).
func (c *sizeCheck) level(sets []ast.SelectionSet) error {
	var order []string
	groups := map[string][]*ast.Field{}
	spread := map[string]bool{}
	var walk func(set ast.SelectionSet) error
	walk = func(set ast.SelectionSet) error {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				c.fields++
				if c.fields > maxMergedFields {
					return apierr.New(apierr.ValidationFailed, "the query selects more than %d fields once its fragments are expanded", maxMergedFields)
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if _, ok := groups[key]; !ok {
					order = append(order, key)
				}
				groups[key] = append(groups[key], s)
				if len(groups[key]) > maxSameName {
					return apierr.New(apierr.ValidationFailed, "the query selects %q more than %d times in one selection set", key, maxSameName)
				}
			case *ast.InlineFragment:
				if err := walk(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if spread[s.Name] {
					continue
				}
				spread[s.Name] = true
				if def := c.doc.Fragments.ForName(s.Name); def != nil {
					if err := walk(def.SelectionSet); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	for _, set := range sets {
		if err := walk(set); err != nil {
			return err
		}
	}
	for _, key := range order {
		var subs []ast.SelectionSet
		for _, f := range groups[key] {
			if len(f.SelectionSet) > 0 {
				subs = append(subs, f.SelectionSet)
			}
		}
		if len(subs) == 0 {
			continue
		}
		if err := c.level(subs); err != nil {
			return err
		}
	}
	return nil
}
