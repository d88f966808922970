// Command graft-subbench measures graft's live queries at scale: it starts
// graft (a binary it builds, in a process of its own), opens many
// graphql-transport-ws connections with one live query each across many
// users, then inserts rows that change every subscriber's result and
// measures how long each result takes to arrive, graft's resident memory
// per idle subscriber and its CPU time per refresh.
//
//	go run ./cmd/graft-subbench [-subscribers 10000] [-users 1000] [-rounds 5] [-db URL]
//
// Without -db (or GRAFT_TEST_DATABASE_URL) it starts a throwaway PostgreSQL
// cluster from the local installation (package pglocal). With one, it
// creates a database of its own there and drops it at the end. All traffic
// stays on 127.0.0.1, and the run ends by itself.
//
// The data: table message(id, user_id, body); role user sees its own
// messages and the broadcasts (user_id NULL). Each subscriber runs
//
//	subscription { message(order_by: {id: desc}, limit: 5) { id user_id body } }
//
// so subscribers of one user form a cohort (users cohorts in total), and
// one broadcast insert changes every result. Each delivery's latency is
// reported twice: when the result reached the client's socket (the
// kernel's receive time) and when this load generator read it (Note
// [arrival time]).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"

	"github.com/graftql/graft/internal/app"
	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pglocal"
)

const adminSecret = "subbench"

var (
	subscribers = flag.Int("subscribers", 10000, "live-query subscribers")
	perConn     = flag.Int("per-conn", 1, "subscriptions per websocket connection (all of one user)")
	users       = flag.Int("users", 1000, "distinct users (x-hasura-user-id) among the subscribers")
	rounds      = flag.Int("rounds", 5, "broadcast inserts to measure")
	refetch     = flag.Duration("refetch", time.Second, "HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL")
	dbURL       = flag.String("db", os.Getenv("GRAFT_TEST_DATABASE_URL"), "admin URL of a PostgreSQL server to create the bench database on (default: a private cluster)")
	graftBin    = flag.String("graft", "", "graft binary to run (default: go build ./cmd/graft)")
	idle        = flag.Duration("idle", 5*time.Second, "idle time before measuring memory and CPU")
	parallel    = flag.Int("dial-parallelism", 200, "connections opened at once")
	cpuProfile  = flag.String("cpuprofile", "", "profile graft's CPU during the inserts into this file; graft then runs inside this process (so its memory figure includes the clients')")
	memProfile  = flag.String("memprofile", "", "write a heap profile of the idle subscribers to this file; graft then runs inside this process")
	viaGraphQL  = flag.Bool("via-graphql", false, "insert with a GraphQL mutation through graft (subscribers then refresh at once) instead of run_sql (they wait for the next poll)")
)

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tmp, err := os.MkdirTemp("", "graft-subbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	// A private cluster runs as user postgres when we are root; it must
	// reach its data directory inside tmp.
	if err := os.Chmod(tmp, 0o711); err != nil {
		return err
	}

	dbu, cleanup, err := database(ctx, tmp)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer cleanup()

	port, err := pglocal.FreePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	env := []string{
		"HASURA_GRAPHQL_DATABASE_URL=" + dbu,
		"HASURA_GRAPHQL_ADMIN_SECRET=" + adminSecret,
		"HASURA_GRAPHQL_SERVER_HOST=127.0.0.1",
		"HASURA_GRAPHQL_SERVER_PORT=" + strconv.Itoa(port),
		"HASURA_GRAPHQL_LOG_LEVEL=warn",
		"HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL=" + strconv.FormatInt(refetch.Milliseconds(), 10),
	}
	var pid int
	if *cpuProfile != "" || *memProfile != "" {
		stop, err := startInProcess(ctx, env)
		if err != nil {
			return err
		}
		defer stop()
		pid = os.Getpid()
	} else {
		p, stop, err := startProcess(ctx, tmp, env)
		if err != nil {
			return err
		}
		defer stop()
		pid = p
	}
	if err := waitHealthy(ctx, base); err != nil {
		return err
	}
	if err := setup(ctx, base); err != nil {
		return err
	}
	time.Sleep(time.Second)
	rssBase := rss(pid)
	log.Printf("graft pid %d ready; RSS %.1f MiB before the subscribers", pid, mib(rssBase))

	// Subscribe.
	nconns := (*subscribers + *perConn - 1) / *perConn
	conns := make([]*wsConn, nconns)
	t0 := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, *parallel)
	var failed atomic.Int64
	var firstErr atomic.Value
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n := min(*perConn, *subscribers-i**perConn)
			c, err := connect(ctx, base, i, n, i%*users+1)
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d connections failed, first: %v", n, firstErr.Load())
	}
	var subs []*subscriber
	for _, c := range conns {
		subs = append(subs, c.subs...)
	}
	log.Printf("%d subscribers on %d connections (%d users) have their first result after %v", len(subs), nconns, *users, time.Since(t0).Round(time.Millisecond))
	defer func() {
		for _, c := range conns {
			c.ws.CloseNow()
		}
	}()

	// Idle: memory and the CPU of polls that change nothing.
	time.Sleep(*idle)
	rssIdle := rss(pid)
	if *memProfile != "" {
		runtime.GC()
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		pprof.WriteHeapProfile(f)
		f.Close()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		log.Printf("heap in use %.1f MiB, stacks %.1f MiB, goroutines %d", mib(int64(ms.HeapInuse)), mib(int64(ms.StackInuse)), runtime.NumGoroutine())
	}
	cpu0 := cpuTime(pid)
	idleWindow := *idle
	time.Sleep(idleWindow)
	cpuIdle := cpuTime(pid) - cpu0
	polls := float64(idleWindow) / float64(*refetch)
	log.Printf("idle: RSS %.1f MiB; CPU %.1f ms per poll cycle (%v over %.0f polls)", mib(rssIdle), ms(cpuIdle)/polls, cpuIdle, polls)

	// Broadcast inserts.
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var read, arrival latencies
	var cpuChange []time.Duration
	for r := range *rounds {
		// Spread the inserts over the poll phase.
		time.Sleep(*refetch + time.Duration(r)*(*refetch)/time.Duration(*rounds) + 137*time.Millisecond)
		for _, s := range subs {
			s.reset()
		}
		c0, self0 := cpuTime(pid), cpuTime(os.Getpid())
		commit, err := insert(ctx, base, fmt.Sprintf("broadcast %d", r))
		if err != nil {
			return err
		}
		deadline := time.Now().Add(*refetch + 30*time.Second)
		var roundRead, roundArrival latencies
		for _, s := range subs {
			at, arrived, ok := s.wait(time.Until(deadline))
			if !ok {
				return fmt.Errorf("round %d: subscriber %d got no update", r, s.n)
			}
			roundRead.add(at.Sub(commit))
			roundArrival.add(arrived.Sub(commit))
		}
		read.add(roundRead...)
		arrival.add(roundArrival...)
		// The window from the insert to the last delivery holds the one
		// poll that found the change, and its fan-out.
		cpuChange = append(cpuChange, cpuTime(pid)-c0)
		log.Printf("round %d: all %d updates arrived %v to %v after the insert, read %v to %v (CPU: graft %v, this load generator %v)",
			r, len(subs), roundArrival.min(), roundArrival.max(), roundRead.min(), roundRead.max(), cpuChange[len(cpuChange)-1], cpuTime(os.Getpid())-self0)
	}
	var cpuSum time.Duration
	for _, c := range cpuChange {
		cpuSum += c
	}
	perSub := float64(rssIdle-rssBase) / float64(len(subs))
	fmt.Printf(`
graft-subbench: %d live-query subscribers on %d websocket connections (graphql-transport-ws), %d users, refetch %v, %d broadcast inserts
delivery latency from the insert (target p99 <= refetch + 100ms = %v), %d deliveries:
  arrival at the client's socket: %v
  read by this load generator:    %v
graft RSS: %.1f MiB before subscribers, %.1f MiB with them idle: %.1f KiB per idle subscriber (target <= 20 KB = 19.5 KiB)
graft CPU: %.1f ms per idle poll cycle (%d cohorts, no change), %.1f ms per refresh that changes every result
`, len(subs), nconns, *users, *refetch, *rounds, *refetch+100*time.Millisecond, len(read),
		arrival.summary(), read.summary(),
		mib(rssBase), mib(rssIdle), perSub/1024,
		ms(cpuIdle)/polls, *users, ms(cpuSum)/float64(len(cpuChange)))
	return nil
}

// startProcess builds (unless -graft) and starts graft in a process of its
// own.
func startProcess(ctx context.Context, tmp string, env []string) (int, func(), error) {
	bin := *graftBin
	if bin == "" {
		bin = filepath.Join(tmp, "graft")
		log.Printf("building graft")
		b := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/graft")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return 0, nil, fmt.Errorf("go build: %w", err)
		}
	}
	g := exec.Command(bin, "serve")
	g.Env = append(os.Environ(), env...)
	g.Stdout, g.Stderr = os.Stderr, os.Stderr
	if err := g.Start(); err != nil {
		return 0, nil, fmt.Errorf("start graft: %w", err)
	}
	return g.Process.Pid, func() {
		g.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { g.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			g.Process.Kill()
		}
	}, nil
}

// startInProcess runs graft inside this process (for -cpuprofile).
func startInProcess(ctx context.Context, env []string) (func(), error) {
	vars := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	getenv := func(k string) string { return vars[k] }
	cfg, err := config.Load(getenv, []string{"serve"})
	if err != nil {
		return nil, err
	}
	a, err := app.New(ctx, cfg, app.Options{Getenv: getenv, Version: "subbench"})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(rctx)
	}()
	return func() { cancel(); <-done }, nil
}

// database returns the URL of a fresh database and its cleanup.
func database(ctx context.Context, tmp string) (string, func(), error) {
	name := fmt.Sprintf("graft_subbench_%d", os.Getpid())
	if *dbURL == "" {
		log.Printf("starting a private PostgreSQL")
		c, err := pglocal.Start(ctx, pglocal.Options{DataDir: filepath.Join(tmp, "pg"), Ephemeral: true,
			Settings: map[string]string{"max_connections": "200"}})
		if err != nil {
			return "", nil, err
		}
		if err := createDB(ctx, c.URL("postgres"), name); err != nil {
			c.Stop()
			return "", nil, err
		}
		return c.URL(name), func() { c.Stop() }, nil
	}
	if err := createDB(ctx, *dbURL, name); err != nil {
		return "", nil, err
	}
	u := *dbURL
	if i := strings.LastIndex(u, "/"); i > len("postgres://") {
		rest := ""
		if q := strings.Index(u[i:], "?"); q >= 0 {
			rest = u[i+q:]
		}
		u = u[:i+1] + name + rest
	}
	return u, func() {
		c, err := pgx.Connect(context.Background(), *dbURL)
		if err == nil {
			c.Exec(context.Background(), `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`)
			c.Close(context.Background())
		}
	}, nil
}

func createDB(ctx context.Context, admin, name string) error {
	c, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, `CREATE DATABASE "`+name+`"`)
	return err
}

func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("graft did not become healthy")
}

func post(ctx context.Context, url, body string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("POST %s: %d %s", url, res.StatusCode, b)
	}
	return b, nil
}

func runSQL(ctx context.Context, base, sql string) error {
	b, _ := json.Marshal(map[string]any{"type": "run_sql", "args": map[string]any{"sql": sql}})
	_, err := post(ctx, base+"/v2/query", string(b))
	return err
}

func setup(ctx context.Context, base string) error {
	err := runSQL(ctx, base, fmt.Sprintf(`
CREATE TABLE message (id bigserial PRIMARY KEY, user_id int, body text NOT NULL);
CREATE INDEX message_user ON message (user_id, id);
INSERT INTO message (user_id, body) SELECT 1 + i %% %d, 'm' || i FROM generate_series(1, %d) i;
INSERT INTO message (user_id, body) VALUES (NULL, 'welcome');
ANALYZE message;`, *users, *users*10))
	if err != nil {
		return err
	}
	_, err = post(ctx, base+"/v1/metadata", `{"type":"bulk","args":[
 {"type":"pg_track_table","args":{"source":"default","table":"message"}},
 {"type":"pg_create_select_permission","args":{"source":"default","table":"message","role":"user","permission":{
   "columns":["id","user_id","body"],
   "filter":{"_or":[{"user_id":{"_eq":"X-Hasura-User-Id"}},{"user_id":{"_is_null":true}}]}}}}]}`)
	return err
}

// insert adds a broadcast message. It returns when it sent the request:
// latencies count from there (an upper bound; the commit is a little
// later).
func insert(ctx context.Context, base, body string) (time.Time, error) {
	t := time.Now()
	if *viaGraphQL {
		b, _ := json.Marshal(map[string]any{
			"query":     `mutation ($body: String!) { insert_message_one(object: {body: $body}) { id } }`,
			"variables": map[string]any{"body": body},
		})
		out, err := post(ctx, base+"/v1/graphql", string(b))
		if err == nil && bytes.Contains(out, []byte(`"errors"`)) {
			err = fmt.Errorf("insert: %s", out)
		}
		return t, err
	}
	err := runSQL(ctx, base, `INSERT INTO message (user_id, body) VALUES (NULL, '`+body+`')`)
	return t, err
}

const query = `subscription { message(order_by: {id: desc}, limit: 5) { id user_id body } }`

// wsConn is one websocket connection with its subscriptions (ids 1..n).
type wsConn struct {
	ws   *websocket.Conn
	rx   *rxConn
	subs []*subscriber
}

// subscriber is one live query.
type subscriber struct {
	n int

	mu      sync.Mutex
	last    time.Time // guarded by mu: when the latest result was read
	arrived time.Time // guarded by mu: when the latest result reached the socket (Note [arrival time])
	seq     int       // guarded by mu: results received
	waitAt  int       // guarded by mu: results received at the last reset
	signal  chan struct{}
}

func connect(ctx context.Context, base string, n, subscriptions, user int) (*wsConn, error) {
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var rx *rxConn
	c, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: rxClient(func(c *rxConn) { rx = c })})
	if err != nil {
		return nil, err
	}
	if rx == nil {
		return nil, errors.New("no receive-time connection")
	}
	c.SetReadLimit(1 << 20)
	init := fmt.Sprintf(`{"type":"connection_init","payload":{"headers":{"x-hasura-admin-secret":%q,"x-hasura-role":"user","x-hasura-user-id":"%d"}}}`, adminSecret, user)
	if err := c.Write(dctx, websocket.MessageText, []byte(init)); err != nil {
		return nil, err
	}
	wc := &wsConn{ws: c, rx: rx}
	for i := range subscriptions {
		wc.subs = append(wc.subs, &subscriber{n: n*subscriptions + i, signal: make(chan struct{}, 1)})
		sub := fmt.Sprintf(`{"type":"subscribe","id":"%d","payload":{"query":%q}}`, i+1, query)
		if err := c.Write(dctx, websocket.MessageText, []byte(sub)); err != nil {
			return nil, err
		}
	}
	first := make(chan error, 1)
	go wc.read(first)
	select {
	case err := <-first:
		if err != nil {
			return nil, err
		}
	case <-dctx.Done():
		return nil, fmt.Errorf("connection %d: no first results: %w", n, dctx.Err())
	}
	return wc, nil
}

// read records the arrival of each result; first gets nil once every
// subscription had one.
func (c *wsConn) read(first chan<- error) {
	pending := len(c.subs)
	// The load generator shares the machine's two cores with graft: read
	// into one buffer per connection, without allocating per message.
	buf := make([]byte, 64<<10)
	for {
		_, r, err := c.ws.Reader(context.Background())
		var n int
		if err == nil {
			n, err = io.ReadFull(r, buf)
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				err = nil
			}
		}
		if err != nil {
			if pending > 0 {
				first <- err
			}
			return
		}
		now := time.Now()
		data := buf[:n]
		msg := string(data[:min(len(data), 40)])
		switch {
		case strings.HasPrefix(msg, `{"type":"next","id":"`):
		case strings.HasPrefix(msg, `{"type":"error"`) && pending > 0:
			first <- fmt.Errorf("%s", data)
			return
		default:
			continue // ack, keep-alive pings
		}
		rest := msg[len(`{"type":"next","id":"`):]
		id, _ := strconv.Atoi(rest[:strings.IndexByte(rest, '"')])
		if id < 1 || id > len(c.subs) {
			continue
		}
		s := c.subs[id-1]
		s.mu.Lock()
		s.last, s.arrived, s.seq = now, c.rx.arrived(), s.seq+1
		firstResult := s.seq == 1
		s.mu.Unlock()
		if firstResult {
			if pending--; pending == 0 {
				first <- nil
			}
			continue
		}
		select {
		case s.signal <- struct{}{}:
		default:
		}
	}
}

func (s *subscriber) reset() {
	s.mu.Lock()
	s.waitAt = s.seq
	s.mu.Unlock()
	select {
	case <-s.signal:
	default:
	}
}

// wait returns when the next result after reset was read and when it
// reached the socket.
func (s *subscriber) wait(d time.Duration) (read, arrived time.Time, ok bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		s.mu.Lock()
		if s.seq > s.waitAt {
			read, arrived = s.last, s.arrived
			s.mu.Unlock()
			return read, arrived, true
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-t.C:
			return time.Time{}, time.Time{}, false
		}
	}
}

// rss is the resident set size of process pid, in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// cpuTime is the user+system CPU time process pid has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// Fields after the command: state is f[0]; utime, stime are fields 14
	// and 15 of the line, f[11] and f[12] here.
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func mib(b int64) float64        { return float64(b) / (1 << 20) }
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencies are delivery latencies.
type latencies []time.Duration

func (l *latencies) add(d ...time.Duration) { *l = append(*l, d...) }

func (l latencies) min() time.Duration { return slices.Min(l).Round(time.Millisecond) }
func (l latencies) max() time.Duration { return slices.Max(l).Round(time.Millisecond) }

// summary is "p50 .. p90 .. p99 .. max ..".
func (l latencies) summary() string {
	s := slices.Clone(l)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))].Round(time.Millisecond) }
	return fmt.Sprintf("p50 %v   p90 %v   p99 %v   max %v", pct(0.5), pct(0.9), pct(0.99), s[len(s)-1].Round(time.Millisecond))
}
