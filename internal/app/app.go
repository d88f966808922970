// Package app assembles a graft server from a [config.Config]: the
// PostgreSQL pools, the metadata service, the GraphQL engine, the HTTP
// server and, in demo mode, a private PostgreSQL with the demo data set.
//
//	config.Config --New--> pools --> metaapi.Service.Start --> exec.Engine
//	              --> server.Server --> http.Server (listening)
//	App.Run: http.Server, metadata sync [, demo cluster watch] run together;
//	         the first to stop (or ctx) stops all, then pools and cluster close.
//
// With GRAFT_AUTH_ENABLED the sign-in service (package signin) migrates
// schema auth before the metadata loads, the authenticator trusts its key,
// its tables are tracked after the metadata loads, and it serves /auth/v1.
//
// main builds the Config and calls [New] then [App.Run]; tests do the same
// with port 0 and read [App.Addr], or serve [App.Handler] themselves.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/graftql/graft/internal/auth"
	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/metaapi"
	"github.com/graftql/graft/internal/pglocal"
	"github.com/graftql/graft/internal/schema"
	"github.com/graftql/graft/internal/signin"
	"github.com/graftql/graft/internal/subscription"
	"github.com/graftql/graft/internal/ws"
)

// Options are what [New] needs besides the Config.
type Options struct {
	// Getenv reads the environment variables that metadata refers to
	// (database_url.from_env); nil means none are set. main passes os.Getenv.
	Getenv func(string) string
	// Logger receives the server's logs; nil means JSON lines on Stdout at
	// the level of HASURA_GRAPHQL_LOG_LEVEL (see [NewLogger]).
	Logger *slog.Logger
	// Stdout receives the demo-mode banner; nil means io.Discard.
	Stdout io.Writer
	// Version is reported by /v1/version and /v1alpha1/config.
	Version string
}

// App is an assembled graft server. Create it with [New], then call
// [App.Run] once, or [App.Close] if it will never run.
type App struct {
	cfg    config.Config
	log    *slog.Logger
	stdout io.Writer

	cluster    *pglocal.Cluster // demo mode only
	metaPool   *pgxpool.Pool
	sourcePool *pgxpool.Pool
	meta       *metaapi.Service
	ws         *ws.Server // websockets and subscriptions
	auth       *auth.Service
	signin     *signin.Service // GRAFT_AUTH_ENABLED only
	handler    http.Handler
	httpServer *http.Server
	listener   net.Listener
	engine     *exec.Engine          // runs queries and mutations (queryEngine)
	subs       *subscription.Manager // live queries and streams
	demo       *demoInfo             // demo mode only
}

// Attribute keys of the app's log lines.
const (
	logKeyAddr    = "addr"
	logKeyURL     = "url"
	logKeyVersion = "version"
	logKeyError   = "error"
	logKeyTook    = "took"
	logKeySetting = "setting"
)

// metadataMaxConns bounds the metadata pool: the metadata service
// serializes writes and polls one row, so a few connections suffice.
const metadataMaxConns = 4

// New assembles graft from cfg: in demo mode it starts the private
// PostgreSQL and loads the demo data set; it connects to the databases,
// loads the metadata and binds the listening socket, so that a returned
// App serves as soon as [App.Run] is called. ctx bounds the startup only.
//
// An error names the setting at fault when there is one, as in
// "HASURA_GRAPHQL_DATABASE_URL: cannot connect: ...".
func New(ctx context.Context, cfg config.Config, opts Options) (_ *App, err error) {
	t0 := time.Now()
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = NewLogger(opts.Stdout, cfg.LogLevel)
	}
	if opts.Getenv == nil {
		opts.Getenv = func(string) string { return "" }
	}
	a := &App{cfg: cfg, log: opts.Logger, stdout: opts.Stdout}
	defer func() {
		if err != nil {
			a.Close()
		}
	}()

	if !cfg.AuthEnabled {
		// Without the sign-in service, a bad JWT config stops startup before
		// any database is touched; with it, authentication waits for the
		// service's key (startSignIn).
		if err := a.startAuth(ctx, nil); err != nil {
			return nil, err
		}
	}
	// Bind the HTTP port first: the demo's private PostgreSQL picks a free
	// port too, and must not take the one asked for.
	if err := a.bind(); err != nil {
		return nil, err
	}

	if cfg.DemoMode() {
		if err := a.startDemo(ctx); err != nil {
			return nil, err
		}
	}

	if a.cfg.DatabaseURL == "" {
		// The engine runs on the pool of HASURA_GRAPHQL_DATABASE_URL; a
		// source known only from the metadata is not served yet.
		return nil, errors.New("HASURA_GRAPHQL_DATABASE_URL: not set; graft needs it besides HASURA_GRAPHQL_METADATA_DATABASE_URL for now (it serves that database as source \"default\")")
	}
	dbURL, metaURL, metaSetting := a.cfg.DatabaseURL, a.cfg.DatabaseURL, "HASURA_GRAPHQL_DATABASE_URL"
	if a.cfg.MetadataDatabaseURL != "" {
		metaURL, metaSetting = a.cfg.MetadataDatabaseURL, "HASURA_GRAPHQL_METADATA_DATABASE_URL"
	}
	if a.sourcePool, err = a.openPool(dbURL, int32(cfg.PGConnections), "HASURA_GRAPHQL_DATABASE_URL"); err != nil {
		return nil, err
	}
	if a.metaPool, err = a.openPool(metaURL, metadataMaxConns, metaSetting); err != nil {
		return nil, err
	}
	if err := a.ping(ctx, a.metaPool, metaSetting); err != nil {
		return nil, err
	}
	if a.demo != nil {
		if err := a.loadDemoData(ctx); err != nil {
			return nil, err
		}
	}
	if cfg.AuthEnabled {
		if err := a.startSignIn(ctx, opts.Version); err != nil {
			return nil, err
		}
	}

	// The source "default" reads its URL from HASURA_GRAPHQL_DATABASE_URL,
	// as in Hasura; the URL may also have come from --database-url or demo
	// mode, so answer with the resolved value.
	getenv := func(name string) string {
		if name == "HASURA_GRAPHQL_DATABASE_URL" {
			return dbURL
		}
		return opts.Getenv(name)
	}
	a.meta = metaapi.New(metaapi.Options{
		MetadataPool: a.metaPool,
		SourcePool:   a.sourcePool,
		Schema: schema.Options{
			StringifyNumericTypes:    cfg.StringifyNumericTypes,
			InferFunctionPermissions: cfg.InferFunctionPermissions,
			NamingConvention:         cfg.DefaultNamingConvention,
			BooleanNullCollapse:      cfg.V1BooleanNullCollapse,
		},
		Logger:           a.log,
		Getenv:           getenv,
		SyncInterval:     cfg.SchemaSyncPollInterval,
		ExtensionsSchema: cfg.MetadataDatabaseExtensionsSchema,
		MaintenanceMode:  cfg.EnableMaintenanceMode,
	})
	if err := a.meta.Start(ctx); err != nil {
		return nil, fmt.Errorf("load metadata from %s: %w", metaSetting, err)
	}
	if err := a.applyProject(ctx); err != nil {
		return nil, err
	}
	if a.demo != nil {
		if err := a.trackDemo(ctx); err != nil {
			return nil, err
		}
	}
	if a.signin != nil {
		if err := a.signin.Track(ctx, a.meta.Metadata); err != nil {
			return nil, fmt.Errorf("GRAFT_AUTH_ENABLED: %w", err)
		}
	}

	a.handler = a.newServer(opts.Version).Handler()
	if err := a.listen(); err != nil {
		return nil, err
	}
	a.log.Info("graft ready", logKeyAddr, a.listener.Addr().String(), logKeyURL, a.URL(),
		logKeyVersion, opts.Version, logKeyTook, time.Since(t0))
	if a.demo != nil {
		a.printBanner()
	}
	return a, nil
}

// openPool configures a pool from the database URL and the pool settings.
// It does not connect.
func (a *App) openPool(url string, maxConns int32, setting string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx redacts the password in its message.
		return nil, fmt.Errorf("%s: %w", setting, err)
	}
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	if a.cfg.PGIdleTimeout > 0 {
		pc.MaxConnIdleTime = a.cfg.PGIdleTimeout
	}
	if a.cfg.PGConnLifetime > 0 {
		pc.MaxConnLifetime = a.cfg.PGConnLifetime
	} else {
		pc.MaxConnLifetime = 100 * 365 * 24 * time.Hour // 0 means never
	}
	rp := pc.ConnConfig.RuntimeParams
	// Note [jit off]: graft's statements are short, and PostgreSQL's JIT
	// compiles any plan whose cost estimate is high, which on json_agg over
	// a large table costs tens of milliseconds for nothing.
	if _, ok := rp["jit"]; !ok {
		rp["jit"] = "off"
	}
	if _, ok := rp["application_name"]; !ok {
		rp["application_name"] = "graft"
	}
	p, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", setting, err)
	}
	return p, nil
}

// ping connects once, retrying HASURA_GRAPHQL_NO_OF_RETRIES times a
// second apart, so that graft started together with its database waits
// for it briefly.
func (a *App) ping(ctx context.Context, p *pgxpool.Pool, setting string) error {
	var err error
	for attempt := 0; ; attempt++ {
		if err = p.Ping(ctx); err == nil {
			return nil
		}
		err = &oneLineError{err}
		if attempt >= a.cfg.PGRetries || ctx.Err() != nil {
			return fmt.Errorf("%s: cannot connect: %w", setting, err)
		}
		a.log.Warn("database not reachable, retrying", logKeySetting, setting, logKeyError, err.Error())
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: cannot connect: %w", setting, err)
		case <-time.After(time.Second):
		}
	}
}

// bind binds the HTTP socket: host "*" means every interface.
func (a *App) bind() error {
	host := a.cfg.ServerHost
	if host == "*" {
		host = ""
	}
	addr := net.JoinHostPort(host, strconv.Itoa(a.cfg.ServerPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("HASURA_GRAPHQL_SERVER_PORT: cannot listen on %s: %w", addr, err)
	}
	a.listener = ln
	return nil
}

// listen prepares the HTTP server on the bound socket.
func (a *App) listen() error {
	a.httpServer = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 30 * time.Second,
		// A whole request, body included, within two minutes, so that a
		// client trickling a body cannot hold its buffer forever
		// (websockets are hijacked, which clears the deadline).
		ReadTimeout:    2 * time.Minute,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: a.cfg.MaxTotalHeaderLength,
		ErrorLog:       slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	return nil
}

// Handler returns graft's HTTP handler, for tests that serve it themselves.
func (a *App) Handler() http.Handler { return a.handler }

// Addr returns the address the server listens on; with port 0 it holds
// the port the kernel picked.
func (a *App) Addr() net.Addr { return a.listener.Addr() }

// URL returns the server's base URL, such as "http://localhost:8080": for
// a wildcard host it names localhost.
func (a *App) URL() string {
	host := a.cfg.ServerHost
	port := strconv.Itoa(a.listener.Addr().(*net.TCPAddr).Port)
	switch host {
	case "*", "", "0.0.0.0", "::":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// component is one long-running part of the server: run blocks until the
// part stops; stop makes run return. Run returns when the first component
// stops, after stopping the others (prometheus cmd/prometheus/main.go,
// run.Group).
type component struct {
	name string
	run  func() error
	stop func()
}

// Run serves until ctx is done or a component fails, then shuts down
// gracefully (HASURA_GRAPHQL_GRACEFUL_SHUTDOWN_TIMEOUT), closes the pools
// and stops the demo cluster. It returns nil after a shutdown asked for by
// ctx.
func (a *App) Run(ctx context.Context) error {
	defer a.Close()
	var comps []component

	comps = append(comps, component{
		name: "http server",
		run: func() error {
			if err := a.httpServer.Serve(a.listener); !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("http server: %w", err)
			}
			return nil
		},
		stop: func() {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.GracefulShutdownTimeout)
			defer cancel()
			wsDone := a.shutdownWebSockets(sctx)
			if err := a.httpServer.Shutdown(sctx); err != nil {
				a.log.Warn("graceful shutdown cut short", logKeyError, err)
				a.httpServer.Close()
			}
			<-wsDone
		},
	})

	comps = append(comps, a.websocketComponent(ctx))

	if a.signin != nil {
		sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		comps = append(comps, component{
			name: "sign-in service",
			run:  func() error { return a.signin.Run(sctx) },
			stop: cancel,
		})
	}

	if a.cfg.SchemaSyncPollInterval > 0 {
		syncCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		comps = append(comps, component{
			name: "metadata sync",
			run:  func() error { return a.meta.Run(syncCtx) },
			stop: cancel,
		})
	}

	if a.cluster != nil {
		done := make(chan struct{})
		comps = append(comps, component{
			name: "postgres",
			run: func() error {
				select {
				case <-a.cluster.Done():
					return fmt.Errorf("postgres exited unexpectedly; see %s", a.demo.logPath)
				case <-done:
					return nil
				}
			},
			stop: func() { close(done) },
		})
	}

	g, gctx := errgroup.WithContext(ctx)
	for _, c := range comps {
		g.Go(func() error {
			err := c.run()
			if err == nil && gctx.Err() == nil {
				err = fmt.Errorf("%s stopped unexpectedly", c.name)
			}
			return err
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		a.log.Info("shutting down")
		for _, c := range comps {
			c.stop()
		}
		return nil
	})
	err := g.Wait()
	if err != nil {
		a.log.Error("graft stopped", logKeyError, err)
	}
	return err
}

// Close releases what New acquired: the listener, the pools and the demo
// cluster. Run calls it; call it directly only for an App that never runs.
// It may be called more than once.
func (a *App) Close() error {
	if a.listener != nil {
		a.listener.Close()
	}
	if a.meta != nil {
		a.meta.Close()
	}
	if a.auth != nil {
		a.auth.Close()
	}
	if a.sourcePool != nil {
		a.sourcePool.Close()
	}
	if a.metaPool != nil {
		a.metaPool.Close()
	}
	if a.cluster != nil {
		if err := a.cluster.Stop(); err != nil {
			a.log.Warn("stopping postgres", logKeyError, err)
			return err
		}
	}
	return nil
}

// oneLineError prints a multi-line error (pgx lists each address and TLS
// mode it tried on a line of its own) as one line, repeated lines once.
type oneLineError struct{ err error }

func (e *oneLineError) Error() string {
	var parts []string
	for _, l := range strings.Split(e.err.Error(), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !slices.Contains(parts, l) {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, " ")
}

func (e *oneLineError) Unwrap() error { return e.err }
