package metadir

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"gopkg.in/yaml.v3"
)

// Actions live in two files: actions.graphql holds each action's
// signature (a field of type Query or Mutation) and the custom types as
// SDL, actions.yaml the rest (handler, kind, headers, permissions, ...)
// and the names of the custom types. The Hasura CLI converts between SDL
// and metadata with its cli-ext helper
// (hasura/graphql-engine: cli/internal/metadataobject/actions/actions.go,
// frontend shared/utils/sdlUtils.ts); graft does the same with gqlparser.

// actionsYAML is actions.yaml as the CLI reads it
// (cli/internal/metadataobject/actions/types/types.go, Common).
type actionsYAML struct {
	Actions     []actionYAML `yaml:"actions"`
	CustomTypes struct {
		Enums        []customTypeYAML `yaml:"enums"`
		InputObjects []customTypeYAML `yaml:"input_objects"`
		Objects      []customTypeYAML `yaml:"objects"`
		Scalars      []customTypeYAML `yaml:"scalars"`
	} `yaml:"custom_types"`
}

type actionYAML struct {
	Name       string `yaml:"name"`
	Definition struct {
		Kind                 string    `yaml:"kind"`
		Handler              string    `yaml:"handler"`
		ForwardClientHeaders bool      `yaml:"forward_client_headers"`
		Headers              yaml.Node `yaml:"headers"`
		Timeout              int       `yaml:"timeout"`
		RequestTransform     yaml.Node `yaml:"request_transform"`
		ResponseTransform    yaml.Node `yaml:"response_transform"`
	} `yaml:"definition"`
	Permissions yaml.Node `yaml:"permissions"`
	Comment     yaml.Node `yaml:"comment"`
}

type customTypeYAML struct {
	Name          string    `yaml:"name"`
	Description   *string   `yaml:"description"`
	Relationships yaml.Node `yaml:"relationships"`
}

// sdlAction is an action read from actions.graphql.
type sdlAction struct {
	name, typ, outputType, description string
	args                               []sdlField
}

// sdlField is an argument, a field or an enum value.
type sdlField struct{ name, typ, description string }

// sdlType is a custom type read from actions.graphql.
type sdlType struct {
	kind        string // enums, input_objects, objects, scalars
	name        string
	description string
	fields      []sdlField // values, for an enum
}

var customTypeKinds = []string{"enums", "input_objects", "objects", "scalars"}

// readActions builds the actions and custom_types of the metadata from
// actions.graphql and actions.yaml; both are nil when neither file exists.
func readActions(dir string) (actions, customTypes json.RawMessage, err error) {
	gqlPath, yamlPath := filepath.Join(dir, "actions.graphql"), filepath.Join(dir, "actions.yaml")
	if !exists(gqlPath) && !exists(yamlPath) {
		return nil, nil, nil
	}
	var sdl []byte
	if exists(gqlPath) {
		if sdl, err = os.ReadFile(gqlPath); err != nil {
			return nil, nil, err
		}
	}
	acts, types, err := parseActionsSDL(string(sdl))
	if err != nil {
		return nil, nil, &FileError{Path: gqlPath, Err: err}
	}
	var y actionsYAML
	if exists(yamlPath) {
		b, err := os.ReadFile(yamlPath)
		if err != nil {
			return nil, nil, err
		}
		if err := yaml.Unmarshal(b, &y); err != nil {
			return nil, nil, &FileError{Path: yamlPath, Err: err}
		}
	}
	byName := map[string]*actionYAML{}
	for i := range y.Actions {
		a := &y.Actions[i]
		found := false
		for _, s := range acts {
			found = found || s.name == a.Name
		}
		if !found {
			return nil, nil, &FileError{Path: yamlPath, Err: fmt.Errorf("action %s is not present in actions.graphql", a.Name)}
		}
		byName[a.Name] = a
	}
	yamlTypes := map[string]map[string]*customTypeYAML{}
	for kind, list := range map[string][]customTypeYAML{"enums": y.CustomTypes.Enums, "input_objects": y.CustomTypes.InputObjects,
		"objects": y.CustomTypes.Objects, "scalars": y.CustomTypes.Scalars} {
		yamlTypes[kind] = map[string]*customTypeYAML{}
		for i := range list {
			t := &list[i]
			found := false
			for _, s := range types {
				found = found || (s.kind == kind && s.name == t.Name)
			}
			if !found {
				return nil, nil, &FileError{Path: yamlPath, Err: fmt.Errorf("custom type %s is not present in actions.graphql", t.Name)}
			}
			yamlTypes[kind][t.Name] = t
		}
	}

	if len(acts) > 0 {
		var buf []byte
		buf = append(buf, '[')
		for i, s := range acts {
			if i > 0 {
				buf = append(buf, ',')
			}
			o, err := actionJSON(s, byName[s.name])
			if err != nil {
				return nil, nil, &FileError{Path: yamlPath, Err: err}
			}
			buf = append(buf, o...)
		}
		actions = append(buf, ']')
	}
	if len(types) > 0 {
		var ct object
		for _, kind := range customTypeKinds {
			var list []byte
			list = append(list, '[')
			first := true
			for _, t := range types {
				if t.kind != kind {
					continue
				}
				if !first {
					list = append(list, ',')
				}
				first = false
				o, err := customTypeJSON(t, yamlTypes[kind][t.name])
				if err != nil {
					return nil, nil, &FileError{Path: yamlPath, Err: err}
				}
				list = append(list, o...)
			}
			ct.add(kind, append(list, ']'))
		}
		customTypes = ct.bytes()
	}
	return actions, customTypes, nil
}

// actionJSON is one action as the CLI sends it: the signature from the
// SDL, the rest from actions.yaml.
func actionJSON(s sdlAction, y *actionYAML) (json.RawMessage, error) {
	var def object
	kind, handler := "", ""
	if y != nil {
		kind, handler = y.Definition.Kind, y.Definition.Handler
	}
	def.add("kind", mustMarshal(kind))
	def.add("type", mustMarshal(s.typ))
	def.add("handler", mustMarshal(handler))
	if len(s.args) > 0 {
		def.add("arguments", fieldsJSON(s.args, "name"))
	}
	def.add("output_type", mustMarshal(s.outputType))
	var comment json.RawMessage
	if s.description != "" {
		comment = mustMarshal(s.description)
	}
	var permissions json.RawMessage
	if y != nil {
		d := &y.Definition
		if d.ForwardClientHeaders {
			def.add("forward_client_headers", json.RawMessage(`true`))
		}
		if err := addPresent(&def, "headers", &d.Headers); err != nil {
			return nil, err
		}
		if d.Timeout != 0 {
			def.add("timeout", mustMarshal(d.Timeout))
		}
		if err := addPresent(&def, "request_transform", &d.RequestTransform); err != nil {
			return nil, err
		}
		if err := addPresent(&def, "response_transform", &d.ResponseTransform); err != nil {
			return nil, err
		}
		var err error
		if permissions, err = presentJSON(&y.Permissions); err != nil {
			return nil, err
		}
		// actions.yaml's comment replaces the SDL description, even when absent.
		if comment, err = presentJSON(&y.Comment); err != nil {
			return nil, err
		}
		if string(comment) == "null" {
			comment = nil
		}
	}
	var o object
	o.add("name", mustMarshal(s.name))
	o.add("definition", def.bytes())
	if permissions != nil {
		o.add("permissions", permissions)
	}
	if comment != nil {
		o.add("comment", comment)
	}
	return o.bytes(), nil
}

func customTypeJSON(t sdlType, y *customTypeYAML) (json.RawMessage, error) {
	var o object
	o.add("name", mustMarshal(t.name))
	desc := t.description
	if y != nil {
		desc = ""
		if y.Description != nil {
			desc = *y.Description
		}
	}
	if desc != "" || (y != nil && y.Description != nil) {
		o.add("description", mustMarshal(desc))
	}
	switch t.kind {
	case "enums":
		o.add("values", fieldsJSON(t.fields, "value"))
	case "input_objects", "objects":
		o.add("fields", fieldsJSON(t.fields, "name"))
	}
	if y != nil {
		if err := addPresent(&o, "relationships", &y.Relationships); err != nil {
			return nil, err
		}
	}
	return o.bytes(), nil
}

// fieldsJSON is a list of {name|value, type, description}.
func fieldsJSON(fs []sdlField, nameKey string) json.RawMessage {
	buf := []byte{'['}
	for i, f := range fs {
		if i > 0 {
			buf = append(buf, ',')
		}
		var o object
		o.add(nameKey, mustMarshal(f.name))
		if f.typ != "" {
			o.add("type", mustMarshal(f.typ))
		}
		// cli-ext sends a null description for fields, arguments and
		// enum values that have none (cli/internal/metadataobject/actions/
		// testdata/build/t1/want.json).
		if f.description != "" {
			o.add("description", mustMarshal(f.description))
		} else {
			o.add("description", json.RawMessage(`null`))
		}
		buf = append(buf, o.bytes()...)
	}
	return append(buf, ']')
}

// addPresent adds key when the YAML had it.
func addPresent(o *object, key string, n *yaml.Node) error {
	v, err := presentJSON(n)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if v != nil {
		o.add(key, v)
	}
	return nil
}

func presentJSON(n *yaml.Node) (json.RawMessage, error) {
	if n.IsZero() {
		return nil, nil
	}
	return nodeJSON(n)
}

func mustMarshal(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("metadir: marshal %T: %v", v, err)) // strings and ints only
	}
	return b
}

// parseActionsSDL reads actions.graphql: every field of a type (or type
// extension) named Query or Mutation is an action; every other type is a
// custom type. Order is the file's.
func parseActionsSDL(sdl string) ([]sdlAction, []sdlType, error) {
	if strings.TrimSpace(sdl) == "" {
		return nil, nil, nil
	}
	doc, err := parser.ParseSchema(&ast.Source{Name: "actions.graphql", Input: sdl})
	if err != nil {
		return nil, nil, err
	}
	if len(doc.Schema) > 0 || len(doc.SchemaExtension) > 0 {
		return nil, nil, fmt.Errorf("you cannot have schema definitions in action or type definitions")
	}
	defs := append(append(ast.DefinitionList{}, doc.Definitions...), doc.Extensions...)
	sort.SliceStable(defs, func(i, j int) bool { return pos(defs[i]) < pos(defs[j]) })
	var acts []sdlAction
	var types []sdlType
	for _, d := range defs {
		desc := strings.TrimSpace(d.Description)
		switch d.Kind {
		case ast.Object:
			if d.Name == "Query" || d.Name == "Mutation" {
				for _, f := range d.Fields {
					a := sdlAction{name: f.Name, typ: strings.ToLower(d.Name), outputType: f.Type.String(),
						description: strings.TrimSpace(f.Description)}
					for _, arg := range f.Arguments {
						a.args = append(a.args, sdlField{arg.Name, arg.Type.String(), strings.TrimSpace(arg.Description)})
					}
					acts = append(acts, a)
				}
				continue
			}
			types = append(types, sdlType{kind: "objects", name: d.Name, description: desc, fields: fieldDefs(d.Fields)})
		case ast.InputObject:
			types = append(types, sdlType{kind: "input_objects", name: d.Name, description: desc, fields: fieldDefs(d.Fields)})
		case ast.Enum:
			t := sdlType{kind: "enums", name: d.Name, description: desc}
			for _, v := range d.EnumValues {
				t.fields = append(t.fields, sdlField{name: v.Name, description: strings.TrimSpace(v.Description)})
			}
			types = append(types, t)
		case ast.Scalar:
			types = append(types, sdlType{kind: "scalars", name: d.Name, description: desc})
		case ast.Interface:
			return nil, nil, fmt.Errorf("interface types are not supported (%s)", d.Name)
		}
	}
	return acts, types, nil
}

func pos(d *ast.Definition) int {
	if d.Position == nil {
		return 0
	}
	return d.Position.Start
}

func fieldDefs(fs ast.FieldList) []sdlField {
	var out []sdlField
	for _, f := range fs {
		out = append(out, sdlField{f.Name, f.Type.String(), strings.TrimSpace(f.Description)})
	}
	return out
}

// writeActions lays out the actions and custom types of the metadata as
// the CLI exports them: actions.yaml without the parts that live in the
// SDL, and actions.graphql.
func writeActions(actionsRaw, customTypesRaw json.RawMessage) (yamlOut, sdlOut []byte, err error) {
	acts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if len(actionsRaw) > 0 && string(actionsRaw) != "null" {
		if acts, err = jsonNode(actionsRaw); err != nil {
			return nil, nil, fmt.Errorf("actions: %w", err)
		}
		if acts.Kind != yaml.SequenceNode {
			return nil, nil, fmt.Errorf("actions: expected a list")
		}
	}
	sortItems(acts, byField("name"))
	types := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(customTypesRaw) > 0 && string(customTypesRaw) != "null" {
		if types, err = jsonNode(customTypesRaw); err != nil {
			return nil, nil, fmt.Errorf("custom_types: %w", err)
		}
	}

	var sdl strings.Builder
	outActs := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, a := range acts.Content {
		def := mapGet(a, "definition")
		writeActionSDL(&sdl, a, def)
		o := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		mapSet(o, "name", strNode(mapString(a, "name")))
		d := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		mapSet(d, "kind", strNode(scalarOr(mapGet(def, "kind"))))
		mapSet(d, "handler", strNode(scalarOr(mapGet(def, "handler"))))
		if v := mapGet(def, "forward_client_headers"); v != nil && v.Value == "true" {
			mapSet(d, "forward_client_headers", v)
		}
		if v := mapGet(def, "headers"); v != nil {
			mapSet(d, "headers", v)
		}
		if v := mapGet(def, "timeout"); v != nil && v.Value != "0" && v.Tag != "!!null" {
			mapSet(d, "timeout", v)
		}
		for _, k := range []string{"request_transform", "response_transform"} {
			if v := mapGet(def, k); v != nil {
				mapSet(d, k, v)
			}
		}
		mapSet(o, "definition", d)
		if v := mapGet(a, "permissions"); v != nil {
			mapSet(o, "permissions", v)
		}
		if v := mapGet(a, "comment"); v != nil && v.Tag != "!!null" {
			mapSet(o, "comment", v)
		}
		outActs.Content = append(outActs.Content, o)
	}

	outTypes := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for _, kind := range customTypeKinds {
		list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if src := mapGet(types, kind); src != nil {
			for _, t := range src.Content {
				writeTypeSDL(&sdl, kind, t)
				o := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				mapSet(o, "name", strNode(mapString(t, "name")))
				if v := mapGet(t, "description"); v != nil && v.Tag != "!!null" {
					mapSet(o, "description", v)
				}
				if v := mapGet(t, "values"); v != nil && len(v.Content) > 0 {
					mapSet(o, "values", enumValues(v))
				}
				if v := mapGet(t, "relationships"); v != nil {
					mapSet(o, "relationships", v)
				}
				list.Content = append(list.Content, o)
			}
		}
		mapSet(outTypes, kind, list)
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	mapSet(root, "actions", outActs)
	mapSet(root, "custom_types", outTypes)
	y, err := encodeYAML(root)
	if err != nil {
		return nil, nil, err
	}
	return y, []byte(sdl.String()), nil
}

// enumValues gives enum values the shape Hasura stores and exports
// (EnumValueDefinition: description, is_deprecated and value, in
// alphabetical order, null when not set), whatever shape actions.graphql
// gave them.
func enumValues(vs *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, v := range vs.Content {
		o := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		for _, k := range []string{"description", "is_deprecated", "value"} {
			x := mapGet(v, k)
			if x == nil {
				x = nullNode()
			}
			mapSet(o, k, x)
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if mapGet(o, v.Content[i].Value) == nil {
				mapSet(o, v.Content[i].Value, v.Content[i+1])
			}
		}
		sortKeys(o)
		out.Content = append(out.Content, o)
	}
	return out
}

func scalarOr(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// descriptionSDL is the SDL prefix of a description
// (sdlUtils.ts, getEntityDescriptionSdl).
func descriptionSDL(n *yaml.Node) string {
	d := strings.TrimSpace(scalarOr(mapGet(n, "description")))
	if d == "" {
		return ""
	}
	return `""" ` + d + ` """ `
}

// writeActionSDL writes an action's signature as the CLI does, one type
// block per action, without its comment (which stays in actions.yaml):
//
//	type Mutation {
//	  login(
//	    username: String!
//	  ): LoginOutput
//	}
func writeActionSDL(sdl *strings.Builder, a, def *yaml.Node) {
	op := "Mutation"
	if scalarOr(mapGet(def, "type")) == "query" {
		op = "Query"
	}
	fmt.Fprintf(sdl, "type %s {\n  %s%s: %s\n}\n\n", op, mapString(a, "name"),
		argumentsSDL(mapGet(def, "arguments")), scalarOr(mapGet(def, "output_type")))
}

func argumentsSDL(args *yaml.Node) string {
	if args == nil || args.Kind != yaml.SequenceNode || len(args.Content) == 0 {
		return ""
	}
	lines := make([]string, 0, len(args.Content))
	for _, arg := range args.Content {
		lines = append(lines, "    "+descriptionSDL(arg)+mapString(arg, "name")+": "+mapString(arg, "type"))
	}
	return "(\n" + strings.Join(lines, "\n") + "\n  )"
}

func writeTypeSDL(sdl *strings.Builder, kind string, t *yaml.Node) {
	name := mapString(t, "name")
	desc := descriptionSDL(t)
	switch kind {
	case "scalars":
		fmt.Fprintf(sdl, "%sscalar %s\n\n", desc, name)
	case "enums":
		var lines []string
		if vs := mapGet(t, "values"); vs != nil {
			for _, v := range vs.Content {
				lines = append(lines, "  "+descriptionSDL(v)+mapString(v, "value"))
			}
		}
		fmt.Fprintf(sdl, "%senum %s {\n%s\n}\n\n", desc, name, strings.Join(lines, "\n"))
	default:
		keyword := "type"
		if kind == "input_objects" {
			keyword = "input"
		}
		var lines []string
		if fs := mapGet(t, "fields"); fs != nil {
			for _, f := range fs.Content {
				lines = append(lines, "  "+descriptionSDL(f)+mapString(f, "name")+argumentsSDL(mapGet(f, "arguments"))+": "+mapString(f, "type"))
			}
		}
		fmt.Fprintf(sdl, "%s%s %s {\n%s\n}\n\n", desc, keyword, name, strings.Join(lines, "\n"))
	}
}
