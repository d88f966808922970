package ws_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/graftql/graft/internal/ws"
)

// panicAuth panics for a connection_init carrying "X-Panic", standing
// for a bug anywhere in a message's handling.
type panicAuth struct{ admin auth.AdminSecret }

func (a *panicAuth) Authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	if h.Get("X-Panic") != "" {
		panic("a bug")
	}
	return a.admin.Authenticate(ctx, h)
}

// TestServer_PanicEndsOnlyItsConnection checks that a panic while a
// message is handled closes that connection with 1011 and leaves the
// server serving others, in both protocols.
func TestServer_PanicEndsOnlyItsConnection(t *testing.T) {
	for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
		t.Run(proto, func(t *testing.T) {
			snap := emptySnapshot()
			s := ws.New(ws.Options{Auth: &panicAuth{admin: auth.AdminSecret{Secrets: []auth.Secret{secret}}},
				Engine: exec.New(exec.Options{}), Snapshot: func() *schema.Snapshot { return snap },
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			ts := httptest.NewServer(s.Handler(exec.ModeGraphQL, false))
			t.Cleanup(ts.Close)

			bad := dial(t, ts.URL, "", proto)
			bad.send(`{"type":"connection_init","payload":{"headers":{"X-Panic":"1"}}}`)
			if code, reason := bad.closed(5 * time.Second); code != websocket.StatusInternalError || reason != "internal error" {
				t.Errorf("close = %d %q, want 1011 \"internal error\"", code, reason)
			}
			good := dial(t, ts.URL, "", proto)
			good.init(adminHeaders)
			good.start("1", `query { __typename }`, "")
			if got := good.data("1", 5*time.Second); got != `{"data":{"__typename":"query_root"}}` {
				t.Errorf("after the panic, another connection got %s", got)
			}
		})
	}
}
