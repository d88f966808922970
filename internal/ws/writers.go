package ws

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Note [writer pool]: a live-query refresh queues one message on each of
// thousands of connections at once. A goroutine per connection and
// message (created, scheduled, its stack grown, destroyed) cost about a
// fifth of such a fan-out; instead a few writers drain the outboxes in
// turn. Writers start when outboxes are submitted and end when none is
// left, so an idle server has none.
//
// A write returns as soon as the kernel has taken the bytes, except for a
// client that stopped reading: once its socket buffers are full, the
// write blocks. So that such a client delays nobody else, a supervisor
// (running only while outboxes are pending) looks at the writers every
// stallAfter: a writer that has been in one write for longer no longer
// counts towards the pool's size (another writer starts if work waits)
// and ends when that write does; a write older than
// Options.WriteTimeout has its connection dropped, which ends the write.
// A stuck client so holds one goroutine until the timeout, as it did
// with a goroutine per connection, and never a writer the others need.
//
// Close frames are not written by the pool: coder/websocket waits for
// the client's close frame (up to five seconds), so a close gets a
// goroutine of its own (conn.drain).

// stallAfter is how long a pool writer may spend in one write before it
// is replaced.
const stallAfter = 20 * time.Millisecond

// writerPool drains connection outboxes.
type writerPool struct {
	size         int32
	writeTimeout time.Duration
	epoch        time.Time
	work         chan *conn
	backlog      atomic.Int64  // outboxes submitted and not yet taken by a writer
	pending      atomic.Int64  // outboxes submitted and not yet drained
	running      atomic.Int32  // writers, stalled ones included
	stalled      atomic.Int32  // writers marked stalled, still running
	supervising  atomic.Bool   // a supervisor runs
	idle         chan struct{} // capacity 1: pending reached 0

	mu      sync.Mutex
	writers map[*writer]struct{} // guarded by mu
}

// writer is one goroutine of the pool.
type writer struct {
	since   atomic.Int64         // when its current write began (writerPool.now); 0 between writes
	conn    atomic.Pointer[conn] // the connection it drains
	stalled atomic.Bool          // it ends after its current outbox
}

func newWriterPool(writeTimeout time.Duration) *writerPool {
	return &writerPool{
		size:         int32(2 * runtime.GOMAXPROCS(0)),
		writeTimeout: writeTimeout,
		epoch:        time.Now(),
		// Past this many waiting outboxes, conns drain on goroutines of
		// their own.
		work:    make(chan *conn, 1<<14),
		idle:    make(chan struct{}, 1),
		writers: map[*writer]struct{}{},
	}
}

// now is the time since the pool's start, in nanoseconds, never 0.
func (p *writerPool) now() int64 { return int64(time.Since(p.epoch)) + 1 }

// submit has a writer drain c's outbox. It reports false when the pool's
// queue is full; the caller then drains the outbox itself.
func (p *writerPool) submit(c *conn) bool {
	p.pending.Add(1)
	p.backlog.Add(1)
	select {
	case p.work <- c:
	default:
		p.backlog.Add(-1)
		p.done()
		return false
	}
	p.ensureWriter()
	if !p.supervising.Load() && p.supervising.CompareAndSwap(false, true) {
		go p.supervise()
	}
	return true
}

// ensureWriter starts a writer unless enough run.
func (p *writerPool) ensureWriter() {
	for {
		n := p.running.Load()
		if n >= p.size+p.stalled.Load() {
			return
		}
		if p.running.CompareAndSwap(n, n+1) {
			w := &writer{}
			p.mu.Lock()
			p.writers[w] = struct{}{}
			p.mu.Unlock()
			go p.run(w)
			return
		}
	}
}

// done counts an outbox drained.
func (p *writerPool) done() {
	if p.pending.Add(-1) == 0 {
		select {
		case p.idle <- struct{}{}:
		default:
		}
	}
}

// run drains outboxes until none waits.
func (p *writerPool) run(w *writer) {
	for {
		select {
		case c := <-p.work:
			p.backlog.Add(-1)
			w.conn.Store(c)
			c.drain(w)
			w.conn.Store(nil)
			p.done()
			if w.stalled.Load() {
				p.exit(w)
				return
			}
		default:
			p.exit(w)
			return
		}
	}
}

// exit counts w out. Marking a writer stalled and counting it out are
// both under mu, so stalled is lowered exactly once per mark.
func (p *writerPool) exit(w *writer) {
	p.mu.Lock()
	delete(p.writers, w)
	p.running.Add(-1)
	if w.stalled.Load() {
		p.stalled.Add(-1)
	}
	p.mu.Unlock()
	// A submit that saw this writer still running counted its outbox in
	// backlog first: one of the two sees the other.
	if p.backlog.Load() > 0 {
		p.ensureWriter()
	}
}

// write writes one message of c's outbox, for the supervisor to see.
func (w *writer) write(p *writerPool, c *conn, data []byte) error {
	w.since.Store(p.now())
	defer w.since.Store(0)
	return c.ws.Write(context.Background(), websocket.MessageText, data)
}

// supervise replaces stalled writers and drops connections whose write
// outlived the write timeout, while outboxes are pending.
func (p *writerPool) supervise() {
	t := time.NewTicker(stallAfter)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.check()
		case <-p.idle:
		}
		if p.pending.Load() > 0 {
			continue
		}
		p.supervising.Store(false)
		// A submit that saw supervising still set counted itself in
		// pending before it looked: one of the two sees the other.
		if p.pending.Load() == 0 || !p.supervising.CompareAndSwap(false, true) {
			return
		}
	}
}

// check looks at every writer once.
func (p *writerPool) check() {
	now := p.now()
	var drop []*conn
	replace := 0
	p.mu.Lock()
	for w := range p.writers {
		c := w.conn.Load()
		s := w.since.Load()
		if s == 0 || c == nil || w.conn.Load() != c {
			continue // between writes, or it moved on
		}
		age := time.Duration(now - s)
		if age > stallAfter && w.stalled.CompareAndSwap(false, true) {
			p.stalled.Add(1)
			replace++
		}
		if age > p.writeTimeout {
			drop = append(drop, c)
		}
	}
	p.mu.Unlock()
	for range replace {
		if p.backlog.Load() > 0 {
			p.ensureWriter()
		}
	}
	for _, c := range drop {
		// CloseNow may wait for a close handshake another goroutine runs.
		go c.ws.CloseNow()
	}
}
