package metadir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/graftql/graft/internal/apierr"
)

// Client sends requests to the admin APIs of a graft (or Hasura) server.
// Errors the server answers with are *APIError.
type Client interface {
	// Metadata sends a /v1/metadata request and returns the response body.
	Metadata(ctx context.Context, body []byte) ([]byte, error)
	// Query sends a /v2/query request (run_sql) and returns the response body.
	Query(ctx context.Context, body []byte) ([]byte, error)
}

// Funcs is a Client made of two functions, such as the in-process metadata
// service's Metadata and QueryV2 methods, which return *apierr.Error.
type Funcs struct {
	MetadataFunc func(ctx context.Context, body []byte) ([]byte, error)
	QueryFunc    func(ctx context.Context, body []byte) ([]byte, error)
}

var _ Client = Funcs{}

// Metadata is part of the Client interface.
func (f Funcs) Metadata(ctx context.Context, body []byte) ([]byte, error) {
	out, err := f.MetadataFunc(ctx, body)
	return out, fromAPIErr(err)
}

// Query is part of the Client interface.
func (f Funcs) Query(ctx context.Context, body []byte) ([]byte, error) {
	out, err := f.QueryFunc(ctx, body)
	return out, fromAPIErr(err)
}

// fromAPIErr turns an error of the metadata service into the *APIError a
// client over HTTP would get (with the internal details).
func fromAPIErr(err error) error {
	if err == nil {
		return nil
	}
	ae := apierr.From(err)
	out := parseAPIError(ae.HTTPStatus(), apierr.APIError(ae, true))
	out.Err = err
	return out
}

// HTTPClient talks to a running server over HTTP, as the Hasura CLI does:
// POST /v1/metadata and /v2/query with the admin secret in
// X-Hasura-Admin-Secret.
type HTTPClient struct {
	// Endpoint is the server's base URL, such as http://localhost:8080.
	Endpoint string
	// AdminSecret is sent when not empty.
	AdminSecret string
	// HTTP is the client to use; nil means http.DefaultClient.
	HTTP *http.Client
}

var _ Client = (*HTTPClient)(nil)

// Metadata is part of the Client interface.
func (c *HTTPClient) Metadata(ctx context.Context, body []byte) ([]byte, error) {
	return c.post(ctx, "/v1/metadata", body)
}

// Query is part of the Client interface.
func (c *HTTPClient) Query(ctx context.Context, body []byte) ([]byte, error) {
	return c.post(ctx, "/v2/query", body)
}

func (c *HTTPClient) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	url := strings.TrimRight(c.Endpoint, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.AdminSecret != "" {
		req.Header.Set("X-Hasura-Admin-Secret", c.AdminSecret)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("POST %s: read response: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, parseAPIError(resp.StatusCode, out)
	}
	return out, nil
}

// APIError is an error answer of the admin APIs: {code, error, path,
// internal}.
type APIError struct {
	Status   int
	Code     string
	Message  string
	Path     string
	Internal json.RawMessage
	// Err is the in-process error, when there was one.
	Err error
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = fmt.Sprintf("HTTP status %d", e.Status)
	}
	if d := e.detail(); d != "" && d != msg {
		msg += ": " + d
	}
	return msg
}

// Unwrap returns the in-process error, if any.
func (e *APIError) Unwrap() error { return e.Err }

// detail is the PostgreSQL error message of a failed run_sql
// ({"internal": {"error": {"message": ...}}}), which says what went wrong
// better than "query execution failed".
func (e *APIError) detail() string {
	var in struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(e.Internal, &in) == nil {
		return in.Error.Message
	}
	return ""
}

func parseAPIError(status int, body []byte) *APIError {
	var b struct {
		Code     string          `json:"code"`
		Error    string          `json:"error"`
		Path     string          `json:"path"`
		Internal json.RawMessage `json:"internal"`
	}
	if err := json.Unmarshal(body, &b); err != nil || (b.Error == "" && b.Code == "") {
		return &APIError{Status: status, Message: strings.TrimSpace(string(body))}
	}
	return &APIError{Status: status, Code: b.Code, Message: b.Error, Path: b.Path, Internal: b.Internal}
}

// IsAPIError reports whether err is an answer of the server (rather than,
// say, a connection failure), and returns it.
func IsAPIError(err error) (*APIError, bool) {
	var ae *APIError
	ok := errors.As(err, &ae)
	return ae, ok
}
