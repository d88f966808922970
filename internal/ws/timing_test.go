package ws_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/ws"
)

// pipeResponse is an http.ResponseWriter over one end of a net.Pipe that
// can be hijacked, so that a websocket handshake runs without a network
// (and so inside a synctest bubble, where pipes block durably).
type pipeResponse struct {
	conn   net.Conn
	br     *bufio.Reader
	header http.Header
	status int
}

func (w *pipeResponse) Header() http.Header         { return w.header }
func (w *pipeResponse) Write(b []byte) (int, error) { return len(b), nil }
func (w *pipeResponse) WriteHeader(status int)      { w.status = status }

func (w *pipeResponse) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	bw := bufio.NewWriter(w.conn)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
	w.header.Write(bw)
	bw.WriteString("\r\n")
	if err := bw.Flush(); err != nil {
		return nil, nil, err
	}
	return w.conn, bufio.NewReadWriter(w.br, bw), nil
}

// dialPipe connects a client to h through a net.Pipe.
func dialPipe(t *testing.T, h http.Handler, proto string) *client {
	t.Helper()
	srvConn, cliConn := net.Pipe()
	go func() {
		br := bufio.NewReader(srvConn)
		req, err := http.ReadRequest(br)
		if err != nil {
			srvConn.Close()
			return
		}
		h.ServeHTTP(&pipeResponse{conn: srvConn, br: br, header: http.Header{}}, req)
	}()
	tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return cliConn, nil }}
	c, _, err := websocket.Dial(t.Context(), "ws://graft/v1/graphql", &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: tr}, Subprotocols: []string{proto},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	cl := &client{t: t, c: c, proto: proto, in: make(chan msg, 64)}
	go cl.readLoop()
	return cl
}

// emptySnapshot is the schema of empty metadata.
func emptySnapshot() *schema.Snapshot {
	return schema.NewSnapshot(schema.Build(schema.Input{Metadata: metadata.Empty(), Source: metadata.DefaultSource}), 0)
}

// TestServer_Timers checks the time-driven parts of a connection with a
// fake clock: keep-alives, the init timeout and the session expiry.
func TestServer_Timers(t *testing.T) {
	for _, tc := range []struct {
		name, proto string
		// init is the connection_init headers ("": send none).
		init string
		// want lists the messages in order with the fake time they arrive
		// at, and finally the close.
		want []string
	}{
		{"KeepAliveApollo", "graphql-ws", adminHeaders, []string{
			`0s {"type":"connection_ack"}`, `0s {"type":"ka"}`, `5s {"type":"ka"}`, `10s {"type":"ka"}`,
		}},
		{"KeepAliveTransport", "graphql-transport-ws", adminHeaders, []string{
			`0s {"type":"connection_ack"}`, `0s {"type":"ping","payload":{"message":"keepalive"}}`,
			`5s {"type":"ping","payload":{"message":"keepalive"}}`, `10s {"type":"ping","payload":{"message":"keepalive"}}`,
		}},
		{"InitTimeout", "graphql-transport-ws", "", []string{`3s close 4408 4408: Connection initialisation timeout`}},
		{"NoInitTimeoutApollo", "graphql-ws", "", []string{`12s quiet`}},
		{"ExpiryTransport", "graphql-transport-ws", `{"Authorization":"Bearer user:1:7000"}`, []string{
			`0s {"type":"connection_ack"}`, `0s {"type":"ping","payload":{"message":"keepalive"}}`,
			`5s {"type":"ping","payload":{"message":"keepalive"}}`, `7s close 4403 4403: Forbidden`,
		}},
		{"ExpiryApollo", "graphql-ws", `{"Authorization":"Bearer user:1:2500"}`, []string{
			`0s {"type":"connection_ack"}`, `0s {"type":"ka"}`,
			`2.5s {"type":"connection_error","payload":"session expired"}`, `2.5s close 4400 4400: session expired`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				a := &testAuth{admin: auth.AdminSecret{Secrets: []auth.Secret{secret}}}
				snap := emptySnapshot()
				s := ws.New(ws.Options{Auth: a, Snapshot: func() *schema.Snapshot { return snap }})
				c := dialPipe(t, s.Handler(exec.ModeGraphQL, false), tc.proto)
				start := time.Now()
				if tc.init != "" {
					c.send(`{"type":"connection_init","payload":{"headers":` + tc.init + `}}`)
				}
				var got []string
				for len(got) < len(tc.want) {
					m, err := c.read(12 * time.Second)
					at := time.Since(start).String()
					if err == errTimeout {
						got = append(got, at+" quiet")
						break
					}
					if err != nil {
						var ce websocket.CloseError
						if !errors.As(err, &ce) {
							t.Fatalf("read: %v", err)
						}
						got = append(got, fmt.Sprintf("%s close %d %s", at, ce.Code, ce.Reason))
						break
					}
					got = append(got, at+" "+m.Raw)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("messages (-want +got):\n%s", diff)
				}
				c.c.CloseNow()
				s.Shutdown(t.Context())
				synctest.Wait()
				if n := s.Connections(); n != 0 {
					t.Errorf("%d connections left", n)
				}
			})
		})
	}
}

func TestHandshakeHeaders(t *testing.T) {
	// The merge of handshake and connection_init headers is observable
	// through the session: the payload's role wins over the handshake's.
	synctest.Test(t, func(t *testing.T) {
		var seen http.Header
		a := authFunc(func(h http.Header) { seen = h })
		snap := emptySnapshot()
		s := ws.New(ws.Options{Auth: a, Snapshot: func() *schema.Snapshot { return snap }, DropCookie: true})
		srvConn, cliConn := net.Pipe()
		go func() {
			br := bufio.NewReader(srvConn)
			req, _ := http.ReadRequest(br)
			s.Handler(exec.ModeGraphQL, false).ServeHTTP(&pipeResponse{conn: srvConn, br: br, header: http.Header{}}, req)
		}()
		tr := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return cliConn, nil }}
		h := http.Header{"X-Hasura-Role": {"handshake"}, "X-Hasura-User-Id": {"7"}, "Cookie": {"a=b"}}
		wc, _, err := websocket.Dial(t.Context(), "ws://graft/v1/graphql", &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}, HTTPHeader: h})
		if err != nil {
			t.Fatal(err)
		}
		c := &client{t: t, c: wc, in: make(chan msg, 8)}
		go c.readLoop()
		c.send(`{"type":"connection_init","payload":{"headers":{"x-hasura-role":"payload"}}}`)
		c.next(time.Second)
		got := map[string]string{}
		for k := range seen {
			if strings.HasPrefix(k, "X-Hasura") || k == "Cookie" || strings.HasPrefix(k, "Sec-Websocket") || k == "Upgrade" {
				got[k] = seen.Get(k)
			}
		}
		want := map[string]string{"X-Hasura-Role": "payload", "X-Hasura-User-Id": "7"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("headers seen by authentication (-want +got):\n%s", diff)
		}
		wc.CloseNow()
		s.Shutdown(t.Context())
	})
}
