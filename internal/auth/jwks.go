package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
)

// verifyKey is one key a token may be verified with, and the algorithms
// it may verify: the type pins them, never the token's header.
type verifyKey struct {
	kid  string
	algs []jwa.SignatureAlgorithm
	key  any // raw public key, or []byte for HMAC
}

// keySet is an immutable snapshot of the keys of one JWT config.
type keySet struct {
	keys []verifyKey
	// gen changes whenever the keys change; a cached token verified under
	// another generation is verified again.
	gen uint64
}

// candidates returns the keys that may verify a token signed with alg
// under kid. kidKnown is false when the token names a kid that no key
// has, which is worth a JWKS refresh.
func (ks *keySet) candidates(alg jwa.SignatureAlgorithm, kid string) (cands []verifyKey, kidKnown bool) {
	for _, k := range ks.keys {
		if kid != "" && k.kid != "" && k.kid != kid {
			continue
		}
		kidKnown = true
		for _, a := range k.algs {
			if a == alg {
				cands = append(cands, k)
				break
			}
		}
	}
	return cands, kidKnown
}

// keySource gives the keys of one JWT config.
type keySource interface {
	// current returns the keys to verify with now (never nil).
	current() *keySet
	// refresh is called when a token names a kid that stale, the keys it
	// was checked with, lacks, or no keys are loaded yet. It returns
	// fresher keys to retry with, or nil when no fetch was allowed (see
	// Note [JWKS refresh]) or ctx ended.
	refresh(ctx context.Context, stale *keySet) *keySet
}

// staticKeys is a key given in the config.
type staticKeys struct{ set *keySet }

func (s staticKeys) current() *keySet                         { return s.set }
func (s staticKeys) refresh(context.Context, *keySet) *keySet { return nil }

// Note [JWKS refresh]
//
// Hasura refreshes a jwk_url by its response headers
// (hasura/graphql-engine: server/src-lib/Hasura/Server/Auth/JWT.hs,
// determineJwkExpiryLifetime): Cache-Control with must-revalidate uses
// max-age (else refreshes at once), no-cache or no-store refresh at once,
// max-age/s-maxage after that many seconds; else Expires at that time; with
// neither it never refreshes. graft follows those rules with a floor of
// one second, and differs where Hasura is fragile:
//
//   - Startup never waits for the JWKS: the first fetch runs in the
//     background, and tokens fail with NoUsableKeys until keys arrive.
//   - A failed fetch keeps the last good keys and is retried after 1 s,
//     doubling up to 60 s.
//   - At most one fetch is in flight; requests that need keys join it,
//     for two seconds at most.
//   - A token whose kid is unknown (or any token while no keys are loaded)
//     triggers a fetch, at most once per MissRefreshInterval, so that key
//     rotation is followed before max-age runs out but forged kids cannot
//     cause a refetch storm.
//   - jku and x5u headers of a token are never fetched; only jwk_url is.

// jwks is a key source that fetches a JWK set URL.
type jwks struct {
	url    string
	pinned jwa.SignatureAlgorithm
	pin    bool
	client *http.Client
	log    *slog.Logger
	now    func() time.Time
	// missInterval is the least time between two fetches caused by kid
	// misses.
	missInterval time.Duration

	set atomic.Pointer[keySet]

	mu        sync.Mutex
	inflight  *fetchCall // guarded by mu
	lastStart time.Time  // guarded by mu; start of the last fetch
	bodyHash  [32]byte   // guarded by mu; hash of the last good body

	ctx context.Context // lifetime of the background work
	wg  *sync.WaitGroup
}

// fetchCall is one fetch; done is closed when res is set.
type fetchCall struct {
	done chan struct{}
	res  fetchResult
}

// fetchResult says when to fetch again.
type fetchResult struct {
	err error
	// refreshIn is the time until the next scheduled fetch; never is true
	// when the response had no expiry headers.
	refreshIn time.Duration
	never     bool
}

const (
	jwksMaxBody      = 1 << 20
	jwksFetchTimeout = 10 * time.Second
	minRefresh       = time.Second
	maxRetry         = time.Minute
	// missWait bounds how long a request waits for a fetch, so that a
	// JWKS server that hangs does not hang requests with it.
	missWait = 2 * time.Second
)

func (j *jwks) current() *keySet { return j.set.Load() }

// run fetches the keys at once and then on the schedule of Note [JWKS
// refresh] until ctx ends.
func (j *jwks) run(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	failures := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		call := j.start()
		select {
		case <-ctx.Done():
			return
		case <-call.done:
		}
		res := call.res
		if res.err != nil {
			failures++
			wait := minRefresh << min(failures-1, 6)
			wait = min(wait, maxRetry)
			j.log.Warn("jwk refresh failed", logKeyURL, j.url, logKeyError, res.err.Error(), logKeyRetryIn, wait.String())
			timer.Reset(wait)
			continue
		}
		failures = 0
		if res.never {
			// No Cache-Control or Expires: Hasura never refreshes; kid
			// misses still can.
			<-ctx.Done()
			return
		}
		timer.Reset(max(res.refreshIn, minRefresh))
	}
}

// refresh is part of the keySource interface.
func (j *jwks) refresh(ctx context.Context, stale *keySet) *keySet {
	j.mu.Lock()
	if cur := j.set.Load(); cur != stale {
		// Keys arrived since the caller looked.
		j.mu.Unlock()
		return cur
	}
	call := j.inflight
	if call == nil {
		if !j.lastStart.IsZero() && j.now().Sub(j.lastStart) < j.missInterval {
			j.mu.Unlock()
			return nil
		}
		call = j.startLocked()
	}
	j.mu.Unlock()
	wait := time.NewTimer(missWait)
	defer wait.Stop()
	select {
	case <-call.done:
		return j.current()
	case <-wait.C:
		return nil
	case <-ctx.Done():
		return nil
	}
}

// start begins a fetch, or returns the one in flight.
func (j *jwks) start() *fetchCall {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.inflight != nil {
		return j.inflight
	}
	return j.startLocked()
}

func (j *jwks) startLocked() *fetchCall {
	call := &fetchCall{done: make(chan struct{})}
	j.inflight = call
	j.lastStart = j.now()
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		res := j.fetch()
		j.mu.Lock()
		j.inflight = nil
		j.mu.Unlock()
		call.res = res
		close(call.done)
	}()
	return call
}

// fetch gets and installs the key set once.
func (j *jwks) fetch() fetchResult {
	ctx, cancel := context.WithTimeout(j.ctx, jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return fetchResult{err: err}
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := j.client.Do(req)
	if err != nil {
		return fetchResult{err: fmt.Errorf("Error fetching JWK: %w", err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBody+1))
	if err != nil {
		return fetchResult{err: fmt.Errorf("Error fetching JWK: %w", err)}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fetchResult{err: fmt.Errorf("Non-2xx response on fetching JWK from: %s (status %d)", j.url, resp.StatusCode)}
	}
	if len(body) > jwksMaxBody {
		return fetchResult{err: fmt.Errorf("Error parsing JWK from url: %s: larger than %d bytes", j.url, jwksMaxBody)}
	}
	set, err := jwk.Parse(body)
	if err != nil {
		return fetchResult{err: fmt.Errorf("Error parsing JWK from url: %s: %w", j.url, err)}
	}
	keys, skipped := keysFromSet(set, j.pinned, j.pin)
	for _, s := range skipped {
		j.log.Warn("jwk key skipped", logKeyURL, j.url, logKeyError, s)
	}
	if len(keys) == 0 {
		return fetchResult{err: fmt.Errorf("Error parsing JWK from url: %s: no usable signature keys", j.url)}
	}
	sum := sha256.Sum256(body)
	j.mu.Lock()
	old := j.set.Load()
	gen := old.gen
	if sum != j.bodyHash {
		gen++
		j.bodyHash = sum
	}
	j.set.Store(&keySet{keys: keys, gen: gen})
	j.mu.Unlock()
	j.log.Debug("jwk refreshed", logKeyURL, j.url, "keys", len(keys))
	return jwkLifetime(resp.Header, j.now())
}

// keysFromSet turns a JWK set into verification keys. A key's "alg" pins
// its algorithm; without one the config's type does; else every algorithm
// of the key's kind is allowed. Encryption keys are skipped.
func keysFromSet(set jwk.Set, pinned jwa.SignatureAlgorithm, pin bool) ([]verifyKey, []string) {
	var keys []verifyKey
	var skipped []string
	for i := range set.Len() {
		k, _ := set.Key(i)
		kid, _ := k.KeyID()
		if use, ok := k.KeyUsage(); ok && use == "enc" {
			continue
		}
		if pk, err := k.PublicKey(); err == nil {
			k = pk
		}
		var raw any
		if err := jwk.Export(k, &raw); err != nil {
			skipped = append(skipped, fmt.Sprintf("kid %q: %v", kid, err))
			continue
		}
		var algs []jwa.SignatureAlgorithm
		if a, ok := k.Algorithm(); ok {
			alg, ok := jwa.LookupSignatureAlgorithm(a.String())
			if !ok || alg == jwa.NoSignature() || !keyFitsAlg(raw, alg) {
				skipped = append(skipped, fmt.Sprintf("kid %q: alg %q does not fit the key", kid, a.String()))
				continue
			}
			algs = []jwa.SignatureAlgorithm{alg}
		} else if pin {
			if !keyFitsAlg(raw, pinned) {
				skipped = append(skipped, fmt.Sprintf("kid %q: key (%s) cannot verify %s", kid, keyKind(raw), pinned))
				continue
			}
			algs = []jwa.SignatureAlgorithm{pinned}
		} else {
			for _, a := range []jwa.SignatureAlgorithm{jwa.RS256(), jwa.RS384(), jwa.RS512(), jwa.PS256(), jwa.PS384(), jwa.PS512(),
				jwa.ES256(), jwa.ES384(), jwa.ES512(), jwa.EdDSA(), jwa.HS256(), jwa.HS384(), jwa.HS512()} {
				if keyFitsAlg(raw, a) {
					algs = append(algs, a)
				}
			}
			if len(algs) == 0 {
				skipped = append(skipped, fmt.Sprintf("kid %q: unsupported key (%s)", kid, keyKind(raw)))
				continue
			}
		}
		keys = append(keys, verifyKey{kid: kid, algs: algs, key: raw})
	}
	return keys, skipped
}

// jwkLifetime applies Note [JWKS refresh] to a JWKS response's headers.
func jwkLifetime(h http.Header, now time.Time) fetchResult {
	if cc := h.Get("Cache-Control"); cc != "" {
		d := parseCacheControl(cc)
		switch {
		case d.bad:
			return fetchResult{refreshIn: maxRetry}
		case d.mustRevalidate:
			return fetchResult{refreshIn: d.maxAge} // 0 without max-age
		case d.noCache || d.noStore:
			return fetchResult{refreshIn: 0}
		case d.hasMaxAge:
			return fetchResult{refreshIn: d.maxAge}
		}
	}
	if e := h.Get("Expires"); e != "" {
		t, err := http.ParseTime(e)
		if err != nil {
			return fetchResult{refreshIn: maxRetry}
		}
		return fetchResult{refreshIn: t.Sub(now)}
	}
	return fetchResult{never: true}
}

// cacheControl holds the directives of a Cache-Control header that matter
// here.
type cacheControl struct {
	maxAge                           time.Duration
	hasMaxAge                        bool
	noCache, noStore, mustRevalidate bool
	bad                              bool // a max-age that is not a number
}

func parseCacheControl(v string) cacheControl {
	var cc cacheControl
	for _, part := range strings.Split(v, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "max-age", "s-maxage":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err != nil || n < 0 {
				cc.bad = true
				continue
			}
			if !cc.hasMaxAge {
				cc.maxAge, cc.hasMaxAge = time.Duration(n)*time.Second, true
			}
		case "no-cache":
			cc.noCache = true
		case "no-store":
			cc.noStore = true
		case "must-revalidate":
			cc.mustRevalidate = true
		}
	}
	if cc.hasMaxAge {
		cc.bad = false
	}
	return cc
}
