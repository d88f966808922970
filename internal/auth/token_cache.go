package auth

import (
	"sync"
	"time"
)

// Note [token cache]
//
// Verifying a signature costs microseconds (HMAC) to a hundred
// microseconds (RSA), and parsing the claims allocates; clients send the
// same token with every request until it expires. So each config caches,
// per token string, the identity it grants, until the token's exp plus the
// allowed skew. An entry remembers the generation of the key set that
// verified it and is ignored once the JWKS has changed, so that a key
// removed from the JWKS stops tokens at once. Failures are not cached. The
// cache is bounded: when full, expired entries go first, then random ones.

// tokenCache maps a token to the identity it grants. It is safe for
// concurrent use.
type tokenCache struct {
	max int

	mu sync.RWMutex
	m  map[string]cacheEntry // guarded by mu
}

type cacheEntry struct {
	id  *identity
	gen uint64
	// until is when the entry stops being valid (exp + skew); zero means
	// never.
	until time.Time
}

func newTokenCache(max int) *tokenCache {
	return &tokenCache{max: max, m: make(map[string]cacheEntry)}
}

// get returns the cached identity of token if it is valid at now under
// key set generation gen.
func (c *tokenCache) get(token string, gen uint64, now time.Time) (*identity, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.RLock()
	e, ok := c.m[token]
	c.mu.RUnlock()
	if !ok || e.gen != gen || (!e.until.IsZero() && !now.Before(e.until)) {
		return nil, false
	}
	return e.id, true
}

func (c *tokenCache) put(token string, e cacheEntry, now time.Time) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.evictLocked(now)
	}
	c.m[token] = e
}

// evictLocked makes room: expired entries first, then arbitrary ones
// (map order is random) down to 90 % of the bound.
func (c *tokenCache) evictLocked(now time.Time) {
	for k, e := range c.m {
		if !e.until.IsZero() && !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	target := c.max * 9 / 10
	for k := range c.m {
		if len(c.m) <= target {
			break
		}
		delete(c.m, k)
	}
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
