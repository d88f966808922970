// Package apierr defines Hasura's error codes and the error type every stage
// returns, maps PostgreSQL errors to Hasura's codes, and writes the two JSON
// envelopes Hasura uses. Errors become responses only at one boundary, in
// package server (and later ws), through [From].
package apierr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Code is one of Hasura's error codes (extensions.code / code).
type Code string

// Hasura's error codes (hasura/graphql-engine: server/lib/hasura-base/src/Hasura/Base/Error.hs).
const (
	AccessDenied             Code = "access-denied"
	AlreadyExists            Code = "already-exists"
	AlreadyTracked           Code = "already-tracked"
	AlreadyUntracked         Code = "already-untracked"
	BadRequest               Code = "bad-request"
	Busy                     Code = "busy"
	ConcurrentUpdate         Code = "concurrent-update"
	CoercionError            Code = "coercion-error"
	Conflict                 Code = "conflict"
	ConstraintError          Code = "constraint-error"
	ConstraintViolation      Code = "constraint-violation"
	CyclicDependency         Code = "cyclic-dependency"
	DataException            Code = "data-exception"
	DependencyError          Code = "dependency-error"
	InvalidConfiguration     Code = "invalid-configuration"
	InvalidHeaders           Code = "invalid-headers"
	InvalidJSON              Code = "invalid-json"
	InvalidParams            Code = "invalid-params"
	InvalidJWT               Code = "invalid-jwt"
	JWTInvalidClaims         Code = "jwt-invalid-claims"
	JWTMissingRoleClaims     Code = "jwt-missing-role-claims"
	MethodNotAllowed         Code = "method-not-allowed"
	NotExists                Code = "not-exists"
	NotFound                 Code = "not-found"
	NotSupported             Code = "not-supported"
	ParseFailed              Code = "parse-failed"
	PermissionDenied         Code = "permission-denied"
	PermissionError          Code = "permission-error"
	PostgresError            Code = "postgres-error"
	PostgresMaxConnections   Code = "postgres-max-connections-error"
	StartFailed              Code = "start-failed"
	Unexpected               Code = "unexpected"
	UnexpectedPayload        Code = "unexpected-payload"
	ValidationFailed         Code = "validation-failed"
	Timeout                  Code = "timeout"
	ConnectionNotEstablished Code = "connection-not-established"
)

// Status is the HTTP status Hasura uses for c on endpoints that report real
// statuses (/v1alpha1/graphql and the non-GraphQL APIs).
func (c Code) Status() int {
	switch c {
	case AccessDenied, InvalidJWT, InvalidHeaders, JWTInvalidClaims, JWTMissingRoleClaims, BadRequest, ValidationFailed, ParseFailed, InvalidJSON,
		PermissionError, ConstraintViolation, ConstraintError, DataException, ConcurrentUpdate, AlreadyExists, AlreadyTracked, AlreadyUntracked,
		NotExists, DependencyError, InvalidConfiguration, InvalidParams, CyclicDependency, CoercionError, NotSupported, UnexpectedPayload,
		StartFailed, PermissionDenied, PostgresError:
		return http.StatusBadRequest
	case Conflict:
		return http.StatusConflict
	case MethodNotAllowed:
		return http.StatusMethodNotAllowed
	case NotFound:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// Error is an error in Hasura's shape. Message and Path are what the client
// sees; Err is the cause, kept for logs and, for admins, extensions.internal.
type Error struct {
	Code    Code
	Message string
	// Path is a JSON path into the request ("$", "$.args",
	// "$.selectionSet.author.args.where"); "" means "$".
	Path string
	// Status overrides Code.Status() when non-zero (401 for a wrong admin secret).
	Status int
	// Internal is shown under "internal" to admins (and in dev mode).
	Internal any
	Err      error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus returns the status for endpoints that use real statuses.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.Code.Status()
}

// New returns an error with code and message at path "$".
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// At returns a copy of e located at path.
func (e *Error) At(path string) *Error {
	c := *e
	c.Path = path
	return &c
}

// WithStatus returns a copy of e with an explicit HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// Wrap returns err as an *Error with code and message unless it already is
// one (its code and message then win).
func Wrap(err error, code Code, message string) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	return &Error{Code: code, Message: message, Err: err}
}

// From turns any error into an *Error: an *Error is returned as is, a
// PostgreSQL error is mapped by SQLSTATE (Hasura's mkTxErrorHandler),
// anything else becomes "unexpected" with the error as internal detail.
func From(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return FromPg(pe, nil)
	}
	return &Error{Code: Unexpected, Message: "unexpected error", Internal: err.Error(), Err: err}
}

// FromPg maps a PostgreSQL error (hasura/graphql-engine:
// server/src-lib/Hasura/Backends/Postgres/Execute/Types.hs). stmt, if given,
// is the failing statement, included in the internal detail.
func FromPg(pe *pgconn.PgError, stmt *Statement) *Error {
	e := &Error{Err: pe, Internal: PgInternal(pe, stmt)}
	msg := pe.Message
	switch {
	case pe.Code == "23505":
		e.Code, e.Message = ConstraintViolation, "Uniqueness violation. "+msg
	case pe.Code == "23503":
		e.Code, e.Message = ConstraintViolation, "Foreign key violation. "+msg
	case pe.Code == "23502":
		e.Code, e.Message = ConstraintViolation, "Not-NULL violation. "+msg
	case pe.Code == "23001":
		e.Code, e.Message = ConstraintViolation, "Can not delete or update due to data being referred. "+msg
	case pe.Code == "23P01":
		e.Code, e.Message = ConstraintViolation, "Exclusion violation. "+msg
	case pe.Code == "23514":
		e.Code, e.Message = PermissionError, "Check constraint violation. "+msg
	case strings.HasPrefix(pe.Code, "23"):
		e.Code, e.Message = ConstraintViolation, msg
	case pe.Code == "22025":
		e.Code, e.Message = BadRequest, msg
	case strings.HasPrefix(pe.Code, "22"):
		e.Code, e.Message = DataException, msg
	case pe.Code == "42P10":
		e.Code, e.Message = ConstraintError, "there is no unique or exclusion constraint on target column(s)"
	case pe.Code == "42704":
		e.Code, e.Message = ConstraintError, msg
	case pe.Code == "40001":
		e.Code, e.Message = ConcurrentUpdate, "serialization failure due to concurrent update"
	case strings.HasPrefix(pe.Code, "40"):
		e.Code, e.Message = ConcurrentUpdate, msg
	case pe.Code == "53300":
		e.Code, e.Message, e.Status = PostgresMaxConnections, "max connections reached on postgres", http.StatusInternalServerError
	case pe.Code == "P0001" && pe.Message != "":
		// RAISE EXCEPTION in a function or trigger: Hasura reports it as an
		// unexpected database error; keep that.
		e.Code, e.Message = Unexpected, "database query error"
	default:
		e.Code, e.Message = Unexpected, "database query error"
	}
	if e.Code != Unexpected {
		// Hasura attaches the statement and PostgreSQL's error only to
		// errors it could not map (mutation/insert/constraints cases).
		e.Internal = nil
	}
	return e
}

// Statement is the SQL and arguments of a failed statement, for the
// internal detail of an error.
type Statement struct {
	SQL       string
	Prepared  bool
	Arguments []any
}

// PgInternal is the internal detail Hasura gives a PostgreSQL error: the
// error's fields and, with stmt, the statement and its arguments.
func PgInternal(pe *pgconn.PgError, stmt *Statement) any {
	var hint, desc any
	if pe.Hint != "" {
		hint = pe.Hint
	}
	if pe.Detail != "" {
		desc = pe.Detail
	}
	in := map[string]any{
		"error": map[string]any{
			"exec_status": "FatalError",
			"hint":        hint,
			"message":     pe.Message,
			"status_code": pe.Code,
			"description": desc,
		},
	}
	if stmt != nil {
		args := stmt.Arguments
		if args == nil {
			args = []any{}
		}
		in["statement"] = stmt.SQL
		in["prepared"] = stmt.Prepared
		in["arguments"] = args
	}
	return in
}

// GraphQLErrors writes {"errors":[{message, extensions{path, code[, internal]}}]}.
// showInternal controls whether the internal detail is included.
func GraphQLErrors(errs []*Error, showInternal bool) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"errors":[`)
	for i, e := range errs {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeGraphQLError(&buf, e, showInternal)
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

func writeGraphQLError(buf *bytes.Buffer, e *Error, showInternal bool) {
	path := e.Path
	if path == "" {
		path = "$"
	}
	buf.WriteString(`{"message":`)
	writeJSON(buf, e.Message)
	buf.WriteString(`,"extensions":{"path":`)
	writeJSON(buf, path)
	buf.WriteString(`,"code":`)
	writeJSON(buf, string(e.Code))
	if showInternal && e.Internal != nil {
		buf.WriteString(`,"internal":`)
		writeJSON(buf, e.Internal)
	}
	buf.WriteString("}}")
}

// APIError writes the non-GraphQL envelope {"error", "path", "code"[, "internal"]}.
func APIError(e *Error, showInternal bool) []byte {
	var buf bytes.Buffer
	path := e.Path
	if path == "" {
		path = "$"
	}
	buf.WriteString(`{"error":`)
	writeJSON(&buf, e.Message)
	buf.WriteString(`,"path":`)
	writeJSON(&buf, path)
	buf.WriteString(`,"code":`)
	writeJSON(&buf, string(e.Code))
	if showInternal && e.Internal != nil {
		buf.WriteString(`,"internal":`)
		writeJSON(&buf, e.Internal)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

func writeJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	// Encode appends a newline; drop it.
	if b := buf.Bytes(); len(b) > 0 && b[len(b)-1] == '\n' {
		buf.Truncate(len(b) - 1)
	}
}

// EnglishList joins words as Hasura's messages list them (its englishList):
// "a", "a and b", "a, b, and c".
func EnglishList(joiner string, words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	case 2:
		return words[0] + " " + joiner + " " + words[1]
	}
	return strings.Join(words[:len(words)-1], ", ") + ", " + joiner + " " + words[len(words)-1]
}

// JSONKind names a decoded JSON value's kind as aeson does in Hasura's
// messages ("expected Array, but encountered Object").
func JSONKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "Object"
	case []any:
		return "Array"
	case string:
		return "String"
	case json.Number, float64:
		return "Number"
	case bool:
		return "Boolean"
	}
	return "Null"
}
