// Package ws serves GraphQL over websockets: Apollo's "graphql-ws"
// (subscriptions-transport-ws) and "graphql-transport-ws" (the graphql-ws
// npm package), chosen by Sec-WebSocket-Protocol, over one connection
// loop (hasura/graphql-engine: Hasura/GraphQL/Transport/WebSocket.hs,
// WebSocket/Server.hs, WebSocket/Protocol.hs; hasura.md §5.9).
//
//	handshake ──► [Server] (CORS checked by package server) ──► conn.serve
//	   connection_init ──► auth.Authenticator (handshake headers merged with
//	                       payload.headers, payload winning) ──► ack + keep-alive
//	   start/subscribe ──► query, mutation: exec.Engine (goroutine per operation)
//	                   ──► subscription: subscription.Manager (the operation is
//	                       its Sink)
//	   stop/complete   ──► cancel / Subscription.Stop
//	writes ──► conn outbox ──► writer pool (Note [writer pool]); close frames: a goroutine
//
// A connection closes at its session's Expires, on metadata change (1012,
// when Options.CloseOnMetadataChange) and on shutdown (1012 "shutting
// server down"); a handshake during shutdown gets 503.
package ws

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/graftql/graft/internal/subscription"
)

// Options configure a Server.
type Options struct {
	Auth          auth.Authenticator
	Engine        *exec.Engine
	Subscriptions *subscription.Manager
	// Snapshot returns the current schema snapshot.
	Snapshot func() *schema.Snapshot
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// KeepAlive is the keep-alive period (HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE);
	// 0 means 5s.
	KeepAlive time.Duration
	// InitTimeout is how long a graphql-transport-ws client may take to send
	// connection_init (HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT);
	// 0 means 3s.
	InitTimeout time.Duration
	// CloseOnMetadataChange closes every connection with 1012 when the
	// metadata's resource version changes
	// (HASURA_GRAPHQL_CLOSE_WEBSOCKETS_ON_METADATA_CHANGE). Without it,
	// subscriptions are planned again against the new metadata.
	CloseOnMetadataChange bool
	// MetadataCheckInterval is how often Run looks at the resource
	// version; 0 means 250ms.
	MetadataCheckInterval time.Duration
	// DropCookie removes the Cookie header of handshakes
	// (HASURA_GRAPHQL_DISABLE_CORS without HASURA_GRAPHQL_WS_READ_COOKIE).
	DropCookie bool
	// Compression enables permessage-deflate without context takeover
	// (HASURA_GRAPHQL_CONNECTION_COMPRESSION).
	Compression bool
	// DevMode and AdminInternalErrors decide who sees extensions.internal.
	DevMode, AdminInternalErrors bool
	// MaxMessageBytes bounds a client message; 0 means 4 MiB.
	MaxMessageBytes int64
	// WriteTimeout bounds writing one message; 0 means 10s. A client that
	// does not read for that long is disconnected.
	WriteTimeout time.Duration
}

// Server accepts websocket connections. It is safe for concurrent use.
type Server struct {
	o   Options
	log *slog.Logger
	// ctx is the base of the connections' contexts; cancelled when
	// Shutdown is done.
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup // connection goroutines and outbox drains
	writers *writerPool

	mu           sync.Mutex
	conns        map[*conn]struct{} // guarded by mu
	shuttingDown bool               // guarded by mu
}

// Attribute keys of the package's log records.
const (
	logKeyError       = "error"
	logKeyConnections = "connections"
)

// New returns a Server.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.KeepAlive <= 0 {
		o.KeepAlive = 5 * time.Second
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = 3 * time.Second
	}
	if o.MetadataCheckInterval <= 0 {
		o.MetadataCheckInterval = 250 * time.Millisecond
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 4 << 20
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	// Connections outlive the handshake request; their context is the
	// server's, cancelled by Shutdown.
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{o: o, log: o.Logger, ctx: ctx, cancel: cancel, conns: map[*conn]struct{}{},
		writers: newWriterPool(o.WriteTimeout)}
}

// Handler upgrades a request to a websocket connection serving mode;
// legacyErrors sends errors in the non-GraphQL envelope (/v1alpha1/graphql).
func (s *Server) Handler(mode exec.Mode, legacyErrors bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		down := s.shuttingDown
		s.mu.Unlock()
		if down {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "Server is shutting down", http.StatusServiceUnavailable)
			return
		}
		header := handshakeHeaders(r.Header, s.o.DropCookie)
		opts := &websocket.AcceptOptions{
			Subprotocols:       []string{subprotocolTransport, subprotocolApollo},
			InsecureSkipVerify: true, // package server checks the origin (CORS)
		}
		if s.o.Compression {
			opts.CompressionMode = websocket.CompressionNoContextTakeover
		}
		wc, err := websocket.Accept(smallBuffers{w}, r, opts)
		if err != nil {
			s.log.Debug("websocket handshake failed", logKeyError, err.Error())
			return
		}
		wc.SetReadLimit(s.o.MaxMessageBytes)
		c := &conn{s: s, ws: wc, mode: mode, legacy: legacyErrors, header: header, ops: map[string]*operation{}}
		if wc.Subprotocol() == subprotocolTransport {
			c.proto = transportWS
		}
		c.ctx, c.cancel = context.WithCancel(s.ctx)
		if !s.register(c) {
			c.cancel()
			wc.Close(closeServiceRestart, "shutting server down")
			return
		}
		// The handler returns at once: the connection's reader starts on a
		// fresh (small) stack and the HTTP server's goroutine goes away.
		go func() {
			defer s.wg.Done()
			defer c.recoverPanic()
			c.serve()
		}()
	})
}

// handshakeHeaders are the headers that authenticate a connection with
// its connection_init payload: the handshake's, less the websocket ones.
func handshakeHeaders(h http.Header, dropCookie bool) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		switch strings.ToLower(k) {
		case "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "upgrade", "connection":
			continue
		case "cookie":
			if dropCookie {
				continue
			}
		}
		out[k] = append([]string(nil), v...)
	}
	return out
}

func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shuttingDown {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) showInternal(sess *session.Session) bool {
	if s.o.DevMode {
		return true
	}
	return sess != nil && sess.IsAdmin() && s.o.AdminInternalErrors
}

// Connections returns the number of open connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// closeAll sends every connection a close frame after its queued messages.
func (s *Server) closeAll(code websocket.StatusCode, reason string) int {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(code, reason)
	}
	return len(conns)
}

// Run closes every connection with 1012 when the metadata changes (when
// Options.CloseOnMetadataChange), until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	if !s.o.CloseOnMetadataChange {
		<-ctx.Done()
		return nil
	}
	last := s.o.Snapshot().ResourceVersion
	t := time.NewTicker(s.o.MetadataCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			rv := s.o.Snapshot().ResourceVersion
			if rv == last {
				continue
			}
			last = rv
			if n := s.closeAll(closeServiceRestart, "Server state changed, restarting the server"); n > 0 {
				s.log.Info("closing all websocket connections as the metadata has changed", logKeyConnections, n)
			}
		}
	}
}

// Shutdown refuses new connections, sends every connection a 1012 close
// frame, waits for them to end (or for ctx), then stops the subscription
// pollers. http.Server.Shutdown does not see hijacked connections, so the
// server's shutdown calls this.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shuttingDown = true
	s.mu.Unlock()
	s.closeAll(closeServiceRestart, "shutting server down")
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		s.mu.Lock()
		conns := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, c := range conns {
			c.ws.CloseNow()
		}
		s.cancel()
		<-done
	}
	s.cancel()
	if s.o.Subscriptions != nil {
		s.o.Subscriptions.Close()
	}
	return err
}

// Buffer sizes of a connection. An idle connection's memory is mostly its
// buffers and its reader's stack (Note [shallow reader]); net/http's are
// 4 KiB each. Client messages are small; a server message larger than the
// write buffer takes a second write call.
const (
	readBufferSize  = 512
	writeBufferSize = 2 << 10
)

// smallBuffers gives the hijacked connection smaller buffers than
// net/http's, keeping what the server had already read.
type smallBuffers struct{ http.ResponseWriter }

// Hijack is part of the http.Hijacker interface.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if err := brw.Writer.Flush(); err != nil {
		nc.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(nc, readBufferSize)
	if n := brw.Reader.Buffered(); n > 0 {
		// The client's first frames may already be in net/http's buffer.
		// They must be in ours too: coder/websocket keeps what the reader
		// has buffered and reads the rest from the connection.
		b, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), nc), max(readBufferSize, n))
		if _, err := br.Peek(n); err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(nc, writeBufferSize)), nil
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }
