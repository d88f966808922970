package ws

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/gql"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/session"
	"github.com/graftql/graft/internal/subscription"
)

// connState is where a connection is in its life.
type connState int8

const (
	stateNew connState = iota
	stateReady
	stateInitFailed
)

// conn is one websocket connection. One goroutine (serve) reads and
// handles the client's messages in order; writes go through the outbox,
// drained by the server's writer pool (Note [writer pool]) or, for a
// close, a goroutine that exists only while there is something to write,
// so an idle connection costs its reader and two buffers.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	proto  protocol
	mode   exec.Mode
	legacy bool // /v1alpha1/graphql: errors in the non-GraphQL envelope
	// ctx is the connection's lifetime; queries run under it.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	state     connState             // guarded by mu
	initError string                // guarded by mu
	header    http.Header           // guarded by mu: handshake headers until connection_init
	sess      *session.Session      // guarded by mu
	ops       map[string]*operation // guarded by mu; nil once the connection ended
	keepAlive *time.Timer           // guarded by mu
	timers    [2]*time.Timer        // guarded by mu: init timeout, expiry
	queries   sync.WaitGroup

	outMu   sync.Mutex
	out     []outMessage // guarded by outMu
	writing bool         // guarded by outMu: a drain runs
	closing bool         // guarded by outMu: a close is queued; nothing more is sent
	// watchdog drops the connection when a write of a drain goroutine of
	// its own takes longer than Options.WriteTimeout; only drain arms it.
	watchdog *time.Timer
}

// outMessage is a queued text message, or a close frame.
type outMessage struct {
	data   []byte
	close  bool
	code   websocket.StatusCode
	reason string
}

// maxQueued bounds the messages waiting for a slow client; past it the
// connection is dropped.
const maxQueued = 1024

// send queues a text message. It reports false when the connection is
// closing.
func (c *conn) send(data []byte) bool {
	return c.enqueue(outMessage{data: data})
}

// closeWith queues a close frame after the queued messages.
func (c *conn) closeWith(code websocket.StatusCode, reason string) {
	c.enqueue(outMessage{close: true, code: code, reason: closeReason(reason)})
}

func (c *conn) enqueue(m outMessage) bool {
	c.outMu.Lock()
	if c.closing {
		c.outMu.Unlock()
		return false
	}
	if len(c.out) >= maxQueued {
		c.closing = true
		c.out = nil
		c.outMu.Unlock()
		c.s.log.Warn("websocket client too slow; dropping the connection")
		c.ws.CloseNow()
		return false
	}
	if m.close {
		c.closing = true
	}
	c.out = append(c.out, m)
	start := !c.writing
	c.writing = true
	c.outMu.Unlock()
	if start {
		c.s.wg.Add(1)
		if m.close || !c.s.writers.submit(c) {
			go c.drain(nil)
		}
	}
	return true
}

// recoverPanic, deferred on each of the connection's goroutines, turns a
// panic (a bug) into a logged error and a closed connection instead of a
// crashed server.
func (c *conn) recoverPanic() {
	if r := recover(); r != nil {
		c.s.log.Error("websocket connection panicked", "panic", r, "stack", string(debug.Stack()))
		c.ws.Close(closeInternalError, "internal error")
	}
}

// drain writes the queued messages, then returns; w is the pool writer
// running it (Note [writer pool]), nil on a goroutine of its own.
func (c *conn) drain(w *writer) {
	defer c.s.wg.Done()
	defer c.recoverPanic()
	for {
		c.outMu.Lock()
		if len(c.out) == 0 {
			c.writing = false
			c.out = nil
			c.outMu.Unlock()
			return
		}
		m := c.out[0]
		if m.close && w != nil {
			// The close handshake may wait for the client: not on a
			// pool writer.
			c.outMu.Unlock()
			c.s.wg.Add(1)
			go c.drain(nil)
			return
		}
		c.out[0] = outMessage{}
		c.out = c.out[1:]
		c.outMu.Unlock()
		if m.close {
			c.ws.Close(m.code, m.reason)
			c.outMu.Lock()
			c.out, c.writing = nil, false
			c.outMu.Unlock()
			return
		}
		var err error
		if w != nil {
			err = w.write(c.s.writers, c, m.data) // the pool's supervisor bounds it
		} else {
			// One timer per connection rather than a context per write.
			if c.watchdog == nil {
				c.watchdog = time.AfterFunc(c.s.o.WriteTimeout, func() { c.ws.CloseNow() })
			} else {
				c.watchdog.Reset(c.s.o.WriteTimeout)
			}
			err = c.ws.Write(context.Background(), websocket.MessageText, m.data)
			c.watchdog.Stop()
		}
		if err != nil {
			c.outMu.Lock()
			c.closing, c.out, c.writing = true, nil, false
			c.outMu.Unlock()
			c.ws.CloseNow()
			return
		}
	}
}

// serve reads and handles messages until the connection ends.
func (c *conn) serve() {
	defer c.end()
	if c.proto == transportWS {
		c.mu.Lock()
		c.timers[0] = time.AfterFunc(c.s.o.InitTimeout, c.initTimedOut)
		c.mu.Unlock()
	}
	for {
		_, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return
		}
		// Note [shallow reader]: the reader lives as long as the connection
		// and is most of an idle connection's cost. Handling a message
		// (authentication, parsing, planning) needs a deep stack, so it runs
		// on a goroutine of its own while the reader waits; the reader's
		// stack stays small and messages are still handled in order.
		if !deepMessage(data) {
			c.handle(data)
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer c.recoverPanic()
			c.handle(data)
		}()
		<-done
	}
}

// deepMessage reports whether handling a message may need a deep stack:
// connection_init (authentication) and start/subscribe (parsing,
// planning). Keep-alive pongs, pings and stops are handled in place.
func deepMessage(data []byte) bool {
	return bytes.Contains(data, []byte("connection_init")) || bytes.Contains(data, []byte("start")) ||
		bytes.Contains(data, []byte("subscribe")) || len(data) > 256
}

// end releases everything the connection holds: its operations, timers
// and queries.
func (c *conn) end() {
	c.mu.Lock()
	ops := c.ops
	c.ops = nil
	if c.keepAlive != nil {
		c.keepAlive.Stop()
		c.keepAlive = nil
	}
	for i, t := range c.timers {
		if t != nil {
			t.Stop()
			c.timers[i] = nil
		}
	}
	c.mu.Unlock()
	c.outMu.Lock()
	c.closing = true // nothing is queued after the end
	c.outMu.Unlock()
	for _, op := range ops {
		op.stop()
	}
	c.cancel()
	c.queries.Wait()
	c.ws.CloseNow()
	c.s.forget(c)
}

func (c *conn) handle(data []byte) {
	m, err := parseMessage(data)
	if err != nil {
		c.parseFailed(err)
		return
	}
	switch m.Type {
	case "connection_init":
		c.onInit(m)
	case "start", "subscribe":
		c.onStart(*m.ID, m)
	case "stop", "complete":
		c.onStop(*m.ID)
	case "connection_terminate":
		c.closeWith(closeNormal, "GQL_CONNECTION_TERMINATE received")
	case "ping":
		if len(m.Payload) > 0 && string(m.Payload) != "null" {
			c.send(message("pong", "", m.Payload))
		} else {
			c.send(msgPong)
		}
	case "pong":
	}
}

// parseFailed answers a message that is not a client message.
func (c *conn) parseFailed(err error) {
	text := "parsing ClientMessage failed: " + err.Error()
	if c.proto == transportWS {
		c.closeWith(closeBadRequest, codeReason(closeBadRequest, "Parsing client message failed: "+text))
		return
	}
	c.send(message("connection_error", "", jsonString(text)))
}

// onInit authenticates the connection with the handshake headers and the
// payload's headers, the payload winning (hasura.md §3, §5.9).
func (c *conn) onInit(m *clientMessage) {
	c.mu.Lock()
	st, h := c.state, c.header
	c.mu.Unlock()
	if st == stateReady && c.proto == transportWS {
		c.closeWith(closeTooManyInits, codeReason(closeTooManyInits, "Too many initialisation requests"))
		return
	}
	p, err := parseConnParams(m.Payload)
	if err != nil {
		c.parseFailed(err)
		return
	}
	if h == nil {
		h = http.Header{}
	}
	h = h.Clone()
	for k, v := range p.Headers {
		h.Set(k, v)
	}
	sess, err := c.s.o.Auth.Authenticate(c.ctx, h)
	if err != nil {
		ae := apierr.From(err)
		c.mu.Lock()
		c.state, c.initError = stateInitFailed, ae.Message
		c.mu.Unlock()
		c.s.log.Info("websocket connection_init refused", logKeyError, ae.Message)
		if c.proto == transportWS {
			c.closeWith(closeForbidden, codeReason(closeForbidden, "Forbidden"))
			return
		}
		c.send(message("connection_error", "", jsonString(ae.Message)))
		c.closeWith(closeBadRequest, codeReason(closeBadRequest, "Connection initialization failed: "+ae.Message))
		return
	}
	c.mu.Lock()
	c.state, c.sess, c.header = stateReady, sess, nil
	if t := c.timers[0]; t != nil {
		t.Stop()
		c.timers[0] = nil
	}
	if c.timers[1] != nil {
		c.timers[1].Stop()
		c.timers[1] = nil
	}
	if !sess.Expires.IsZero() {
		c.timers[1] = time.AfterFunc(time.Until(sess.Expires), c.expired)
	}
	first := c.keepAlive == nil
	if first && c.ops != nil {
		c.keepAlive = time.AfterFunc(c.s.o.KeepAlive, c.sendKeepAlive)
	}
	c.mu.Unlock()
	c.send(msgAck)
	c.send(c.keepAliveMessage())
}

func (c *conn) keepAliveMessage() []byte {
	if c.proto == transportWS {
		return msgPingKeepAliv
	}
	return msgKeepAlive
}

// sendKeepAlive runs on the keep-alive timer: Apollo's "ka", or a ping
// with {"message":"keepalive"} for graphql-transport-ws.
func (c *conn) sendKeepAlive() {
	if !c.send(c.keepAliveMessage()) {
		return
	}
	c.mu.Lock()
	if c.keepAlive != nil {
		c.keepAlive.Reset(c.s.o.KeepAlive)
	}
	c.mu.Unlock()
}

// initTimedOut closes a graphql-transport-ws connection that sent no
// connection_init in time.
func (c *conn) initTimedOut() {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	if st == stateNew {
		c.closeWith(closeInitTimeout, codeReason(closeInitTimeout, "Connection initialisation timeout"))
	}
}

// errExpired is the text sent when the session's credentials expire.
const errExpired = "session expired"

// expired closes the connection when its JWT or webhook session ends:
// graphql-transport-ws with 4403 Forbidden (the client may reconnect with
// fresh credentials), Apollo with connection_error and 4400.
func (c *conn) expired() {
	c.s.log.Info("websocket session expired; closing the connection")
	if c.proto == transportWS {
		c.closeWith(closeForbidden, codeReason(closeForbidden, "Forbidden"))
		return
	}
	c.send(message("connection_error", "", jsonString(errExpired)))
	c.closeWith(closeBadRequest, codeReason(closeBadRequest, errExpired))
}

// onStart runs an operation: queries and mutations through the engine,
// subscriptions through the subscription manager.
func (c *conn) onStart(id string, m *clientMessage) {
	c.mu.Lock()
	st, sess, initErr := c.state, c.sess, c.initError
	_, dup := c.ops[id]
	c.mu.Unlock()
	if st != stateReady {
		if c.proto == transportWS {
			c.closeWith(closeUnauthorized, codeReason(closeUnauthorized, "Unauthorized"))
			return
		}
		msg := "start received before the connection is initialised"
		if st == stateInitFailed {
			msg = "cannot start as connection_init failed with: " + initErr
		}
		c.startFailed(id, msg)
		return
	}
	if dup {
		if c.proto == transportWS {
			c.closeWith(closeSubscriberExist, codeReason(closeSubscriberExist, "Subscriber for "+id+" already exists"))
			return
		}
		c.startFailed(id, "an operation already exists with this id: "+id)
		return
	}
	req, err := parseStart(m.Payload)
	if err != nil {
		c.parseFailed(err)
		return
	}
	snap := c.s.o.Snapshot()
	if isSubscription(req) {
		c.subscribe(id, snap, sess, req)
		return
	}
	c.execute(id, snap, sess, req)
}

// isSubscription reports whether the operation req runs is a
// subscription; a document that does not parse goes to the engine, which
// reports the error.
func isSubscription(req *gql.Request) bool {
	if !strings.Contains(req.Query, "subscription") {
		return false
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: req.Query})
	if err != nil {
		return false
	}
	op, err := gql.Operation(doc, req.OperationName)
	return err == nil && op.Operation == ast.Subscription
}

// startFailed answers an Apollo start that cannot run: error with a
// start-failed payload, then complete.
func (c *conn) startFailed(id, text string) {
	e := apierr.New(apierr.StartFailed, "%s", text)
	c.send(message("error", id, c.errorObject(e)))
	c.send(message("complete", id, nil))
}

// execute runs a query or mutation; its result comes as data/next then
// complete.
func (c *conn) execute(id string, snap *schema.Snapshot, sess *session.Session, req *gql.Request) {
	ctx, cancel := context.WithCancel(c.ctx)
	op := &operation{c: c, id: id, cancel: cancel}
	if !c.register(op) {
		cancel()
		return
	}
	c.queries.Add(1)
	go func() {
		defer c.queries.Done()
		defer cancel()
		defer c.recoverPanic()
		var buf bytes.Buffer
		err := c.s.o.Engine.Execute(ctx, snap, sess, req, c.mode, &buf)
		if !op.finish() {
			return
		}
		if err != nil {
			c.operationError(id, err, executionError(err))
			return
		}
		c.send(message(c.dataType(), id, buf.Bytes()))
		c.send(message("complete", id, nil))
	}()
}

// subscribe starts a subscription.
func (c *conn) subscribe(id string, snap *schema.Snapshot, sess *session.Session, req *gql.Request) {
	op := &operation{c: c, id: id}
	if !c.register(op) {
		return
	}
	if c.s.o.Subscriptions == nil {
		if op.finish() {
			c.operationError(id, apierr.New(apierr.NotSupported, "subscriptions are not available").At("$"), false)
		}
		return
	}
	sub, err := c.s.o.Subscriptions.Subscribe(snap, &subscription.Request{Session: sess, Query: req, Relay: c.mode == exec.ModeRelay}, op)
	if err != nil {
		if op.finish() {
			c.operationError(id, err, false)
		}
		return
	}
	op.setSubscription(sub)
}

func (c *conn) register(op *operation) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		return false
	}
	c.ops[op.id] = op
	return true
}

// onStop ends an operation at the client's request; nothing is sent back.
func (c *conn) onStop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	if op != nil {
		delete(c.ops, id)
	}
	c.mu.Unlock()
	if op != nil {
		op.stop()
	}
}

func (c *conn) dataType() string {
	if c.proto == transportWS {
		return "next"
	}
	return "data"
}

// executionError tells errors of running the SQL (sent as a result with
// errors) from request errors found before (sent as an error message).
func executionError(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return true
	}
	var ae *apierr.Error
	return errors.As(err, &ae) && ae.Code == apierr.Unexpected
}

// operationError reports a failed operation the way Hasura's onStart
// does: a request error is an "error" message (Apollo adds complete); an
// execution error is a result with errors (Apollo: data + complete;
// graphql-transport-ws: error).
func (c *conn) operationError(id string, err error, execution bool) {
	ae := apierr.From(err)
	c.logError(ae)
	obj := c.errorObject(ae)
	if c.proto == transportWS {
		if c.legacy {
			c.send(message("error", id, obj))
		} else {
			c.send(message("error", id, wrapList(obj)))
		}
		return
	}
	if execution {
		c.send(message("data", id, wrapErrors(obj)))
	} else if c.legacy {
		c.send(message("error", id, obj))
	} else {
		c.send(message("error", id, wrapErrors(obj)))
	}
	c.send(message("complete", id, nil))
}

// subscriptionFailed ends a running subscription: a result with errors,
// then complete, in both protocols (Hasura sends poll errors as data).
func (c *conn) subscriptionFailed(id string, err error) {
	ae := apierr.From(err)
	c.logError(ae)
	c.send(message(c.dataType(), id, wrapErrors(c.errorObject(ae))))
	c.send(message("complete", id, nil))
}

func (c *conn) logError(e *apierr.Error) {
	if e.Code == apierr.Unexpected {
		c.s.log.LogAttrs(c.ctx, slog.LevelError, "websocket operation failed", slog.String(logKeyError, e.Error()), slog.Any("internal", e.Internal))
	}
}

// errorObject encodes one error in the connection's envelope.
func (c *conn) errorObject(e *apierr.Error) []byte {
	c.mu.Lock()
	sess := c.sess
	c.mu.Unlock()
	show := c.s.showInternal(sess)
	if c.legacy {
		return apierr.APIError(e, show)
	}
	b := apierr.GraphQLErrors([]*apierr.Error{e}, show)
	return b[len(`{"errors":[`) : len(b)-len(`]}`)]
}

func wrapErrors(obj []byte) []byte {
	out := make([]byte, 0, len(obj)+13)
	out = append(out, `{"errors":[`...)
	out = append(out, obj...)
	return append(out, "]}"...)
}

func wrapList(obj []byte) []byte {
	out := make([]byte, 0, len(obj)+2)
	out = append(out, '[')
	out = append(out, obj...)
	return append(out, ']')
}

// operation is a running query, mutation or subscription of a connection.
// As a subscription it is the subscription's [subscription.Sink].
type operation struct {
	c      *conn
	id     string
	cancel context.CancelFunc // queries and mutations

	mu   sync.Mutex
	sub  *subscription.Subscription // guarded by mu
	done bool                       // guarded by mu
}

var _ subscription.Sink = (*operation)(nil)

// Next is part of the subscription.Sink interface.
func (o *operation) Next(payload []byte) {
	o.mu.Lock()
	done := o.done
	o.mu.Unlock()
	if !done {
		o.c.send(message(o.c.dataType(), o.id, payload))
	}
}

// Fail is part of the subscription.Sink interface.
func (o *operation) Fail(err error) {
	if o.finish() {
		o.c.subscriptionFailed(o.id, err)
	}
}

// finish marks the operation done and forgets it; it reports whether it
// was still running (and so whether to report its end).
func (o *operation) finish() bool {
	o.mu.Lock()
	if o.done {
		o.mu.Unlock()
		return false
	}
	o.done = true
	o.mu.Unlock()
	c := o.c
	c.mu.Lock()
	if c.ops[o.id] == o {
		delete(c.ops, o.id)
	}
	c.mu.Unlock()
	return true
}

// setSubscription records the subscription, stopping it at once if the
// operation ended meanwhile.
func (o *operation) setSubscription(s *subscription.Subscription) {
	o.mu.Lock()
	done := o.done
	o.sub = s
	o.mu.Unlock()
	if done {
		s.Stop()
	}
}

// stop ends the operation without a message.
func (o *operation) stop() {
	o.mu.Lock()
	o.done = true
	sub := o.sub
	o.mu.Unlock()
	if o.cancel != nil {
		o.cancel()
	}
	if sub != nil {
		sub.Stop()
	}
}
