// Command compat runs Hasura's own test cases (the hasura-compat runner in
// ../shared) against a freshly started graft and fails when a suite passes
// fewer cases than the floor recorded in scripts/compat-floors.
//
// It builds graft and the runner, starts a throwaway PostgreSQL (package
// pglocal) and, for each suite, a graft on an empty database of its own,
// configured as Hasura's CI configures its test server
// (hasura/graphql-engine: .circleci/test-server.sh, the admin-secret run).
// Besides Hasura's YAML suites it runs the runner's JWT suite once per
// JWT config preset ("jwt-<preset>", HS256), and with an RSA and an EC key
// ("jwt-rs512", "jwt-es256"), and the auth webhook classes in GET and POST
// mode ("webhook-get", "webhook-post"), the allow-list class with the allow
// list on ("allowlist"), and the function classes that need inferred
// function permissions off ("function-permissions"), each against a graft
// configured for it. The suites run in parallel; each one's full output and graft's
// log go to the -out directory. Run it from the repository root:
//
//	go run ./test/compat                     # as scripts/test.sh does
//	go run ./test/compat -suites graphql_query -out /tmp/compat
//
// Raise a floor when a suite passes more; never lower one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/graftql/graft/internal/pglocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "compat: %v\n", err)
		os.Exit(1)
	}
}

// engineEnv is the environment of graft under test, beyond the database
// URL, port and admin secret: what Hasura's CI exports before starting its
// test server (.circleci/test-server.sh).
var engineEnv = []string{
	"HASURA_GRAPHQL_STRINGIFY_NUMERIC_TYPES=true",
	"HASURA_GRAPHQL_EXPERIMENTAL_FEATURES=streaming_subscriptions",
	"EVENT_WEBHOOK_HEADER=MyEnvValue",
	"HASURA_GRAPHQL_LOG_LEVEL=warn",
}

type options struct {
	shared  string // the shared folder: hasura-compat and hasura-tests
	floors  string
	suites  []string
	out     string
	timeout time.Duration
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compat", flag.ContinueOnError)
	var o options
	var suites string
	fs.StringVar(&o.shared, "shared", "../shared", "the shared folder holding hasura-compat and hasura-tests")
	fs.StringVar(&o.floors, "floors", "scripts/compat-floors", "file of minimum pass counts, one \"suite count\" per line")
	fs.StringVar(&suites, "suites", "", "comma-separated suites to run (default: every suite in the floors file)")
	fs.StringVar(&o.out, "out", "results/compat", "directory for the runner's output and graft's logs")
	fs.DurationVar(&o.timeout, "timeout", 15*time.Minute, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	floors, err := readFloors(o.floors)
	if err != nil {
		return err
	}
	if suites == "" {
		for _, f := range floors {
			o.suites = append(o.suites, f.suite)
		}
	} else {
		o.suites = strings.Split(suites, ",")
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	results, err := runSuites(ctx, o)
	if err != nil {
		return err
	}
	return judge(stdout, results, floors)
}

// result is one suite's outcome, from the runner's last lines.
type result struct {
	suite                string
	passed, failed, warn int
	output               string // path of the runner's full output
}

func runSuites(ctx context.Context, o options) ([]result, error) {
	t0 := time.Now()
	tmp, err := os.MkdirTemp("", "graft-compat-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// Readable by user postgres when running as root (pglocal runs the
	// server as that user).
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	runnerDir, err := filepath.Abs(filepath.Join(o.shared, "hasura-compat"))
	if err != nil {
		return nil, err
	}
	testsDir, err := filepath.Abs(filepath.Join(o.shared, "hasura-tests"))
	if err != nil {
		return nil, err
	}
	graftBin, runnerBin := filepath.Join(tmp, "graft"), filepath.Join(tmp, "hasuracompat")

	// Build both programs while PostgreSQL starts.
	var cluster *pglocal.Cluster
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return goBuild(gctx, ".", graftBin, "./cmd/graft") })
	g.Go(func() error { return goBuild(gctx, runnerDir, runnerBin, ".") })
	g.Go(func() error {
		var err error
		cluster, err = pglocal.Start(gctx, pglocal.Options{
			DataDir:   filepath.Join(tmp, "pg"),
			Ephemeral: true,
			Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
			Settings:  map[string]string{"max_connections": "300"},
		})
		return err
	})
	err = g.Wait()
	if cluster != nil {
		defer cluster.Stop()
	}
	if err != nil {
		return nil, err
	}
	fmt.Printf("compat: built graft and the runner, started PostgreSQL on port %d (%.1fs)\n", cluster.Port, time.Since(t0).Seconds())

	keys, err := writeJWTKeys(tmp)
	if err != nil {
		return nil, err
	}
	template := ""
	if slices.ContainsFunc(o.suites, isAuthSuite) {
		if template, err = createAuthTemplate(ctx, cluster); err != nil {
			return nil, err
		}
	}
	results := make([]result, len(o.suites))
	g, gctx = errgroup.WithContext(ctx)
	// The two YAML suites are long and come first in the floors file; the
	// short auth suites share the remaining slots.
	g.SetLimit(maxParallelSuites)
	for i, suite := range o.suites {
		g.Go(func() error {
			spec, err := suiteSpecFor(suite, runnerBin, keys)
			if err != nil {
				return fmt.Errorf("suite %s: %w", suite, err)
			}
			if isAuthSuite(suite) {
				spec.template = template
			}
			r, err := runSuite(gctx, o, cluster, spec, graftBin, runnerBin, testsDir)
			if err != nil {
				return fmt.Errorf("suite %s: %w", suite, err)
			}
			results[i] = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	fmt.Printf("compat: ran %s in %.1fs\n", strings.Join(o.suites, ", "), time.Since(t0).Seconds())
	return results, nil
}

func goBuild(ctx context.Context, dir, out, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false", "-o", out, pkg)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s in %s: %w\n%s", pkg, dir, err, b)
	}
	return nil
}

// runSuite runs one suite against a graft of its own on a new database.
func runSuite(ctx context.Context, o options, cluster *pglocal.Cluster, spec suiteSpec, graftBin, runnerBin, testsDir string) (result, error) {
	suite := spec.name
	res := result{suite: suite, output: filepath.Join(o.out, suite+".txt")}
	db := "compat_" + strings.ReplaceAll(suite, "-", "_")
	if err := createDatabase(ctx, cluster.URL("postgres"), db, spec.template); err != nil {
		return res, err
	}
	port, err := pglocal.FreePort()
	if err != nil {
		return res, err
	}
	secret := randomSecret()
	base := "http://127.0.0.1:" + strconv.Itoa(port)

	logPath := filepath.Join(o.out, suite+".graft.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return res, err
	}
	defer logFile.Close()
	graft := exec.Command(graftBin, "serve")
	graft.Env = append(baseEnv(),
		"HASURA_GRAPHQL_DATABASE_URL="+cluster.URL(db),
		"HASURA_GRAPHQL_ADMIN_SECRET="+secret,
		"HASURA_GRAPHQL_SERVER_HOST=127.0.0.1",
		"HASURA_GRAPHQL_SERVER_PORT="+strconv.Itoa(port),
	)
	graft.Env = append(graft.Env, engineEnv...)
	var runnerArgs []string
	if spec.webhook {
		hookPort, err := pglocal.FreePort()
		if err != nil {
			return res, err
		}
		hookAddr := "127.0.0.1:" + strconv.Itoa(hookPort)
		graft.Env = append(graft.Env, "HASURA_GRAPHQL_AUTH_HOOK=http://"+hookAddr+"/")
		runnerArgs = append(runnerArgs, "-webhook-listen", hookAddr)
	}
	graft.Env = append(graft.Env, spec.graftEnv...)
	graft.Stdout, graft.Stderr = logFile, logFile
	graft.SysProcAttr = childAttr()
	if err := graft.Start(); err != nil {
		return res, fmt.Errorf("start graft: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- graft.Wait() }()
	defer func() {
		graft.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			graft.Process.Kill()
			<-exited
		}
	}()
	if err := waitHealthy(ctx, base, exited); err != nil {
		return res, fmt.Errorf("%w (graft's log: %s)\n%s", err, logPath, tailFile(logPath, 10))
	}

	outFile, err := os.Create(res.output)
	if err != nil {
		return res, err
	}
	defer outFile.Close()
	var tail tailBuffer
	runnerArgs = append(append([]string{"-url", base, "-admin-secret", secret, "-tests", testsDir}, spec.runnerArgs...), runnerArgs...)
	runner := exec.CommandContext(ctx, runnerBin, runnerArgs...)
	runner.Stdout = io.MultiWriter(outFile, &tail)
	runner.Stderr = io.MultiWriter(outFile, &tail)
	runErr := runner.Run()
	var ok bool
	res.passed, res.failed, res.warn, ok = parseSummary(tail.String())
	if !ok {
		return res, fmt.Errorf("runner ended without a summary (%v); its output: %s\n%s", runErr, res.output, tailFile(res.output, 10))
	}
	select {
	case err := <-exited:
		exited <- err
		return res, fmt.Errorf("graft exited during the run (%v); its log: %s\n%s", err, logPath, tailFile(logPath, 10))
	default:
	}
	return res, nil
}

// maxParallelSuites bounds the grafts running at once.
const maxParallelSuites = 6

// suiteSpec says how to run one suite: the runner's arguments besides the
// URL, secret and tests, and graft's settings besides the database, port
// and secret.
type suiteSpec struct {
	name       string
	runnerArgs []string
	graftEnv   []string
	// webhook starts the runner's auth webhook on a free port and points
	// graft's HASURA_GRAPHQL_AUTH_HOOK at it.
	webhook bool
	// template is the database the suite's database is copied from ("" for
	// an empty one).
	template string
}

// authTemplate is a database with the runner's PostGIS extensions already
// created: the short auth suites start from a copy of it, which saves each
// of them most of its run time.
const authTemplate = "compat_auth_template"

// createAuthTemplate creates authTemplate; it returns "" (no template)
// when the extensions cannot be created, so that the runner reports that.
func createAuthTemplate(ctx context.Context, cluster *pglocal.Cluster) (string, error) {
	if err := createDatabase(ctx, cluster.URL("postgres"), authTemplate, ""); err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, cluster.URL(authTemplate))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// The runner's postgis fixture (hasura-compat runner.go).
	_, err = conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis;
		CREATE EXTENSION IF NOT EXISTS postgis_topology;
		DO $$ BEGIN
			IF PostGIS_lib_version() LIKE '3.%' THEN CREATE EXTENSION IF NOT EXISTS postgis_raster; END IF;
		END $$;`)
	if err != nil {
		return "", nil
	}
	return authTemplate, nil
}

// isAuthSuite reports whether suite is one of the short JWT or webhook
// suites.
func isAuthSuite(suite string) bool {
	return strings.HasPrefix(suite, "jwt-") || strings.HasPrefix(suite, "webhook-")
}

// jwtPresets are the runner's JWT configurations (hasura-compat
// -jwt-preset), ports of the classes of Hasura's test_jwt.py.
var jwtPresets = []string{"basic", "cookie", "custom-header", "stringified", "namespace-root", "namespace-one-level",
	"namespace-two-levels", "namespace-special", "expiry-skew", "audience-single", "audience-list", "issuer"}

// jwtKeys are the PEM files of the private keys the JWT suites sign with.
type jwtKeys struct{ rsa, ec string }

// suiteSpecFor maps a suite name of the floors file to its spec:
// "jwt-<preset>" (HS256), "jwt-rs512" and "jwt-es256" (preset basic with
// the generated keys), "webhook-get", "webhook-post", or a YAML suite of
// the runner.
func suiteSpecFor(name, runnerBin string, keys jwtKeys) (suiteSpec, error) {
	spec := suiteSpec{name: name}
	var jwtArgs []string
	switch {
	case name == "jwt-rs512":
		jwtArgs = []string{"-jwt-preset", "basic", "-jwt-private-key", keys.rsa, "-jwt-alg", "RS512"}
	case name == "jwt-es256":
		jwtArgs = []string{"-jwt-preset", "basic", "-jwt-private-key", keys.ec, "-jwt-alg", "ES256"}
	case strings.HasPrefix(name, "jwt-"):
		preset := strings.TrimPrefix(name, "jwt-")
		if !slices.Contains(jwtPresets, preset) {
			return spec, fmt.Errorf("unknown JWT preset %q (have %s)", preset, strings.Join(jwtPresets, ", "))
		}
		jwtArgs = []string{"-jwt-preset", preset}
	case name == "allowlist":
		// Hasura's CI runs the allow-list class on a server started with
		// --enable-allowlist; the main query run cannot (admin is exempt,
		// but the role cases would be refused).
		spec.graftEnv = []string{"HASURA_GRAPHQL_ENABLE_ALLOWLIST=true"}
		spec.runnerArgs = []string{"-dir", "queries/graphql_query/allowlist"}
		return spec, nil
	case name == "function-permissions":
		// The function classes that need inferred function permissions off.
		spec.graftEnv = []string{"HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false"}
		spec.runnerArgs = []string{"-dir", "queries/graphql_query/functions/permissions/", "-dir", "queries/graphql_mutation/functions/",
			"-env", "HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS=false"}
		return spec, nil
	case name == "webhook-get" || name == "webhook-post":
		mode := strings.ToUpper(strings.TrimPrefix(name, "webhook-"))
		spec.webhook = true
		spec.graftEnv = []string{"HASURA_GRAPHQL_AUTH_HOOK_MODE=" + mode}
		spec.runnerArgs = []string{"-suite", "webhook", "-strict", "-env", "HASURA_GRAPHQL_AUTH_HOOK_MODE=" + mode}
		return spec, nil
	default:
		spec.runnerArgs = []string{"-suite", name}
		return spec, nil
	}
	out, err := exec.Command(runnerBin, append([]string{"-print-jwt-env"}, jwtArgs...)...).Output()
	if err != nil {
		return spec, fmt.Errorf("hasuracompat -print-jwt-env: %w", err)
	}
	spec.graftEnv = []string{"HASURA_GRAPHQL_JWT_SECRET=" + strings.TrimSpace(string(out))}
	// -strict: error codes and messages must be Hasura's, not only the
	// statuses.
	spec.runnerArgs = append([]string{"-suite", "jwt", "-strict"}, jwtArgs...)
	return spec, nil
}

// writeJWTKeys generates an RSA and a P-256 key for the JWT suites, as
// Hasura's test_jwt.py generates one per class.
func writeJWTKeys(dir string) (jwtKeys, error) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return jwtKeys{}, err
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return jwtKeys{}, err
	}
	keys := jwtKeys{rsa: filepath.Join(dir, "jwt-rsa.pem"), ec: filepath.Join(dir, "jwt-ec.pem")}
	for path, k := range map[string]any{keys.rsa: rk, keys.ec: ek} {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return jwtKeys{}, err
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return jwtKeys{}, err
		}
	}
	return keys, nil
}

// baseEnv is the environment handed down to graft: this process's,
// without any HASURA_GRAPHQL_ or GRAFT_ setting that would change the
// server under test.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HASURA_GRAPHQL_") || strings.HasPrefix(kv, "GRAFT_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// createDatabase creates db, as a copy of template unless that is "".
func createDatabase(ctx context.Context, adminURL, db, template string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	sql := "CREATE DATABASE " + pgx.Identifier{db}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("create database %s: %w", db, err)
	}
	return nil
}

func waitHealthy(ctx context.Context, base string, exited chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			exited <- err
			return fmt.Errorf("graft exited at startup: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("graft did not become healthy within 60s")
		}
	}
}

func randomSecret() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "compat-" + hex.EncodeToString(b)
}

// summaryRE matches the runner's last line; totalRE its TOTAL row
// (directory, pass, (warn), fail, skipped).
var (
	summaryRE = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed\s*$`)
	totalRE   = regexp.MustCompile(`(?m)^TOTAL\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)
)

// parseSummary reads the counts from the end of the runner's output.
func parseSummary(out string) (passed, failed, warn int, ok bool) {
	ms := summaryRE.FindAllStringSubmatch(out, -1)
	if len(ms) == 0 {
		return 0, 0, 0, false
	}
	m := ms[len(ms)-1]
	passed, _ = strconv.Atoi(m[1])
	failed, _ = strconv.Atoi(m[2])
	warn = -1 // no TOTAL row: unknown
	if ts := totalRE.FindAllStringSubmatch(out, -1); len(ts) > 0 {
		warn, _ = strconv.Atoi(ts[len(ts)-1][2])
	}
	return passed, failed, warn, true
}

// floor is the minimum pass count of a suite and, when maxWarn >= 0, the
// most cases that may pass only by the runner's leniency (PASS*: the error
// body differs from Hasura's).
type floor struct {
	suite   string
	min     int
	maxWarn int
}

// readFloors reads lines of "suite count [max-PASS*]"; # starts a comment.
func readFloors(path string) ([]floor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("floors: %w", err)
	}
	return parseFloors(path, b)
}

func parseFloors(path string, b []byte) ([]floor, error) {
	var fl []floor
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 && len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"suite count [max-PASS*]\", got %q", path, n, sc.Text())
		}
		counts := []int{0, -1}
		for i, c := range f[1:] {
			v, err := strconv.Atoi(c)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("%s:%d: %q is not a count", path, n, c)
			}
			counts[i] = v
		}
		if slices.ContainsFunc(fl, func(x floor) bool { return x.suite == f[0] }) {
			return nil, fmt.Errorf("%s:%d: suite %s listed twice", path, n, f[0])
		}
		fl = append(fl, floor{f[0], counts[0], counts[1]})
	}
	if len(fl) == 0 {
		return nil, fmt.Errorf("%s: no floors", path)
	}
	return fl, nil
}

// judge prints the per-suite table and fails when a suite is below its
// floor.
func judge(w io.Writer, results []result, floors []floor) error {
	var below, lenient []string
	fmt.Fprintf(w, "\n%-20s %7s %7s %7s %7s\n", "suite", "passed", "(PASS*)", "failed", "floor")
	for _, r := range results {
		min, maxWarn := -1, -1
		for _, f := range floors {
			if f.suite == r.suite {
				min, maxWarn = f.min, f.maxWarn
			}
		}
		note := ""
		switch {
		case min < 0:
			note = "no floor recorded"
		case r.passed < min:
			note = fmt.Sprintf("BELOW THE FLOOR by %d", min-r.passed)
			below = append(below, r.suite)
		case maxWarn >= 0 && r.warn < 0:
			note = "NO PASS* COUNT in the runner's output to hold to the ceiling"
			lenient = append(lenient, r.suite)
		case maxWarn >= 0 && r.warn > maxWarn:
			note = fmt.Sprintf("%d MORE ERROR BODIES DIFFER FROM HASURA'S than the %d allowed", r.warn-maxWarn, maxWarn)
			lenient = append(lenient, r.suite)
		case r.passed > min:
			note = fmt.Sprintf("raise the floor to %d", r.passed)
		case maxWarn >= 0 && r.warn < maxWarn:
			note = fmt.Sprintf("lower the PASS* ceiling to %d", r.warn)
		}
		fmt.Fprintf(w, "%-20s %7d %7s %7d %7s  %s\n", r.suite, r.passed, floorText(r.warn), r.failed, floorText(min), note)
	}
	for _, r := range results {
		fmt.Fprintf(w, "  %s: %s\n", r.suite, r.output)
	}
	var errs []string
	if len(below) > 0 {
		errs = append(errs, "conformance fell below the floor in "+strings.Join(below, ", "))
	}
	if len(lenient) > 0 {
		errs = append(errs, "more error bodies differ from Hasura's than the PASS* ceiling allows (or the count is missing) in "+strings.Join(lenient, ", "))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

func floorText(min int) string {
	if min < 0 {
		return "-"
	}
	return strconv.Itoa(min)
}

// tailBuffer keeps the last 64 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 64<<10; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
