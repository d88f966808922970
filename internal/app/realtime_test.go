package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/graftql/graft/internal/pgtest"
)

// TestApp_WebSocket: a subscription over the assembled server sees an
// insert made over HTTP, and stopping the server closes the socket with
// 1012.
func TestApp_WebSocket(t *testing.T) {
	db := pgtest.New(t, schemaSQL)
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	cfg.LiveQueriesRefetchInterval = 100 * time.Millisecond
	r := start(t, cfg, nil)
	admin := map[string]string{"X-Hasura-Admin-Secret": "s3cret"}
	if status, body := post(t, r.url+"/v1/metadata", `{"type":"pg_track_table","args":{"source":"default","table":"author"}}`, admin); status != 200 {
		t.Fatalf("track: %d %s", status, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(r.url, "http")+"/v1/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(s string) {
		if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	next := func() map[string]any {
		for {
			_, data, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			var m map[string]any
			json.Unmarshal(data, &m)
			if m["type"] != "ping" {
				return m
			}
		}
	}
	send(`{"type":"connection_init","payload":{"headers":{"x-hasura-admin-secret":"s3cret"}}}`)
	if m := next(); m["type"] != "connection_ack" {
		t.Fatalf("got %v, want connection_ack", m)
	}
	send(`{"type":"subscribe","id":"1","payload":{"query":"subscription { author_aggregate { aggregate { count } } }"}}`)
	if m := next(); m["type"] != "next" {
		t.Fatalf("got %v, want next", m)
	}
	if status, body := post(t, r.url+"/v2/query", `{"type":"run_sql","args":{"sql":"INSERT INTO author (name) VALUES ('Barbara')"}}`, admin); status != 200 {
		t.Fatalf("insert: %d %s", status, body)
	}
	m := next()
	if b, _ := json.Marshal(m["payload"]); string(b) != `{"data":{"author_aggregate":{"aggregate":{"count":3}}}}` {
		t.Errorf("got %s after the insert", b)
	}

	stopped := make(chan error, 1)
	go func() { stopped <- r.stop() }()
	_, _, err = c.Read(ctx)
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 1012 {
		t.Errorf("read after stop: %v, want close 1012", err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestApp_WriteTriggeredPoll: with a long refetch interval, a mutation made
// through graft reaches a live query at once (Note [write-triggered polls]),
// while a write graft does not see waits for the interval.
func TestApp_WriteTriggeredPoll(t *testing.T) {
	db := pgtest.New(t, schemaSQL)
	cfg := testConfig()
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = "s3cret"
	cfg.LiveQueriesRefetchInterval = 10 * time.Second
	r := start(t, cfg, nil)
	admin := map[string]string{"X-Hasura-Admin-Secret": "s3cret"}
	if status, body := post(t, r.url+"/v1/metadata", `{"type":"pg_track_table","args":{"source":"default","table":"author"}}`, admin); status != 200 {
		t.Fatalf("track: %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(r.url, "http")+"/v1/graphql", &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	send := func(s string) {
		if err := c.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	next := func(within time.Duration) (map[string]any, bool) {
		rctx, rcancel := context.WithTimeout(ctx, within)
		defer rcancel()
		for {
			_, data, err := c.Read(rctx)
			if err != nil {
				return nil, false
			}
			var m map[string]any
			json.Unmarshal(data, &m)
			if m["type"] != "ping" {
				return m, true
			}
		}
	}
	send(`{"type":"connection_init","payload":{"headers":{"x-hasura-admin-secret":"s3cret"}}}`)
	if m, _ := next(5 * time.Second); m["type"] != "connection_ack" {
		t.Fatalf("got %v, want connection_ack", m)
	}
	send(`{"type":"subscribe","id":"1","payload":{"query":"subscription { author_aggregate { aggregate { count } } }"}}`)
	if m, _ := next(5 * time.Second); m["type"] != "next" {
		t.Fatalf("got %v, want the first result", m)
	}
	start := time.Now()
	if status, body := post(t, r.url+"/v1/graphql", `{"query":"mutation { insert_author_one(object: {name: \"Barbara\"}) { id } }"}`, admin); status != 200 || strings.Contains(body, "errors") {
		t.Fatalf("insert: %d %s", status, body)
	}
	m, ok := next(2 * time.Second)
	if !ok {
		t.Fatal("no result within 2s of a mutation through graft (the interval is 10s)")
	}
	if b, _ := json.Marshal(m["payload"]); string(b) != `{"data":{"author_aggregate":{"aggregate":{"count":3}}}}` {
		t.Errorf("got %s after the insert", b)
	}
	t.Logf("delivered %v after the mutation", time.Since(start))
	// A write graft does not see still waits for the interval.
	if status, body := post(t, r.url+"/v2/query", `{"type":"run_sql","args":{"sql":"INSERT INTO author (name) VALUES ('Edsger')"}}`, admin); status != 200 {
		t.Fatalf("run_sql insert: %d %s", status, body)
	}
	if m, ok := next(1 * time.Second); ok {
		t.Errorf("got %v within 1s of a write graft did not make", m)
	}
}
