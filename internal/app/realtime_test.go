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
