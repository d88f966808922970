// Package gql parses and validates GraphQL documents against a role's
// schema with gqlparser, selects the operation to run, coerces variables,
// and reports failures with Hasura's messages and JSON paths
// (hasura/graphql-engine: server/src-lib/Hasura/GraphQL/Parser/*,
// Hasura/GraphQL/Execute/Inline.hs, Execute/Resolve.hs).
package gql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Request is a GraphQL request body.
type Request struct {
	Query         string         `json:"query"`
	Variables     map[string]any `json:"variables"`
	OperationName string         `json:"operationName"`
}

// SetVariables decodes a request's raw "variables" (absent or null: none),
// numbers kept as json.Number. It fails when they are not an object.
func (r *Request) SetVariables(raw []byte) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(&r.Variables)
}

// Note [validation rules]: Hasura does not reject unused variables or
// fragments, accepts several root fields in a subscription, and has no
// introspection depth limit; those graphql-js rules are left out.
var validationRules = func() *rules.Rules {
	var keep []core.Rule
	for _, r := range []core.Rule{
		rules.FieldsOnCorrectTypeRule,
		rules.FragmentsOnCompositeTypesRule,
		rules.KnownArgumentNamesRule,
		rules.KnownDirectivesRule,
		rules.KnownFragmentNamesRule,
		rules.KnownRootTypeRule,
		rules.KnownTypeNamesRule,
		rules.LoneAnonymousOperationRule,
		rules.NoFragmentCyclesRule,
		rules.NoUndefinedVariablesRule,
		rules.OverlappingFieldsCanBeMergedRule,
		rules.PossibleFragmentSpreadsRule,
		rules.ProvidedRequiredArgumentsRule,
		rules.ScalarLeafsRule,
		rules.UniqueArgumentNamesRule,
		rules.UniqueDirectivesPerLocationRule,
		rules.UniqueFragmentNamesRule,
		rules.UniqueInputFieldNamesRule,
		rules.UniqueOperationNamesRule,
		rules.UniqueVariableNamesRule,
		rules.ValuesOfCorrectTypeRule,
		rules.VariablesAreInputTypesRule,
		rules.VariablesInAllowedPositionRule,
	} {
		keep = append(keep, r)
	}
	return rules.NewRules(keep...)
}()

// cycleRules finds fragment cycles, and fragments spread but not defined.
var cycleRules = rules.NewRules(rules.NoFragmentCyclesRule, rules.KnownFragmentNamesRule)

// Parse parses query and validates it against s.
func Parse(s *ast.Schema, query string) (*ast.QueryDocument, error) {
	doc, perr := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if perr != nil {
		return nil, apierr.New(apierr.ValidationFailed, "not a valid graphql query").At("$.query")
	}
	// Note [query size limits]: cycles first, so that checkSize may
	// expand every fragment; then the size, before the rules whose cost
	// it bounds.
	if errs := validator.ValidateWithRules(s, doc, cycleRules); len(errs) > 0 {
		return nil, translate(doc, errs[0])
	}
	if err := checkSize(doc); err != nil {
		return nil, err
	}
	acceptStringOffsets(doc)
	errs := validator.ValidateWithRules(s, doc, validationRules)
	if len(errs) > 0 && acceptStringColumnValues(doc) {
		errs = validator.ValidateWithRules(s, doc, validationRules)
	}
	if len(errs) > 0 {
		return nil, translate(doc, errs[0])
	}
	if err := checkIntRange(doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// columnInputSuffixes name the input objects whose fields are column values.
var columnInputSuffixes = []string{"_insert_input", "_set_input", "_inc_input", "_pk_columns_input", "_comparison_exp"}

// acceptStringColumnValues retypes string literals given for Int, Float
// and Boolean column values when they spell one ("32767", "true"), as
// Hasura's column parsers accept them
// (mutation/insert/basic/insert_various_postgres_types.yaml); elsewhere
// (limit: "1") a string stays an error. It runs after a first validation,
// which annotated every value with its expected type, and reports whether
// it changed anything.
func acceptStringColumnValues(doc *ast.QueryDocument) bool {
	changed := false
	var value func(v *ast.Value, parent *ast.Definition)
	value = func(v *ast.Value, parent *ast.Definition) {
		if v == nil {
			return
		}
		switch v.Kind {
		case ast.ObjectValue:
			for _, c := range v.Children {
				value(c.Value, v.Definition)
			}
		case ast.ListValue:
			for _, c := range v.Children {
				value(c.Value, parent)
			}
		case ast.StringValue:
			if parent == nil || v.ExpectedType == nil || !isColumnInput(parent.Name) {
				return
			}
			switch v.ExpectedType.Name() {
			case "Int":
				if _, err := strconv.ParseInt(v.Raw, 10, 32); err == nil {
					v.Kind, changed = ast.IntValue, true
				}
			case "Float":
				if _, err := strconv.ParseFloat(v.Raw, 64); err == nil {
					v.Kind, changed = ast.FloatValue, true
				}
			case "Boolean":
				if v.Raw == "true" || v.Raw == "false" {
					v.Kind, changed = ast.BooleanValue, true
				}
			}
		}
	}
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				for _, a := range s.Arguments {
					value(a.Value, nil)
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
	return changed
}

func isColumnInput(name string) bool {
	for _, suf := range columnInputSuffixes {
		if strings.HasSuffix(name, suf) {
			return true
		}
	}
	return false
}

// acceptStringOffsets turns offset: "10" into offset: 10: Hasura parses
// offset as a bigint, which accepts an integer in a string
// (queries/graphql_query/offset/select_query_article_string_offset.yaml).
func acceptStringOffsets(doc *ast.QueryDocument) {
	var walk func(set ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if a := s.Arguments.ForName("offset"); a != nil && a.Value != nil && a.Value.Kind == ast.StringValue {
					if _, err := strconv.ParseInt(a.Value.Raw, 10, 64); err == nil {
						a.Value.Kind = ast.IntValue
					}
				}
				walk(s.SelectionSet)
			case *ast.InlineFragment:
				walk(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		walk(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walk(f.SelectionSet)
	}
}

// Operation picks the operation to run (Hasura's getExecPlan rules).
func Operation(doc *ast.QueryDocument, name string) (*ast.OperationDefinition, error) {
	if name != "" {
		op := doc.Operations.ForName(name)
		if op == nil {
			return nil, apierr.New(apierr.ValidationFailed, "no such operation found in the document: %q", name)
		}
		return op, nil
	}
	if len(doc.Operations) != 1 {
		return nil, apierr.New(apierr.ValidationFailed, "exactly one operation has to be present in the document when operationName is not specified")
	}
	return doc.Operations[0], nil
}

// Variables checks and coerces the request's variables for op. Values keep
// their JSON form (json.Number for numbers); Int and Float variables are
// checked for range and kind.
func Variables(s *ast.Schema, op *ast.OperationDefinition, given map[string]any) (map[string]any, error) {
	var unexpected []string
	for k := range given {
		if op.VariableDefinitions.ForName(k) == nil {
			unexpected = append(unexpected, k)
		}
	}
	if len(unexpected) > 0 {
		sort.Strings(unexpected)
		return nil, apierr.New(apierr.ValidationFailed, "unexpected variables in variableValues: %s", strings.Join(unexpected, ", ")).At("$")
	}
	if len(op.VariableDefinitions) == 0 {
		return map[string]any{}, nil
	}
	out, err := validator.VariableValues(s, op, given)
	if err != nil {
		return nil, translateVarError(s, op, given, err)
	}
	// VariableValues converts a top-level json.Number for Int/Float into
	// int64/float64; keep the caller's original value instead so that big
	// numbers keep their digits, and only the Int range check applies.
	for k, v := range out {
		if orig, ok := given[k]; ok && orig != nil {
			out[k] = orig
		} else {
			out[k] = v
		}
	}
	if err := checkVarInts(s, op, out); err != nil {
		return nil, err
	}
	return out, nil
}

var varPath = regexp.MustCompile(`^variable\.([A-Za-z_][A-Za-z0-9_]*)`)

func translateVarError(s *ast.Schema, op *ast.OperationDefinition, given map[string]any, err error) error {
	ge, ok := err.(*gqlerror.Error)
	if !ok {
		return apierr.New(apierr.ValidationFailed, "%s", err.Error()).At("$.variableValues")
	}
	name := ""
	if m := varPath.FindStringSubmatch(ge.Path.String()); m != nil {
		name = m[1]
	}
	msg := ge.Message
	if len(ge.Path) == 2 {
		switch msg {
		case "must be defined":
			return apierr.New(apierr.ValidationFailed, "expecting a value for non-nullable variable: %q", name).At("$")
		case "cannot be null":
			return apierr.New(apierr.ValidationFailed, "null value found for non-nullable type: %q", name).At("$.variableValues." + name)
		}
	}
	if e := varError(s, op, given, ge, name); e != nil {
		return e
	}
	path := "$.variableValues"
	if name != "" {
		path += "." + name
	}
	return apierr.New(apierr.ValidationFailed, "%s", msg).At(path)
}

var (
	reNoField  = regexp.MustCompile(`^Cannot query field "([^"]+)" on type "([^"]+)"`)
	reUnknArg  = regexp.MustCompile(`^Unknown argument "([^"]+)" on field "([^".]+)\.([^"]+)"`)
	reRequired = regexp.MustCompile(`^Field "([^"]+)" argument "([^"]+)" of type "([^"]+)" is required`)
	reCycle    = regexp.MustCompile(`^Cannot spread fragment "([^"]+)" within itself`)
	reNoInput  = regexp.MustCompile(`^Field "([^"]+)" is not defined by type "([^"]+)"`)
	reMissing  = regexp.MustCompile(`^Field "[^"]+\.([^".]+)" of required type "[^"]+" was not provided`)
	reNoRoot   = regexp.MustCompile(`^Schema does not support operation type "(mutation|subscription)"`)
)

// translate rewrites a gqlparser validation error into Hasura's message,
// located by a JSON path into the operation.
func translate(doc *ast.QueryDocument, e *gqlerror.Error) *apierr.Error {
	path := "$"
	var at node
	if len(e.Locations) > 0 {
		at, _ = locate(doc, e.Locations[0].Line, e.Locations[0].Column)
		path = at.path
	}
	msg := e.Message
	if err, ok := literalError(at, msg); ok {
		return err.At(path)
	}
	switch {
	case reNoField.MatchString(msg):
		m := reNoField.FindStringSubmatch(msg)
		msg = fmt.Sprintf("field '%s' not found in type: '%s'", m[1], m[2])
	case reUnknArg.MatchString(msg):
		m := reUnknArg.FindStringSubmatch(msg)
		msg = fmt.Sprintf("'%s' has no argument named '%s'", m[3], m[1])
	case reRequired.MatchString(msg):
		m := reRequired.FindStringSubmatch(msg)
		msg = fmt.Sprintf("missing required field '%s'", m[2])
		path += ".args"
	case reNoRoot.MatchString(msg):
		// Hasura's wording for a role without mutations (hasura.md §2.2).
		m := reNoRoot.FindStringSubmatch(msg)
		msg = "no " + m[1] + "s exist"
		path = "$"
	case reNoInput.MatchString(msg):
		m := reNoInput.FindStringSubmatch(msg)
		msg = fmt.Sprintf("field '%s' not found in type: '%s'", m[1], m[2])
	case reCycle.MatchString(msg):
		m := reCycle.FindStringSubmatch(msg)
		names := []string{m[1]}
		path, names = cyclePath(doc, names)
		msg = fmt.Sprintf("the fragment definition(s) %s form a cycle", apierr.EnglishList("and", names))
	case reMissing.MatchString(msg):
		m := reMissing.FindStringSubmatch(msg)
		msg = fmt.Sprintf("missing required field '%s'", m[1])
		path += "." + m[1]
	}
	return apierr.New(apierr.ValidationFailed, "%s", msg).At(path)
}

// cyclePath is where Hasura, inlining fragments from the operation down,
// meets a fragment spread inside itself: the path of the selection set
// holding that spread, fragment names included as path keys, and the
// fragments of the cycle in the order met
// (Hasura/GraphQL/Execute/Inline.hs). Without a cycle reachable from an
// operation it returns "$" and names.
func cyclePath(doc *ast.QueryDocument, names []string) (string, []string) {
	var stack []string
	var path string
	// acyclic holds the fragments whose whole walk met no cycle: walking
	// them again cannot find one, and skipping them keeps the walk linear
	// (a fragment spread twice per level would double it at every level).
	acyclic := map[string]bool{}
	var walk func(set ast.SelectionSet, at string) bool
	walk = func(set ast.SelectionSet, at string) bool {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if walk(s.SelectionSet, at+".selectionSet."+s.Alias) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet, at) {
					return true
				}
			case *ast.FragmentSpread:
				if i := slices.Index(stack, s.Name); i >= 0 {
					path, names = at+".selectionSet", stack[i:]
					return true
				}
				f := doc.Fragments.ForName(s.Name)
				if f == nil || acyclic[s.Name] {
					continue
				}
				stack = append(stack, s.Name)
				if walk(f.SelectionSet, at+".selectionSet."+s.Name) {
					return true
				}
				stack = stack[:len(stack)-1]
				acyclic[s.Name] = true
			}
		}
		return false
	}
	for _, op := range doc.Operations {
		if walk(op.SelectionSet, "$") {
			return path, names
		}
	}
	return "$", names
}
