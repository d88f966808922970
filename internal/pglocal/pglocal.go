// Package pglocal runs a private PostgreSQL cluster from the local
// installation: the demo database of a graft started without
// HASURA_GRAPHQL_DATABASE_URL, and the test server of package pgtest.
//
// [Start] creates the cluster with initdb when the data directory is new
// (UTF8, C locale, superuser "postgres", trust authentication) and reuses it
// otherwise. The server listens only on 127.0.0.1 and on a unix socket
// inside the data directory, so trust authentication admits no one but
// local users. Its log goes to postgres.log in the data directory; when
// startup fails, the error carries the tail of that log.
//
// PostgreSQL refuses to run as root. When graft runs as root, pglocal runs
// initdb and postgres as the unprivileged "postgres" user and gives the data
// directory to it (see [Start]).
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrNotFound means there is no local PostgreSQL installation.
	ErrNotFound = errors.New("no local PostgreSQL installation found")
	// ErrInUse means another postgres process runs in the data directory.
	ErrInUse = errors.New("data directory is in use")
)

// LogFile is the name of the server's log file inside the data directory.
const LogFile = "postgres.log"

// Superuser is the name of the cluster's superuser.
const Superuser = "postgres"

const (
	logKeyDataDir  = "data_dir"
	logKeyPort     = "port"
	logKeyDuration = "duration"
	logKeyPID      = "pid"
)

// Options configure [Start].
type Options struct {
	// DataDir is the cluster's data directory. It is created (with initdb)
	// when it does not exist or is empty, and reused otherwise. Required.
	DataDir string
	// Port is the TCP port on 127.0.0.1; 0 picks a free one.
	Port int
	// Logger receives progress messages; nil means slog.Default().
	Logger *slog.Logger
	// Installation is the PostgreSQL to run; the zero value means [Find].
	Installation Installation
	// Ephemeral trades durability for speed, for throwaway clusters such
	// as tests': initdb does not sync, and the server runs with fsync,
	// synchronous_commit and full_page_writes off. A crash of the machine
	// can corrupt an ephemeral cluster.
	Ephemeral bool
	// Settings are extra server settings, passed as -c name=value.
	Settings map[string]string
	// StartTimeout bounds initdb plus server startup; 0 means one minute.
	StartTimeout time.Duration
}

// Cluster is a running postgres server started by [Start].
type Cluster struct {
	// DataDir is the absolute data directory.
	DataDir string
	// Port is the TCP port on 127.0.0.1.
	Port int
	// PID is the postmaster's process id.
	PID int

	logger   *slog.Logger
	cmd      *exec.Cmd
	logFile  *os.File
	done     chan struct{} // closed when the process has exited
	waitErr  error         // set before done is closed
	stopOnce sync.Once
	stopErr  error
}

// URL returns a connection URL for database db as the superuser, over TCP.
func (c *Cluster) URL(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(Superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Done is closed when the server process has exited, whether by [Cluster.Stop]
// or not.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Stop shuts the server down (fast shutdown: open transactions are rolled
// back, then a checkpoint) and waits for it to exit. After 30 seconds it
// escalates to an immediate shutdown, then to SIGKILL. Stop may be called
// more than once; it returns the same result each time.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		defer c.logFile.Close()
		select {
		case <-c.done:
			c.stopErr = exitError(c.waitErr)
			return
		default:
		}
		start := time.Now()
		for _, step := range []struct {
			sig  os.Signal
			wait time.Duration
		}{{syscall.SIGINT, 30 * time.Second}, {syscall.SIGQUIT, 5 * time.Second}, {os.Kill, time.Minute}} {
			if err := c.cmd.Process.Signal(step.sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
				c.stopErr = fmt.Errorf("stop postgres (pid %d): %w", c.PID, err)
			}
			select {
			case <-c.done:
				c.logger.Info("postgres stopped", logKeyDataDir, c.DataDir, logKeyDuration, time.Since(start))
				if step.sig != syscall.SIGINT {
					c.stopErr = fmt.Errorf("postgres (pid %d) did not stop on SIGINT; sent %v", c.PID, step.sig)
				} else if c.stopErr == nil {
					c.stopErr = exitError(c.waitErr)
				}
				return
			case <-time.After(step.wait):
			}
		}
		c.stopErr = fmt.Errorf("postgres (pid %d) did not exit after SIGKILL", c.PID)
	})
	return c.stopErr
}

// exitError is nil for a clean exit and for the signals Stop sends.
func exitError(err error) error {
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) {
		return err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return nil
	}
	return fmt.Errorf("postgres exited: %w", err)
}

// Start starts a postgres server on opts.DataDir, creating the cluster
// first if the directory is new, and returns once the server accepts
// connections. The server runs until [Cluster.Stop], or until this process
// exits (on Linux the server is told to shut down when its parent dies).
//
// When the process runs as root, initdb and postgres run as the "postgres"
// user, and the data directory is given to that user. Every directory above
// the data directory must then be traversable by that user; if one is not,
// Start fails and names it.
//
// A postmaster.pid left by a server that was killed does not block the
// start; one whose server still runs makes Start fail with [ErrInUse].
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	if opts.DataDir == "" {
		return nil, errors.New("pglocal: no data directory given")
	}
	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	inst := opts.Installation
	if inst.Initdb == "" || inst.Postgres == "" {
		var err error
		if inst, err = Find(); err != nil {
			return nil, err
		}
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", opts.DataDir, err)
	}
	runAs, err := serverAccount()
	if err != nil {
		return nil, err
	}
	if runAs != nil {
		if err := os.MkdirAll(filepath.Dir(dataDir), 0o755); err != nil {
			return nil, fmt.Errorf("create parent of data directory: %w", err)
		}
		if err := runAs.checkReachable(dataDir); err != nil {
			return nil, err
		}
	}

	fresh, err := needsInit(dataDir)
	if err != nil {
		return nil, err
	}
	if fresh {
		t0 := time.Now()
		logger.Info("creating postgres cluster", logKeyDataDir, dataDir)
		if err := initCluster(ctx, inst, dataDir, runAs, opts.Ephemeral); err != nil {
			return nil, err
		}
		logger.Info("created postgres cluster", logKeyDataDir, dataDir, logKeyDuration, time.Since(t0))
	} else if runAs != nil {
		if err := runAs.own(dataDir); err != nil {
			return nil, err
		}
	}
	if err := clearStalePID(ctx, dataDir); err != nil {
		return nil, err
	}

	auto := opts.Port == 0
	shmemDeadline := time.Now().Add(staleWait)
	for attempt := 0; ; attempt++ {
		port := opts.Port
		if auto {
			if port, err = FreePort(); err != nil {
				return nil, fmt.Errorf("pick a port: %w", err)
			}
		}
		c, err := startServer(ctx, inst, dataDir, port, runAs, opts, logger)
		if err == nil {
			return c, nil
		}
		var se *startError
		if !errors.As(err, &se) {
			return nil, err
		}
		switch {
		case se.portTaken() && auto && attempt < 5:
			logger.Debug("postgres port taken, retrying", logKeyPort, port)
		case se.shmemInUse() && time.Now().Before(shmemDeadline):
			// The backends of a killed postmaster exit soon after it.
			logger.Debug("old postgres processes still hold shared memory, retrying", logKeyDataDir, dataDir)
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(100 * time.Millisecond):
			}
		default:
			return nil, err
		}
	}
}

// needsInit reports whether dataDir has no cluster yet. A directory that
// exists, is not empty and has no PG_VERSION is refused rather than
// overwritten.
func needsInit(dataDir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err == nil {
		return false, nil
	}
	entries, err := os.ReadDir(dataDir)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read data directory: %w", err)
	}
	if len(entries) > 0 {
		return false, fmt.Errorf("data directory %s is not empty and holds no PostgreSQL cluster (no PG_VERSION); "+
			"remove it or choose another directory", dataDir)
	}
	return true, nil
}

// initCluster runs initdb. When dataDir does not exist yet, initdb writes
// a sibling directory that is then renamed into place, so that an initdb
// killed half-way never leaves a data directory that looks complete. An
// existing empty directory (a volume mount point, a t.TempDir) cannot be
// replaced that way; initdb fills it directly.
func initCluster(ctx context.Context, inst Installation, dataDir string, runAs *account, ephemeral bool) error {
	target := dataDir
	_, err := os.Stat(dataDir)
	inPlace := err == nil
	if !inPlace {
		target = filepath.Join(filepath.Dir(dataDir), "."+filepath.Base(dataDir)+".initdb")
		if err := os.RemoveAll(target); err != nil {
			return fmt.Errorf("remove leftover of an earlier initdb: %w", err)
		}
		if err := os.Mkdir(target, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
	}
	// cleanup undoes a failed initdb.
	cleanup := func() {
		if !inPlace {
			os.RemoveAll(target)
			return
		}
		entries, _ := os.ReadDir(target)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(target, e.Name()))
		}
	}
	if runAs != nil {
		if err := runAs.own(target); err != nil {
			cleanup()
			return err
		}
	}
	args := []string{"-D", target, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, inst.Initdb, args...)
	cmd.SysProcAttr = sysProcAttr(runAs, false)
	if runAs != nil {
		cmd.Dir = "/"
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		cleanup()
		return fmt.Errorf("initdb %s: %w\n%s", dataDir, err, tail(out.Bytes(), 20))
	}
	if !inPlace {
		if err := os.Rename(target, dataDir); err != nil {
			cleanup()
			return fmt.Errorf("move new cluster into place: %w", err)
		}
	}
	return nil
}

// Running reports whether a postgres server runs in dataDir: its
// postmaster.pid names a live postgres process.
func Running(dataDir string) bool {
	pid, ok := postmasterPID(dataDir)
	return ok && isPostgresProcess(pid)
}

// postmasterPID reads the server's pid from dataDir/postmaster.pid.
func postmasterPID(dataDir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	return pid, err == nil && pid > 0
}

// clearStalePID removes a postmaster.pid (and the socket lock files) left by
// a server that no longer runs. PostgreSQL itself ignores a stale file only
// when its PID is free; in a container the PID is often reused by another
// process after a restart. A server still shutting down is given a few
// seconds to exit.
func clearStalePID(ctx context.Context, dataDir string) error {
	pidPath := filepath.Join(dataDir, "postmaster.pid")
	if _, err := os.Stat(pidPath); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if pid, ok := postmasterPID(dataDir); ok {
		for deadline := time.Now().Add(staleWait); isPostgresProcess(pid); {
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("%w: postgres (pid %d) is running in %s; stop it (kill -INT %d) or use another data directory",
					ErrInUse, pid, dataDir, pid)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := os.Remove(pidPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", pidPath, err)
	}
	locks, _ := filepath.Glob(filepath.Join(dataDir, ".s.PGSQL.*"))
	for _, l := range locks {
		os.Remove(l)
	}
	return nil
}

// staleWait is how long Start waits for a server found in the data
// directory to exit before it fails with ErrInUse.
var staleWait = 5 * time.Second

// startError is a failed server start with the tail of its log.
type startError struct {
	err     error
	logTail string
}

func (e *startError) Error() string { return e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

// portTaken reports whether the server could not listen on its port.
func (e *startError) portTaken() bool {
	return strings.Contains(e.logTail, "could not bind") || strings.Contains(e.logTail, "could not create any TCP/IP sockets")
}

// shmemInUse reports whether processes of an earlier server still run.
func (e *startError) shmemInUse() bool {
	return strings.Contains(e.logTail, "pre-existing shared memory block")
}

func startServer(ctx context.Context, inst Installation, dataDir string, port int, runAs *account, opts Options, logger *slog.Logger) (*Cluster, error) {
	logPath := filepath.Join(dataDir, LogFile)
	logFile, err := openLog(logPath, runAs)
	if err != nil {
		return nil, err
	}
	logStart, _ := logFile.Seek(0, io.SeekEnd)

	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": dataDir,
		"logging_collector":       "off",
	}
	// A unix socket path is limited to 107 bytes; past that, TCP only.
	if len(dataDir)+len("/.s.PGSQL.65535") > 100 {
		settings["unix_socket_directories"] = ""
	}
	if opts.Ephemeral {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	args := []string{"-D", dataDir, "-p", strconv.Itoa(port)}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}
	// Not CommandContext: the server must outlive ctx, which only bounds startup.
	cmd := exec.Command(inst.Postgres, args...)
	cmd.SysProcAttr = sysProcAttr(runAs, true)
	if runAs != nil {
		cmd.Dir = "/"
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	c := &Cluster{
		DataDir: dataDir,
		Port:    port,
		logger:  logger,
		cmd:     cmd,
		logFile: logFile,
		done:    make(chan struct{}),
	}
	t0 := time.Now()
	started := make(chan error, 1)
	go func() {
		// Note [parent death signal]: the kernel sends it when the thread
		// that forked the child exits, not the process. A locked thread
		// outlives the child, so only graft's exit triggers the signal.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.waitErr = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	c.PID = cmd.Process.Pid

	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		logTail := readTail(logPath, logStart, 20)
		return nil, &startError{
			err:     fmt.Errorf("start postgres on %s (port %d): %w\n%s:\n%s", dataDir, port, err, logPath, logTail),
			logTail: logTail,
		}
	}
	logger.Info("postgres started", logKeyDataDir, dataDir, logKeyPort, port, logKeyPID, c.PID, logKeyDuration, time.Since(t0))
	return c, nil
}

// waitReady polls until the server accepts a connection, exits, or ctx ends.
func (c *Cluster) waitReady(ctx context.Context) error {
	cfg, err := pgconn.ParseConfig(c.URL("postgres") + "&connect_timeout=2")
	if err != nil {
		return err
	}
	var last error
	for {
		conn, err := pgconn.ConnectConfig(ctx, cfg)
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		last = err
		select {
		case <-c.done:
			return fmt.Errorf("postgres exited during startup: %v", c.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections in time: %w", last)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// openLog opens the server log for appending, starting afresh when it has
// grown past 10 MB.
func openLog(path string, runAs *account) (*os.File, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if fi, err := os.Stat(path); err == nil && fi.Size() > 10<<20 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open postgres log: %w", err)
	}
	if runAs != nil {
		if err := runAs.chown(path); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// readTail returns the last n lines of the file written after offset.
func readTail(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	b, _ := io.ReadAll(io.LimitReader(f, 1<<20))
	return tail(b, n)
}

func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1. Another
// process may take it before it is bound (Start then retries); the
// harnesses that start graft next to a cluster use it too.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
