// Package server is graft's HTTP front: routes, middleware (request ids,
// CORS, gzip), authentication of each request, and the one place where an
// error becomes an HTTP response in Hasura's shapes.
package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
)

// Metadata is the metadata service behind /v1/metadata, /v1/query and
// /v2/query (package metaapi).
type Metadata interface {
	Snapshot() *schema.Snapshot
	Metadata(ctx context.Context, body []byte) ([]byte, error)
	QueryV1(ctx context.Context, body []byte) ([]byte, error)
	QueryV2(ctx context.Context, body []byte) ([]byte, error)
	Inconsistent() bool
}

// Options configure a Server.
type Options struct {
	Auth   auth.Authenticator
	Engine *exec.Engine
	Meta   Metadata
	Logger *slog.Logger
	// EnabledAPIs holds "graphql", "metadata", "pgdump", "config",
	// "developer", "metrics" (HASURA_GRAPHQL_ENABLED_APIS).
	EnabledAPIs map[string]bool
	// CORSDomains is the parsed HASURA_GRAPHQL_CORS_DOMAIN ("*" = any).
	CORSDomains []string
	DisableCORS bool
	// DevMode and AdminInternalErrors decide who sees extensions.internal.
	DevMode             bool
	AdminInternalErrors bool
	// Console serves /console when non-nil and the console is enabled.
	Console http.Handler
	// Version is reported by /v1/version.
	Version string
	// Config answers /v1alpha1/config (admin only).
	Config func() any
	// Healthy reports whether the metadata database is reachable (nil: always).
	Healthy func(ctx context.Context) error
	// WebSocket serves GraphQL over websockets on the GraphQL paths (package
	// ws); nil refuses upgrades.
	WebSocket WebSocket
	// SignIn serves graft's sign-in service under [SignInPrefix] (package
	// signin); nil leaves those paths to the 404 handler. It does its own
	// CORS, as Nhost Auth does, and sees paths without the prefix.
	SignIn http.Handler
}

// SignInPrefix is where the sign-in service is mounted (signin.md §2).
const SignInPrefix = "/auth/v1"

// WebSocket is the websocket server (package ws).
type WebSocket interface {
	// Handler upgrades a request; legacyErrors selects the non-GraphQL
	// error envelope (/v1alpha1/graphql).
	Handler(mode exec.Mode, legacyErrors bool) http.Handler
	// Shutdown sends close frames and waits for the connections to end.
	Shutdown(ctx context.Context) error
}

// Server is graft's HTTP handler.
type Server struct {
	o       Options
	log     *slog.Logger
	handler http.Handler
}

// New returns a Server.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.EnabledAPIs == nil {
		o.EnabledAPIs = map[string]bool{"graphql": true, "metadata": true, "pgdump": true, "config": true}
	}
	if len(o.CORSDomains) == 0 {
		o.CORSDomains = []string{"*"}
	}
	s := &Server{o: o, log: o.Logger}
	s.handler = s.routes()
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	gqlOn := s.o.EnabledAPIs["graphql"]
	metaOn := s.o.EnabledAPIs["metadata"]
	if gqlOn {
		mux.HandleFunc("POST /v1/graphql", s.graphql(exec.ModeGraphQL, false))
		mux.HandleFunc("POST /v1alpha1/graphql", s.graphql(exec.ModeGraphQL, true))
		mux.HandleFunc("POST /v1beta1/relay", s.graphql(exec.ModeRelay, false))
		mux.HandleFunc("GET /v1/graphql", s.upgrade(exec.ModeGraphQL, false, s.persistedQueries))
		mux.HandleFunc("GET /v1alpha1/graphql", s.upgrade(exec.ModeGraphQL, true, s.notFound))
		mux.HandleFunc("GET /v1beta1/relay", s.upgrade(exec.ModeRelay, false, s.notFound))
	}
	if metaOn {
		mux.HandleFunc("POST /v1/metadata", s.adminAPI(s.o.Meta.Metadata))
		mux.HandleFunc("POST /v1/query", s.adminAPI(s.o.Meta.QueryV1))
		mux.HandleFunc("POST /v2/query", s.adminAPI(s.o.Meta.QueryV2))
	}
	if metaOn {
		mux.HandleFunc("POST /v1/graphql/explain", s.explain)
		mux.HandleFunc("POST /v1alpha1/graphql/explain", s.explain)
	}
	if s.o.EnabledAPIs["config"] {
		mux.HandleFunc("GET /v1alpha1/config", s.config)
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /hasura/healthz", s.healthz)
	mux.HandleFunc("GET /v1/version", s.version)
	if s.o.Console != nil && metaOn {
		mux.Handle("/console", s.o.Console)
		mux.Handle("/console/", s.o.Console)
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "console", http.StatusTemporaryRedirect)
		})
	}
	mux.HandleFunc("/", s.notFound)
	return s.middleware(mux)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if isUpgrade(r) {
		writeAPIError(w, apierr.New(apierr.NotFound, "only '/v1/graphql', '/v1alpha1/graphql' and '/v1beta1/relay' are supported on websockets").WithStatus(http.StatusNotFound), false)
		return
	}
	writeAPIError(w, apierr.New(apierr.NotFound, "resource does not exist").WithStatus(http.StatusNotFound), false)
}

// upgrade serves a websocket handshake on a GraphQL path (hasura.md §5.9)
// and any other GET with next. A handshake from an origin outside the CORS
// domains is refused as Hasura refuses it.
func (s *Server) upgrade(mode exec.Mode, legacyErrors bool, next http.HandlerFunc) http.HandlerFunc {
	if s.o.WebSocket == nil {
		return next
	}
	ws := s.o.WebSocket.Handler(mode, legacyErrors)
	return func(w http.ResponseWriter, r *http.Request) {
		if !isUpgrade(r) {
			next(w, r)
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" && !s.o.DisableCORS && !originAllowed(s.o.CORSDomains, origin) {
			e := apierr.New(apierr.AccessDenied, "received origin header does not match configured CORS domains")
			writeJSON(w, http.StatusBadRequest, bytes.TrimSuffix(bytes.TrimPrefix(apierr.GraphQLErrors([]*apierr.Error{e}, false), []byte(`{"errors":[`)), []byte("]}")))
			return
		}
		ws.ServeHTTP(w, r)
	}
}

// Shutdown closes the websocket connections with close frames and stops
// their subscriptions: http.Server.Shutdown does not see hijacked
// connections (net/http: Server.Shutdown, RegisterOnShutdown).
func (s *Server) Shutdown(ctx context.Context) error {
	if s.o.WebSocket == nil {
		return nil
	}
	return s.o.WebSocket.Shutdown(ctx)
}

func (s *Server) persistedQueries(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, apierr.GraphQLErrors([]*apierr.Error{apierr.New(apierr.NotSupported, "Automatic Persisted Queries is not enabled")}, false))
}

// showInternal says whether errors for sess include extensions.internal
// (hasura.md §2.1).
func (s *Server) showInternal(sess *session.Session) bool {
	if s.o.DevMode {
		return true
	}
	return sess != nil && sess.IsAdmin() && s.o.AdminInternalErrors
}

const maxBody = 64 << 20

func readBody(r *http.Request) ([]byte, error) {
	// Size the buffer from Content-Length, but only up to preallocBody:
	// the header is the client's word, and a request that only announces
	// 64 MiB must not cost 64 MiB before it is authenticated.
	size := min(max(r.ContentLength, 0), preallocBody) + bytes.MinRead
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(http.MaxBytesReader(nil, r.Body, maxBody)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// preallocBody bounds the buffer readBody makes before reading.
const preallocBody = 64 << 10

// graphql serves /v1/graphql (realStatus false: always 200) and
// /v1alpha1/graphql (realStatus true).
func (s *Server) graphql(mode exec.Mode, realStatus bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		fail := func(sess *session.Session, err error) {
			ae := apierr.From(err)
			status := http.StatusOK
			if realStatus {
				status = ae.HTTPStatus()
			}
			writeJSON(w, status, apierr.GraphQLErrors([]*apierr.Error{ae}, s.showInternal(sess)))
		}
		body, err := readBody(r)
		if err != nil {
			fail(nil, apierr.New(apierr.InvalidJSON, "could not read the request body"))
			return
		}
		// A POST auth webhook receives the GraphQL request (hasura.md §3.3).
		sess, err := s.authenticate(auth.WithRequestBody(ctx, body), w, r)
		if err != nil {
			fail(nil, err)
			return
		}
		reqs, batch, err := decodeGraphQLBody(body)
		if err != nil {
			fail(sess, err)
			return
		}
		snap := s.o.Meta.Snapshot()
		var out bytes.Buffer
		if batch {
			out.WriteByte('[')
		}
		status := http.StatusOK
		for i, req := range reqs {
			if i > 0 {
				out.WriteByte(',')
			}
			mark := out.Len()
			if err := s.o.Engine.Execute(ctx, snap, sess, req, mode, &out); err != nil {
				out.Truncate(mark)
				ae := apierr.From(err)
				s.logError(ctx, sess, ae)
				if realStatus && !batch {
					status = ae.HTTPStatus()
				}
				out.Write(apierr.GraphQLErrors([]*apierr.Error{ae}, s.showInternal(sess)))
			}
		}
		if batch {
			out.WriteByte(']')
		}
		writeJSON(w, status, out.Bytes())
	}
}

func (s *Server) logError(ctx context.Context, sess *session.Session, e *apierr.Error) {
	if e.Code == apierr.Unexpected {
		s.log.LogAttrs(ctx, slog.LevelError, "request failed",
			slog.String("role", sess.Role), slog.String("code", string(e.Code)),
			slog.String("error", e.Error()), slog.Any("internal", e.Internal))
	}
}

// decodeGraphQLBody decodes one request or a batch (a JSON array).
func decodeGraphQLBody(body []byte) ([]*gql.Request, bool, error) {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var raws []json.RawMessage
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, true, apierr.New(apierr.InvalidJSON, "%s", jsonErrorText(err))
		}
		out := make([]*gql.Request, 0, len(raws))
		for _, raw := range raws {
			req, err := decodeGraphQLRequest(raw)
			if err != nil {
				return nil, true, err
			}
			out = append(out, req)
		}
		return out, true, nil
	}
	req, err := decodeGraphQLRequest(body)
	if err != nil {
		return nil, false, err
	}
	return []*gql.Request{req}, false, nil
}

func decodeGraphQLRequest(raw []byte) (*gql.Request, error) {
	var in struct {
		Query         *string         `json:"query"`
		Variables     json.RawMessage `json:"variables"`
		OperationName *string         `json:"operationName"`
		Extensions    struct {
			PersistedQuery json.RawMessage `json:"persistedQuery"`
		} `json:"extensions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&in); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, apierr.New(apierr.ParseFailed, "expected %s for the key '%s'", ute.Value, ute.Field).At("$." + ute.Field)
		}
		return nil, apierr.New(apierr.InvalidJSON, "%s", jsonErrorText(err))
	}
	if p := in.Extensions.PersistedQuery; len(p) > 0 && string(p) != "null" {
		// Automatic persisted queries are an Enterprise feature of Hasura;
		// CE answers this way (basic/select_query_with_extensions.yaml).
		return nil, apierr.New(apierr.NotSupported, "Automatic Persisted Queries is not enabled")
	}
	if in.Query == nil {
		return nil, apierr.New(apierr.ParseFailed, "the key 'query' was not present")
	}
	req := &gql.Request{Query: *in.Query}
	if in.OperationName != nil {
		req.OperationName = *in.OperationName
	}
	if err := req.SetVariables(in.Variables); err != nil {
		return nil, apierr.New(apierr.ParseFailed, "expected an object for the key 'variables'").At("$.variables")
	}
	return req, nil
}

func jsonErrorText(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "Error in $: " + se.Error()
	}
	return "Error in $: " + err.Error()
}

// authenticate resolves the request's session and adds the auth webhook's
// Set-Cookie headers to the response.
func (s *Server) authenticate(ctx context.Context, w http.ResponseWriter, r *http.Request) (*session.Session, error) {
	sess, err := s.o.Auth.Authenticate(ctx, r.Header)
	if err != nil {
		return nil, err
	}
	for _, c := range sess.SetCookies {
		w.Header().Add("Set-Cookie", c)
	}
	return sess, nil
}

// adminOnly authenticates a request to an admin-only endpoint and reports
// whether it may go on; when not, it has answered the request.
func (s *Server) adminOnly(w http.ResponseWriter, r *http.Request) bool {
	sess, err := s.authenticate(r.Context(), w, r)
	if err != nil {
		writeAPIError(w, apierr.From(err), false)
		return false
	}
	if !sess.IsAdmin() {
		writeAPIError(w, apierr.New(apierr.AccessDenied, "You have to be an admin to access this endpoint"), false)
		return false
	}
	return true
}

// adminAPI serves an admin-only JSON API (/v1/metadata, /v1/query, /v2/query).
func (s *Server) adminAPI(fn func(ctx context.Context, body []byte) ([]byte, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		sess, err := s.authenticate(ctx, w, r)
		if err != nil {
			writeAPIError(w, apierr.From(err), s.showInternal(nil))
			return
		}
		if !sess.IsAdmin() {
			writeAPIError(w, apierr.New(apierr.AccessDenied, "restricted access : admin only").At("$.args"), s.showInternal(sess))
			return
		}
		body, err := readBody(r)
		if err != nil {
			writeAPIError(w, apierr.New(apierr.InvalidJSON, "could not read the request body"), true)
			return
		}
		out, err := fn(ctx, body)
		if err != nil {
			ae := apierr.From(err)
			s.logError(ctx, sess, ae)
			writeAPIError(w, ae, s.showInternal(sess))
			return
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// explain serves /v1/graphql/explain: the SQL and plan of each root field
// of a query run as the given user (admin only).
func (s *Server) explain(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.adminOnly(w, r) {
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeAPIError(w, apierr.New(apierr.InvalidJSON, "could not read the request body"), true)
		return
	}
	var in exec.ExplainRequest
	if err := json.Unmarshal(body, &in); err != nil {
		writeAPIError(w, apierr.New(apierr.InvalidJSON, "%s", jsonErrorText(err)), true)
		return
	}
	if len(in.Query) == 0 {
		writeAPIError(w, apierr.New(apierr.ParseFailed, "the key 'query' was not present"), true)
		return
	}
	req, err := decodeGraphQLRequest(in.Query)
	if err != nil {
		writeAPIError(w, apierr.From(err).At("$.query"), true)
		return
	}
	role := session.AdminRole
	for k, v := range in.User {
		if strings.EqualFold(k, session.HeaderRole) {
			role = v
		}
	}
	mode := exec.ModeGraphQL
	if in.IsRelay {
		mode = exec.ModeRelay
	}
	out, err := s.o.Engine.Explain(ctx, s.o.Meta.Snapshot(), session.New(role, in.User), req, mode)
	if err != nil {
		writeAPIError(w, apierr.From(err), true)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		writeAPIError(w, apierr.From(err), true)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.o.Healthy != nil {
		if err := s.o.Healthy(r.Context()); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "ERROR")
			return
		}
	}
	if s.o.Meta.Inconsistent() {
		if r.URL.Query().Get("strict") == "true" {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, "ERROR: inconsistent objects in schema")
			return
		}
		io.WriteString(w, "WARN: inconsistent objects in schema")
		return
	}
	io.WriteString(w, "OK")
}

func (s *Server) version(w http.ResponseWriter, r *http.Request) {
	b, _ := json.Marshal(map[string]string{"version": s.o.Version})
	writeJSON(w, http.StatusOK, b)
}

func (s *Server) config(w http.ResponseWriter, r *http.Request) {
	if !s.adminOnly(w, r) {
		return
	}
	var v any = map[string]any{"version": s.o.Version}
	if s.o.Config != nil {
		v = s.o.Config()
	}
	b, err := json.Marshal(v)
	if err != nil {
		writeAPIError(w, apierr.From(err), true)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	// An explicit length spares the chunked encoding of bodies over the
	// response buffer (the gzip writer drops it again).
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeAPIError(w http.ResponseWriter, e *apierr.Error, showInternal bool) {
	writeJSON(w, e.HTTPStatus(), apierr.APIError(e, showInternal))
}

// originAllowed reports whether origin matches the CORS domains: "*", an
// exact scheme://host[:port], or a wildcard matching one subdomain level.
func originAllowed(domains []string, origin string) bool {
	for _, d := range domains {
		d = strings.TrimSpace(d)
		if d == "*" || strings.EqualFold(d, origin) {
			return true
		}
		if i := strings.Index(d, "://*."); i >= 0 {
			scheme, rest := d[:i+3], d[i+5:]
			if !strings.HasPrefix(strings.ToLower(origin), strings.ToLower(scheme)) {
				continue
			}
			host := origin[len(scheme):]
			dot := strings.IndexByte(host, '.')
			if dot <= 0 {
				continue
			}
			if strings.EqualFold(host[dot+1:], rest) && !strings.Contains(host[:dot], ".") {
				return true
			}
		}
	}
	return false
}
