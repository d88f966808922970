package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/introspect"
	"github.com/graftql/graft/internal/metaapi"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/server"
	"github.com/graftql/graft/internal/session"
	"github.com/graftql/graft/internal/subscription"
	"github.com/graftql/graft/internal/ws"
)

const secret = "test-secret"

const fixture = `
CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL, author_id int NOT NULL REFERENCES author(id), published boolean NOT NULL DEFAULT false);
INSERT INTO author (name) VALUES ('Ada'), ('Grace');
INSERT INTO article (title, author_id, published) VALUES ('One', 1, true), ('Two', 1, false), ('Three', 2, true);
`

const setupMetadata = `{"type": "bulk", "args": [
 {"type": "pg_track_table", "args": {"source": "default", "table": "author"}},
 {"type": "pg_track_table", "args": {"source": "default", "table": "article"}},
 {"type": "pg_create_object_relationship", "args": {"source": "default", "table": "article", "name": "author", "using": {"foreign_key_constraint_on": "author_id"}}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "author", "role": "user", "permission": {"columns": ["id", "name"], "filter": {}}}},
 {"type": "pg_create_select_permission", "args": {"source": "default", "table": "article", "role": "user", "permission": {"columns": ["id", "title", "author_id"], "filter": {"author_id": {"_eq": "X-Hasura-User-Id"}}}}}
]}`

// testAuth is the admin secret, plus tokens "user:<id>[:<expires in ms>]"
// in Authorization that stand for a JWT with exp: the websocket tests need
// a session whose Expires they control.
type testAuth struct{ admin auth.AdminSecret }

func (a *testAuth) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	tok, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	if !ok {
		return a.admin.Authenticate(ctx, h)
	}
	parts := strings.Split(tok, ":")
	if len(parts) < 2 || parts[0] != "user" {
		return nil, apierr.New(apierr.InvalidJWT, "Could not verify JWT: JWSError JWSInvalidSignature")
	}
	s := session.New("user", map[string]string{session.VarUserID: parts[1]})
	if len(parts) == 3 {
		var ms int
		json.Unmarshal([]byte(parts[2]), &ms)
		s.Expires = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
	return s, nil
}

// env is a graft HTTP server with websockets on a fresh database.
type env struct {
	db   *pgtest.DB
	meta *metaapi.Service
	subs *subscription.Manager
	ws   *ws.Server
	ts   *httptest.Server
}

type envOptions struct {
	closeOnMetadataChange bool
	keepAlive             time.Duration
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	db := pgtest.New(t, fixture)
	ctx := context.Background()
	meta := metaapi.New(metaapi.Options{
		MetadataPool: db.Pool, SourcePool: db.Pool,
		Getenv: func(k string) string {
			if k == "HASURA_GRAPHQL_DATABASE_URL" {
				return db.URL
			}
			return ""
		},
	})
	if err := meta.Start(ctx); err != nil {
		t.Fatalf("metadata start: %v", err)
	}
	t.Cleanup(meta.Close)
	if _, err := meta.Metadata(ctx, []byte(setupMetadata)); err != nil {
		t.Fatalf("setup metadata: %v", err)
	}
	a := &testAuth{admin: auth.AdminSecret{Secrets: []auth.Secret{secret}}}
	engine := exec.New(exec.Options{Pool: db.Pool, Introspect: introspect.Execute})
	subs := subscription.New(subscription.Options{
		Pool: db.Pool, Snapshot: meta.Snapshot,
		LiveInterval: 100 * time.Millisecond, StreamInterval: 100 * time.Millisecond,
		RetryTimeout: 2 * time.Second,
	})
	wss := ws.New(ws.Options{
		Auth: a, Engine: engine, Subscriptions: subs, Snapshot: meta.Snapshot,
		KeepAlive: o.keepAlive, CloseOnMetadataChange: o.closeOnMetadataChange,
		MetadataCheckInterval: 20 * time.Millisecond, AdminInternalErrors: true,
	})
	srv := server.New(server.Options{Auth: a, Engine: engine, Meta: meta, WebSocket: wss, AdminInternalErrors: true, Version: "test"})
	ts := httptest.NewServer(srv.Handler())
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		wss.Run(runCtx)
	}()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		stop()
		<-done
		ts.Close()
	})
	return &env{db: db, meta: meta, subs: subs, ws: wss, ts: ts}
}

func (e *env) exec(t *testing.T, sql string) {
	t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// client is a test websocket client speaking raw protocol messages. A
// goroutine reads all the time: a Read whose context expires closes a
// coder/websocket connection.
type client struct {
	t     testing.TB
	c     *websocket.Conn
	proto string
	in    chan msg
	err   error // set before in is closed
}

func dial(t testing.TB, base, path, proto string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var subs []string
	if proto != "" {
		subs = []string{proto}
	}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, &websocket.DialOptions{Subprotocols: subs})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	c.SetReadLimit(64 << 20)
	cl := &client{t: t, c: c, proto: proto, in: make(chan msg, 1024)}
	go cl.readLoop()
	t.Cleanup(func() { c.CloseNow() })
	return cl
}

// readLoop reads messages into c.in until the connection ends.
func (c *client) readLoop() {
	defer close(c.in)
	for {
		_, data, err := c.c.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		var m msg
		if err := json.Unmarshal(data, &m); err != nil {
			c.err = fmt.Errorf("not JSON: %s", data)
			return
		}
		m.Raw = string(data)
		c.in <- m
	}
}

// authFunc authenticates every request as admin and shows the headers.
type authFunc func(h http.Header)

func (f authFunc) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	f(h)
	return session.New(session.AdminRole, nil), nil
}

func (c *client) send(msg string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// msg is a decoded server message.
type msg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id"`
	Payload json.RawMessage `json:"payload"`
	Raw     string          `json:"-"`
}

var errTimeout = errors.New("no message in time")

// read returns the next message, errTimeout, or the error that ended the
// connection.
func (c *client) read(timeout time.Duration) (msg, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m, ok := <-c.in:
		if !ok {
			return msg{}, c.err
		}
		return m, nil
	case <-t.C:
		return msg{}, errTimeout
	}
}

// next reads the next message that is not a keep-alive.
func (c *client) next(timeout time.Duration) msg {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("read: %v", err)
		}
		if m.Type == "ka" || m.Type == "ping" && strings.Contains(string(m.Payload), "keepalive") {
			continue
		}
		return m
	}
}

// quiet asserts that no message but keep-alives arrives for d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for time.Until(deadline) > 0 {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			return
		}
		if m.Type == "ka" || m.Type == "ping" {
			continue
		}
		c.t.Fatalf("unexpected message %s", m.Raw)
	}
}

// closed waits for the server to close the connection and returns the
// close status and reason.
func (c *client) closed(timeout time.Duration) (websocket.StatusCode, string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.read(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Reason
		}
		c.t.Fatalf("connection ended without a close frame: %v", err)
	}
}

// init sends connection_init with headers and expects the ack.
func (c *client) init(headers string) {
	c.t.Helper()
	c.send(`{"type":"connection_init","payload":{"headers":` + headers + `}}`)
	if m := c.next(5 * time.Second); m.Type != "connection_ack" {
		c.t.Fatalf("got %s %s, want connection_ack", m.Type, m.Payload)
	}
}

func (c *client) startType() string {
	if c.proto == "graphql-transport-ws" {
		return "subscribe"
	}
	return "start"
}

func (c *client) dataType() string {
	if c.proto == "graphql-transport-ws" {
		return "next"
	}
	return "data"
}

func (c *client) stopType() string {
	if c.proto == "graphql-transport-ws" {
		return "complete"
	}
	return "stop"
}

// start sends a start/subscribe message.
func (c *client) start(id, query, variables string) {
	c.t.Helper()
	if variables == "" {
		variables = "null"
	}
	q, _ := json.Marshal(query)
	c.send(`{"type":"` + c.startType() + `","id":"` + id + `","payload":{"query":` + string(q) + `,"variables":` + variables + `}}`)
}

// data reads the next message and checks it is a result of id; it returns
// the payload compacted.
func (c *client) data(id string, timeout time.Duration) string {
	c.t.Helper()
	m := c.next(timeout)
	if m.Type != c.dataType() || m.ID != id {
		c.t.Fatalf("got %s %q %s, want %s for %q", m.Type, m.ID, m.Payload, c.dataType(), id)
	}
	return compact(c.t, m.Payload)
}

func compact(t testing.TB, raw []byte) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %s", raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// checkGoroutines fails the test when goroutines of packages ws or
// subscription are still running once the test's cleanups are done
// (tailscale tstest/resource.go).
func checkGoroutines(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		var stacks string
		for range 100 {
			buf := make([]byte, 1<<20)
			stacks = string(buf[:runtime.Stack(buf, true)])
			if !strings.Contains(stacks, "graft/internal/ws.") && !strings.Contains(stacks, "graft/internal/subscription.") {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("goroutines leaked:\n%s", stacks)
	})
}

var adminHeaders = `{"x-hasura-admin-secret":"` + secret + `"}`

func userHeaders(id string) string {
	return `{"x-hasura-admin-secret":"` + secret + `","x-hasura-role":"user","x-hasura-user-id":"` + id + `"}`
}

var protocols = []string{"graphql-ws", "graphql-transport-ws"}
