package signin

import (
	"container/list"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Note [rate limits]
//
// Per-IP limits (signin.md §9.3) are sliding windows kept in memory: each
// key counts the requests of the current fixed window and of the one
// before, and the earlier count is weighted by how much of it still
// overlaps the sliding window (Cloudflare's approximation; an error of a
// few percent against an exact log, with two integers per key). Keys idle
// for two intervals are swept as new ones arrive.
//
// The per-account back-off (§9.4) counts consecutive failures per account
// key; past the threshold each attempt must wait 1 s, 2 s, 4 s ... after
// the previous failure, up to a cap, and an early attempt gets 429 without
// any hashing. Keys live in an LRU of at most 100,000 entries, so that
// guessing many accounts cannot grow memory.

// window is one sliding-window limiter: burst requests per interval.
type window struct {
	burst    int
	interval time.Duration

	mu        sync.Mutex
	counts    map[string]*windowCount // guarded by mu
	lastSweep time.Time               // guarded by mu
}

type windowCount struct {
	start      time.Time // start of the current fixed window
	prev, curr int
}

func newWindow(burst int, interval time.Duration) *window {
	return &window{burst: burst, interval: interval, counts: map[string]*windowCount{}}
}

// allow counts a request of key at now; when over the limit it returns
// false and the wait before the next request would be allowed.
func (w *window) allow(key string, now time.Time) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Sub(w.lastSweep) > w.interval {
		for k, c := range w.counts {
			if now.Sub(c.start) > 2*w.interval {
				delete(w.counts, k)
			}
		}
		w.lastSweep = now
	}
	c := w.counts[key]
	if c == nil {
		c = &windowCount{start: now.Truncate(w.interval)}
		w.counts[key] = c
	}
	start := now.Truncate(w.interval)
	switch d := start.Sub(c.start); {
	case d >= 2*w.interval:
		c.prev, c.curr, c.start = 0, 0, start
	case d >= w.interval:
		c.prev, c.curr, c.start = c.curr, 0, start
	}
	elapsed := now.Sub(c.start)
	weight := 1 - float64(elapsed)/float64(w.interval)
	used := float64(c.prev)*weight + float64(c.curr)
	if used+1 > float64(w.burst) {
		// The previous window's share decays linearly; wait until enough of
		// it has gone, or until the next window for the current count.
		wait := w.interval - elapsed
		if c.prev > 0 && float64(c.curr)+1 <= float64(w.burst) {
			need := used + 1 - float64(w.burst)
			wait = time.Duration(need / float64(c.prev) * float64(w.interval))
		}
		return false, wait
	}
	c.curr++
	return true, 0
}

// lockout is the per-account back-off (Note [rate limits]).
type lockout struct {
	threshold int
	max       time.Duration
	size      int

	mu    sync.Mutex
	lru   *list.List               // guarded by mu; front = most recent
	items map[string]*list.Element // guarded by mu
}

type lockoutEntry struct {
	key      string
	failures int
	last     time.Time
}

const lockoutKeys = 100000

func newLockout(threshold int, max time.Duration) *lockout {
	return &lockout{threshold: threshold, max: max, size: lockoutKeys, lru: list.New(), items: map[string]*list.Element{}}
}

// check reports whether key may try now, and otherwise how long to wait.
func (l *lockout) check(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.threshold <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	el, ok := l.items[key]
	if !ok {
		return true, 0
	}
	e := el.Value.(*lockoutEntry)
	if e.failures < l.threshold {
		return true, 0
	}
	n := e.failures - l.threshold
	delay := l.max
	if n < 40 {
		delay = min(time.Duration(math.Pow(2, float64(n)))*time.Second, l.max)
	}
	if wait := e.last.Add(delay).Sub(now); wait > 0 {
		return false, wait
	}
	return true, 0
}

// fail records a failed attempt of key.
func (l *lockout) fail(key string, now time.Time) {
	if l == nil || l.threshold <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[key]; ok {
		e := el.Value.(*lockoutEntry)
		e.failures++
		e.last = now
		l.lru.MoveToFront(el)
		return
	}
	l.items[key] = l.lru.PushFront(&lockoutEntry{key: key, failures: 1, last: now})
	for l.lru.Len() > l.size {
		old := l.lru.Back()
		l.lru.Remove(old)
		delete(l.items, old.Value.(*lockoutEntry).key)
	}
}

// clear forgets key after a success or a completed password reset.
func (l *lockout) clear(key string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[key]; ok {
		l.lru.Remove(el)
		delete(l.items, key)
	}
}

// clientIP is the socket peer, or, when the peer is a trusted proxy, the
// rightmost X-Forwarded-For address outside the trusted list (signin.md
// §9.3; Nhost believes X-Forwarded-For from anyone).
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
