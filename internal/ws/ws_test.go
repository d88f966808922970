package ws_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/graftql/graft/internal/pgtest"
)

func TestServer_LiveQuery(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, e.ts.URL, "/v1/graphql", proto)
			c.init(userHeaders("1"))
			c.start("1", `subscription { article(order_by: {id: asc}) { id title } }`, "")
			first := c.data("1", 5*time.Second)
			want := `{"data":{"article":[{"id":1,"title":"One"},{"id":2,"title":"Two"}]}}`
			if diff := cmp.Diff(want, first); diff != "" {
				t.Fatalf("first result (-want +got):\n%s", diff)
			}
			// Unchanged results are not sent again.
			c.quiet(300 * time.Millisecond)
			title := "New " + proto
			t0 := time.Now()
			e.exec(t, fmt.Sprintf(`INSERT INTO article (title, author_id) VALUES ('%s', 1)`, title))
			got := c.data("1", 5*time.Second)
			if d := time.Since(t0); d > 100*time.Millisecond+time.Second {
				t.Errorf("change arrived after %v, want within the refetch interval (100ms) + 1s (the npm tests hold the tighter bound)", d)
			}
			if !strings.Contains(got, title) {
				t.Fatalf("result %s lacks the inserted article", got)
			}
			c.send(`{"type":"` + c.stopType() + `","id":"1"}`)
			e.exec(t, `DELETE FROM article WHERE id > 3`)
			c.quiet(300 * time.Millisecond)
		})
	}
}

func TestServer_PerUserIsolation(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	query := `subscription { article(order_by: {id: asc}) { id author_id } }`
	c1 := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c1.init(userHeaders("1"))
	c2 := dial(t, e.ts.URL, "/v1/graphql", "graphql-ws")
	c2.init(userHeaders("2"))
	c1.start("a", query, "")
	c2.start("b", query, "")
	if got, want := c1.data("a", 5*time.Second), `{"data":{"article":[{"author_id":1,"id":1},{"author_id":1,"id":2}]}}`; got != want {
		t.Errorf("user 1 got %s, want %s", got, want)
	}
	if got, want := c2.data("b", 5*time.Second), `{"data":{"article":[{"author_id":2,"id":3}]}}`; got != want {
		t.Errorf("user 2 got %s, want %s", got, want)
	}
	if st := e.subs.Stats(); st.Pollers != 1 || st.Cohorts != 2 {
		t.Errorf("stats %+v, want one poller with two cohorts", st)
	}
	e.exec(t, `INSERT INTO article (id, title, author_id) VALUES (10, 'x', 2)`)
	if got, want := c2.data("b", 5*time.Second), `{"data":{"article":[{"author_id":2,"id":3},{"author_id":2,"id":10}]}}`; got != want {
		t.Errorf("user 2 got %s, want %s", got, want)
	}
	c1.quiet(300 * time.Millisecond)
}

func TestServer_Multiplexing(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c.init(userHeaders("1"))
	query := `subscription ($min: Int!) { article(where: {id: {_gte: $min}}, order_by: {id: asc}) { id } }`
	for i, v := range []string{`{"min":1}`, `{"min":2}`, `{"min":1}`} {
		c.start(fmt.Sprint(i), query, v)
	}
	got := map[string]string{}
	for range 3 {
		m := c.next(5 * time.Second)
		got[m.ID] = compact(t, m.Payload)
	}
	want := map[string]string{
		"0": `{"data":{"article":[{"id":1},{"id":2}]}}`,
		"1": `{"data":{"article":[{"id":2}]}}`,
		"2": `{"data":{"article":[{"id":1},{"id":2}]}}`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if st := e.subs.Stats(); st != (struct{ Pollers, Cohorts, Subscribers int }{1, 2, 3}) {
		t.Errorf("stats %+v, want 1 poller, 2 cohorts, 3 subscribers", st)
	}
}

func TestServer_Stream(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, e.ts.URL, "/v1/graphql", proto)
			c.init(adminHeaders)
			c.start("s", `subscription ($from: Int!) { article_stream(batch_size: 2, cursor: {initial_value: {id: $from}}) { id } }`, `{"from":0}`)
			var ids []int
			read := func() {
				var p struct {
					Data struct {
						Stream []struct{ ID int } `json:"article_stream"`
					}
				}
				if err := json.Unmarshal([]byte(c.data("s", 5*time.Second)), &p); err != nil {
					t.Fatal(err)
				}
				for _, r := range p.Data.Stream {
					ids = append(ids, r.ID)
				}
			}
			// The existing rows come in batches of two, in order.
			for len(ids) < 3 {
				read()
			}
			e.exec(t, `INSERT INTO article (title, author_id) SELECT 'n' || i, 1 FROM generate_series(1, 3) i`)
			for len(ids) < 6 {
				read()
			}
			for i, id := range ids {
				if i > 0 && id <= ids[i-1] {
					t.Fatalf("ids %v are not increasing", ids)
				}
			}
			c.quiet(300 * time.Millisecond)
			e.exec(t, `DELETE FROM article WHERE id > 3`)
		})
	}
}

func TestServer_StreamDesc(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c.init(adminHeaders)
	c.start("s", `subscription { article_stream(batch_size: 5, cursor: {initial_value: {id: 3}, ordering: DESC}) { id } }`, "")
	if got, want := c.data("s", 5*time.Second), `{"data":{"article_stream":[{"id":2},{"id":1}]}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestServer_QueryOverSocket(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			c := dial(t, e.ts.URL, "/v1/graphql", proto)
			c.init(adminHeaders)
			c.start("q", `query { author(order_by: {id: asc}) { name } }`, "")
			if got, want := c.data("q", 5*time.Second), `{"data":{"author":[{"name":"Ada"},{"name":"Grace"}]}}`; got != want {
				t.Errorf("got %s, want %s", got, want)
			}
			if m := c.next(time.Second); m.Type != "complete" || m.ID != "q" {
				t.Errorf("got %s %s, want complete", m.Type, m.ID)
			}
		})
	}
}

// A mutation over the socket runs through the engine, and the live query
// of another connection sees it.
func TestServer_MutationOverSocket(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	watcher := dial(t, e.ts.URL, "/v1/graphql", "graphql-ws")
	watcher.init(adminHeaders)
	watcher.start("w", `subscription { author_aggregate { aggregate { count } } }`, "")
	if got, want := watcher.data("w", 5*time.Second), `{"data":{"author_aggregate":{"aggregate":{"count":2}}}}`; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c.init(adminHeaders)
	c.start("m", `mutation { insert_author_one(object: {name: "Barbara"}) { name } }`, "")
	if got, want := c.data("m", 5*time.Second), `{"data":{"insert_author_one":{"name":"Barbara"}}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if m := c.next(time.Second); m.Type != "complete" || m.ID != "m" {
		t.Errorf("got %s %s, want complete", m.Type, m.ID)
	}
	if got, want := watcher.data("w", 5*time.Second), `{"data":{"author_aggregate":{"aggregate":{"count":3}}}}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestServer_Errors(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	validation := `{"message":"field 'nope' not found in type: 'subscription_root'","extensions":{"path":"$.selectionSet.nope","code":"validation-failed"}}`
	for _, tc := range []struct {
		name, proto string
		run         func(c *client)
		want        []string // messages as "type id payload"
	}{
		{"ValidationApollo", "graphql-ws", func(c *client) {
			c.init(adminHeaders)
			c.start("1", `subscription { nope }`, "")
		}, []string{`error 1 {"errors":[` + validation + `]}`, "complete 1 "}},
		{"ValidationTransport", "graphql-transport-ws", func(c *client) {
			c.init(adminHeaders)
			c.start("1", `subscription { nope }`, "")
		}, []string{`error 1 [` + validation + `]`}},
		{"StartBeforeInitApollo", "graphql-ws", func(c *client) {
			c.start("1", `subscription { author { id } }`, "")
		}, []string{`error 1 {"message":"start received before the connection is initialised","extensions":{"path":"$","code":"start-failed"}}`, "complete 1 "}},
		{"DuplicateApollo", "graphql-ws", func(c *client) {
			c.init(adminHeaders)
			c.start("1", `subscription { author(order_by: {id: asc}) { id } }`, "")
			c.data("1", 5*time.Second)
			c.start("1", `subscription { author { id } }`, "")
		}, []string{`error 1 {"message":"an operation already exists with this id: 1","extensions":{"path":"$","code":"start-failed"}}`, "complete 1 "}},
		{"ParseApollo", "graphql-ws", func(c *client) {
			c.send(`{"type":"bogus"}`)
		}, []string{`connection_error  "parsing ClientMessage failed: Error in $: unexpected type for ClientMessage: bogus"`}},
		{"BadTokenApollo", "graphql-ws", func(c *client) {
			c.send(`{"type":"connection_init","payload":{"headers":{"Authorization":"Bearer forged"}}}`)
		}, []string{`connection_error  "Could not verify JWT: JWSError JWSInvalidSignature"`}},
		{"IntrospectionRoot", "graphql-transport-ws", func(c *client) {
			c.init(adminHeaders)
			c.start("1", `subscription { __typename }`, "")
		}, []string{`error 1 [{"message":"Introspection at root field level is not supported over subscriptions","extensions":{"path":"$","code":"not-supported"}}]`}},
		{"StreamTwoRoots", "graphql-transport-ws", func(c *client) {
			c.init(adminHeaders)
			c.start("1", `subscription { a: article_stream(batch_size: 1, cursor: {initial_value: {id: 0}}) { id } b: author { id } }`, "")
		}, []string{`error 1 [{"message":"exactly one root field is allowed for streaming subscriptions","extensions":{"path":"$","code":"not-supported"}}]`}},
		{"BadSessionValue", "graphql-ws", func(c *client) {
			c.init(userHeaders("abc"))
			c.start("1", `subscription { article { id } }`, "")
		}, []string{`data 1 {"errors":[{"message":"invalid input syntax for type integer: \"abc\"","extensions":{"path":"$","code":"data-exception"}}]}`, "complete 1 "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, e.ts.URL, "/v1/graphql", tc.proto)
			tc.run(c)
			var got []string
			for range tc.want {
				m := c.next(5 * time.Second)
				p := ""
				if len(m.Payload) > 0 {
					p = string(m.Payload)
				}
				got = append(got, m.Type+" "+m.ID+" "+p)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServer_Close(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		name, proto string
		run         func(c *client)
		code        websocket.StatusCode
		reason      string
	}{
		{"ParseTransport", "graphql-transport-ws", func(c *client) { c.send(`{}`) },
			4400, `4400: Parsing client message failed: parsing ClientMessage failed: Error in $: key "type" not found`},
		{"BadTokenTransport", "graphql-transport-ws", func(c *client) {
			c.send(`{"type":"connection_init","payload":{"headers":{"Authorization":"Bearer forged"}}}`)
		}, 4403, "4403: Forbidden"},
		{"BadTokenApollo", "graphql-ws", func(c *client) {
			c.send(`{"type":"connection_init","payload":{"headers":{"Authorization":"Bearer forged"}}}`)
		}, 4400, "4400: Connection initialization failed: Could not verify JWT: JWSError JWSInvalidSignature"},
		{"SubscribeBeforeInit", "graphql-transport-ws", func(c *client) {
			c.start("1", `subscription { author { id } }`, "")
		}, 4401, "4401: Unauthorized"},
		{"Duplicate", "graphql-transport-ws", func(c *client) {
			c.init(adminHeaders)
			c.start("1", `subscription { author { id } }`, "")
			c.start("1", `subscription { author { id } }`, "")
		}, 4409, "4409: Subscriber for 1 already exists"},
		{"TwoInits", "graphql-transport-ws", func(c *client) {
			c.init(adminHeaders)
			c.send(`{"type":"connection_init"}`)
		}, 4429, "4429: Too many initialisation requests"},
		{"InitTimeout", "graphql-transport-ws", func(c *client) {}, 4408, "4408: Connection initialisation timeout"},
		{"Terminate", "graphql-ws", func(c *client) {
			c.init(adminHeaders)
			c.send(`{"type":"connection_terminate"}`)
		}, 1000, "GQL_CONNECTION_TERMINATE received"},
		{"ExpiryTransport", "graphql-transport-ws", func(c *client) {
			c.init(`{"Authorization":"Bearer user:1:300"}`)
		}, 4403, "4403: Forbidden"},
		{"ExpiryApollo", "graphql-ws", func(c *client) {
			c.init(`{"Authorization":"Bearer user:1:300"}`)
			if m := c.next(5 * time.Second); m.Type != "connection_error" || string(m.Payload) != `"session expired"` {
				t.Errorf("got %s %s, want connection_error", m.Type, m.Payload)
			}
		}, 4400, "4400: session expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, e.ts.URL, "/v1/graphql", tc.proto)
			tc.run(c)
			code, reason := c.closed(10 * time.Second)
			if code != tc.code || reason != tc.reason {
				t.Errorf("closed with %d %q, want %d %q", code, reason, tc.code, tc.reason)
			}
		})
	}
}

func TestServer_Handshake(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		name, path, origin string
		status             int
		body               string
	}{
		{"OtherPath", "/v1/metadata", "", 404, `{"error":"only '/v1/graphql', '/v1alpha1/graphql' and '/v1beta1/relay' are supported on websockets","path":"$","code":"not-found"}`},
		{"Relay", "/v1beta1/relay", "", 101, ""},
		{"Alpha", "/v1alpha1/graphql", "", 101, ""},
		{"Origin", "/v1/graphql", "http://elsewhere.example", 101, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, e.ts.URL+tc.path, nil)
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if tc.body != "" {
				var b strings.Builder
				buf := make([]byte, 4096)
				n, _ := res.Body.Read(buf)
				b.Write(buf[:n])
				if got := strings.TrimSpace(b.String()); got != tc.body {
					t.Errorf("body %s, want %s", got, tc.body)
				}
			}
		})
	}
}

func TestServer_MetadataChangeCloses(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{closeOnMetadataChange: true})
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c.init(userHeaders("1"))
	c.start("1", `subscription { article { id } }`, "")
	c.data("1", 5*time.Second)
	if _, err := e.meta.Metadata(t.Context(), []byte(`{"type":"pg_drop_select_permission","args":{"source":"default","table":"article","role":"user"}}`)); err != nil {
		t.Fatal(err)
	}
	if code, reason := c.closed(5 * time.Second); code != 1012 || reason != "Server state changed, restarting the server" {
		t.Errorf("closed with %d %q, want 1012", code, reason)
	}
}

// Without closing sockets on metadata change, a poller plans again before
// its next poll: a role that lost access gets the validation error and no
// more data.
func TestServer_MetadataChangeReplans(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-ws")
	c.init(userHeaders("1"))
	c.start("1", `subscription { article { id } }`, "")
	c.data("1", 5*time.Second)
	if _, err := e.meta.Metadata(t.Context(), []byte(`{"type":"pg_drop_select_permission","args":{"source":"default","table":"article","role":"user"}}`)); err != nil {
		t.Fatal(err)
	}
	want := `{"errors":[{"extensions":{"code":"validation-failed","path":"$.selectionSet.article"},"message":"field 'article' not found in type: 'subscription_root'"}]}`
	if got := c.data("1", 5*time.Second); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if m := c.next(time.Second); m.Type != "complete" {
		t.Errorf("got %s, want complete", m.Type)
	}
}

func TestServer_KeepAlive(t *testing.T) {
	e := newEnv(t, envOptions{keepAlive: 100 * time.Millisecond})
	for _, tc := range []struct{ proto, want string }{
		{"graphql-ws", `{"type":"ka"}`},
		{"graphql-transport-ws", `{"type":"ping","payload":{"message":"keepalive"}}`},
	} {
		t.Run(tc.proto, func(t *testing.T) {
			c := dial(t, e.ts.URL, "/v1/graphql", tc.proto)
			c.init(adminHeaders)
			for range 3 {
				m, err := c.read(time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if got := m.Raw; got != tc.want {
					t.Errorf("got %s, want %s", got, tc.want)
				}
			}
			if tc.proto == "graphql-transport-ws" {
				c.send(`{"type":"ping","payload":{"x":1}}`)
				m := c.next(time.Second)
				if m.Type != "pong" || string(m.Payload) != `{"x":1}` {
					t.Errorf("got %s %s, want pong echoing the payload", m.Type, m.Payload)
				}
			}
		})
	}
}

// A PostgreSQL restart ends every connection of the pool; the poller
// retries and the subscription goes on. A database that stays away ends
// the subscription with an error after the retry timeout.
func TestServer_DatabaseRestart(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c.init(adminHeaders)
	c.start("1", `subscription { author_aggregate { aggregate { count } } }`, "")
	c.data("1", 5*time.Second)
	admin := `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + e.db.Name + `' AND pid <> pg_backend_pid()`
	e.exec(t, admin)
	e.exec(t, `INSERT INTO author (name) VALUES ('Barbara')`)
	if got, want := c.data("1", 5*time.Second), `{"data":{"author_aggregate":{"aggregate":{"count":3}}}}`; got != want {
		t.Errorf("after the restart got %s, want %s", got, want)
	}
	// Now the database refuses connections for longer than the retry
	// timeout (2s in these tests).
	server, err := pgx.Connect(t.Context(), pgtest.ServerURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close(context.Background())
	if _, err := server.Exec(t.Context(), `ALTER DATABASE "`+e.db.Name+`" WITH ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgtest.ServerURL(t))
		if err == nil {
			c.Exec(context.Background(), `ALTER DATABASE "`+e.db.Name+`" WITH ALLOW_CONNECTIONS true`)
			c.Close(context.Background())
		}
	})
	if _, err := server.Exec(t.Context(), admin); err != nil {
		t.Fatal(err)
	}
	m := c.next(10 * time.Second)
	if m.Type != "next" || !strings.Contains(string(m.Payload), `"errors"`) {
		t.Fatalf("got %s %s, want next with errors", m.Type, m.Payload)
	}
	if m := c.next(time.Second); m.Type != "complete" {
		t.Errorf("got %s, want complete", m.Type)
	}
}

func TestServer_Shutdown(t *testing.T) {
	checkGoroutines(t)
	e := newEnv(t, envOptions{})
	c := dial(t, e.ts.URL, "/v1/graphql", "graphql-transport-ws")
	c.init(adminHeaders)
	c.start("1", `subscription { author { id } }`, "")
	c.data("1", 5*time.Second)
	done := make(chan error, 1)
	go func() { done <- e.ws.Shutdown(t.Context()) }()
	if code, reason := c.closed(5 * time.Second); code != 1012 || reason != "shutting server down" {
		t.Errorf("closed with %d %q, want 1012 shutting server down", code, reason)
	}
	if err := <-done; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if st := e.subs.Stats(); st.Pollers != 0 {
		t.Errorf("pollers left after shutdown: %+v", st)
	}
	res, err := http.Get(strings.Replace(e.ts.URL, "http", "http", 1) + "/v1/graphql")
	if err == nil {
		res.Body.Close()
	}
}

// A client may send its first frame in the same packet as the handshake:
// the bytes net/http has already read must reach the connection.
func TestServer_EarlyFrames(t *testing.T) {
	e := newEnv(t, envOptions{})
	nc, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	payload := []byte(`{"type":"connection_init","payload":{"headers":` + adminHeaders + `}}`)
	frame := []byte{0x81, 0x80 | byte(len(payload)), 1, 2, 3, 4} // FIN text, masked, key 1 2 3 4
	for i, b := range payload {
		frame = append(frame, b^byte(i%4+1))
	}
	req := "GET /v1/graphql HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
	if _, err := nc.Write(append([]byte(req), frame...)); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(nc)
	res, err := http.ReadResponse(br, nil)
	if err != nil || res.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", res, err)
	}
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(br, hdr); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, hdr[1]&0x7f)
	if _, err := io.ReadFull(br, body); err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"type":"connection_ack"}` {
		t.Errorf("first frame %q, want connection_ack", body)
	}
}
