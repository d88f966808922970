package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/graftql/graft/internal/apierr"
)

// Note [argument decoding errors]
//
// Hasura decodes request arguments with aeson and reports failures as
// parse-failed at the JSON path of the offending value (Hasura.Base.Error,
// liftIResult). With aeson 2 a missing key reads `key "table" not found`
// at the path of the object that lacks it, and a value of the wrong type
// reads `parsing Text failed, expected String, but encountered Number` at
// the value's path. decodeArgs reproduces both for Go struct decoding.

// parseFailed returns Hasura's parse-failed error at path.
func parseFailed(path, format string, args ...any) *apierr.Error {
	return apierr.New(apierr.ParseFailed, format, args...).At(path)
}

// JSONKind names the JSON type of b as aeson does ("Object", "Array",
// "String", "Number", "Boolean", "Null").
func JSONKind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "Null"
	}
	switch b[0] {
	case '{':
		return "Object"
	case '[':
		return "Array"
	case '"':
		return "String"
	case 't', 'f':
		return "Boolean"
	case 'n':
		return "Null"
	}
	return "Number"
}

// IsNull reports whether b is absent or JSON null.
func IsNull(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || bytes.Equal(b, []byte("null"))
}

// decodeArgs decodes raw, found at path, into dst (a pointer to a struct),
// after checking that raw is an object with every key of required. Errors
// follow Note [argument decoding errors].
func decodeArgs(raw json.RawMessage, path string, dst any, required ...string) error {
	name := typeName(reflect.TypeOf(dst).Elem())
	if k := JSONKind(raw); k != "Object" {
		return parseFailed(path, "parsing %s failed, expected Object, but encountered %s", name, k)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return parseFailed(path, "%s", err.Error())
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			return parseFailed(path, "key %q not found", k)
		}
	}
	return unmarshalAt(raw, path, dst)
}

// unmarshalAt decodes raw into dst and translates encoding/json errors.
func unmarshalAt(raw json.RawMessage, path string, dst any) error {
	err := json.Unmarshal(raw, dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		p := path
		if te.Field != "" {
			p += "." + te.Field
		}
		return parseFailed(p, "parsing %s failed, expected %s, but encountered %s",
			typeName(te.Type), expectedKind(te.Type), encountered(te.Value))
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return apierr.New(apierr.InvalidJSON, "%s", err.Error()).At(path)
	}
	return parseFailed(path, "%s", err.Error())
}

func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "Text"
	case reflect.Bool:
		return "Bool"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "Int"
	case reflect.Float32, reflect.Float64:
		return "Double"
	case reflect.Slice, reflect.Array:
		return "[]"
	case reflect.Map:
		return "HashMap"
	}
	if t.Name() != "" {
		return t.Name()
	}
	return "Object"
}

func expectedKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "Number"
	case reflect.Slice, reflect.Array:
		return "Array"
	}
	return "Object"
}

func encountered(v string) string {
	switch {
	case strings.HasPrefix(v, "number"):
		return "Number"
	case v == "string":
		return "String"
	case v == "bool":
		return "Boolean"
	case v == "array":
		return "Array"
	case v == "object":
		return "Object"
	}
	return v
}

// sourceArg is the optional "source" argument every source-specific
// command takes ("default" when absent).
func sourceOr(s string) string {
	if s == "" {
		return DefaultSource
	}
	return s
}

// DefaultSource is the name of the source the legacy APIs and the
// HASURA_GRAPHQL_DATABASE_URL source use.
const DefaultSource = "default"

// mustJSON marshals v, which cannot fail for the model's types.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("metadata: marshal %T: %v", v, err))
	}
	return b
}
