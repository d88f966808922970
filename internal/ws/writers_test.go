package ws

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/metadata"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
)

type adminAuth struct{}

func (adminAuth) Authenticate(context.Context, http.Header) (*session.Session, error) {
	return session.New(session.AdminRole, nil), nil
}

// TestWriterPool_StalledClients checks Note [writer pool]: clients that
// stopped reading, more of them than the pool has writers, block writes
// to themselves only; another client still gets its messages at once, and
// the stalled ones are dropped after the write timeout.
func TestWriterPool_StalledClients(t *testing.T) {
	snap := schema.NewSnapshot(schema.Build(schema.Input{Metadata: metadata.Empty(), Source: metadata.DefaultSource}), 0)
	s := New(Options{Auth: adminAuth{}, Engine: exec.New(exec.Options{}), Snapshot: func() *schema.Snapshot { return snap },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), WriteTimeout: 5 * time.Second, KeepAlive: time.Hour})
	ts := httptest.NewServer(s.Handler(exec.ModeGraphQL, false))
	t.Cleanup(ts.Close)
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	// Stalled clients: a small receive buffer, and they never read.
	stalled := 2*runtime.GOMAXPROCS(0) + 2
	small := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}).DialContext}}
	for range stalled {
		c, _, err := websocket.Dial(t.Context(), url, &websocket.DialOptions{HTTPClient: small, Subprotocols: []string{"graphql-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
	}
	good, _, err := websocket.Dial(t.Context(), url, &websocket.DialOptions{Subprotocols: []string{"graphql-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { good.CloseNow() })
	good.SetReadLimit(1 << 20)
	conns := func() []*conn {
		s.mu.Lock()
		defer s.mu.Unlock()
		var cs []*conn
		for c := range s.conns {
			cs = append(cs, c)
		}
		return cs
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(conns()) < stalled+1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}

	// The good client reads all the time; its messages say when they were
	// sent.
	got := make(chan time.Duration, 16)
	go func() {
		for {
			_, data, err := good.Read(context.Background())
			if err != nil {
				close(got)
				return
			}
			if sent, ok := bytes.CutPrefix(data, []byte("sent ")); ok {
				at, _ := time.Parse(time.RFC3339Nano, string(sent))
				got <- time.Since(at)
			}
		}
	}()

	// Fill the stalled clients' sockets until writes to them block: far
	// more than the buffers hold.
	big := bytes.Repeat([]byte("x"), 64<<10)
	for _, c := range conns() {
		for range 200 {
			c.send(big)
		}
	}
	// The good connection is the one that reads: the others' outboxes
	// stay full, their writes blocked. Its own 13 MB take a fraction of a
	// second, far less than the write timeout that ends the stalled ones.
	var goodConn *conn
	for deadline := time.Now().Add(2 * time.Second); goodConn == nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		for _, c := range conns() {
			c.outMu.Lock()
			queued := len(c.out)
			c.outMu.Unlock()
			if queued == 0 {
				goodConn = c
			}
		}
	}
	if goodConn == nil {
		for _, c := range conns() {
			c.outMu.Lock()
			t.Logf("queued %d writing %v", len(c.out), c.writing)
			c.outMu.Unlock()
		}
		t.Logf("writers %d (stalled %d), outboxes pending %d", s.writers.running.Load(), s.writers.stalled.Load(), s.writers.pending.Load())
		t.Fatal("no connection drained its outbox")
	}
	for i := range 5 {
		goodConn.send([]byte("sent " + time.Now().Format(time.RFC3339Nano)))
		select {
		case d, ok := <-got:
			if !ok {
				t.Fatal("the good client's connection ended")
			}
			if d > time.Second {
				t.Errorf("message %d took %v with %d stalled clients", i, d, stalled)
			}
		case <-time.After(time.Second):
			t.Fatalf("message %d did not arrive within a second; %d clients stalled", i, stalled)
		}
	}

	// The stalled clients are dropped after the write timeout.
	deadline = time.Now().Add(15 * time.Second)
	for len(conns()) > 1 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(conns()); n != 1 {
		t.Errorf("%d connections left, want the good one only", n)
	}

	// With nothing left to write, the pool has no goroutines.
	deadline = time.Now().Add(5 * time.Second)
	for (s.writers.running.Load() > 0 || s.writers.supervising.Load()) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n, st := s.writers.running.Load(), s.writers.stalled.Load(); n > 0 || st != 0 || s.writers.supervising.Load() {
		t.Errorf("idle pool: %d writers (%d stalled), supervising %v", n, st, s.writers.supervising.Load())
	}
}
