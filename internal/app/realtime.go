package app

import (
	"context"

	"github.com/graftql/graft/internal/exec"
	"github.com/graftql/graft/internal/introspect"
	"github.com/graftql/graft/internal/plan"
	"github.com/graftql/graft/internal/subscription"
	"github.com/graftql/graft/internal/ws"
)

// newWebSocket builds the websocket server and its subscription pollers
// from the configuration; the HTTP server routes upgrades to it.
func (a *App) newWebSocket() *ws.Server {
	cfg := &a.cfg
	a.subs = subscription.New(subscription.Options{
		Pool:            a.sourcePool,
		Snapshot:        a.meta.Snapshot,
		Logger:          a.log,
		LiveInterval:    cfg.LiveQueriesRefetchInterval,
		LiveBatchSize:   cfg.LiveQueriesBatchSize,
		StreamInterval:  cfg.StreamingQueriesRefetchInterval,
		StreamBatchSize: cfg.StreamingQueriesBatchSize,
		Allowlist:       cfg.EnableAllowlist,
	})
	a.ws = ws.New(ws.Options{
		Auth:                  a.auth,
		Engine:                a.queryEngine(),
		Subscriptions:         a.subs,
		Snapshot:              a.meta.Snapshot,
		Logger:                a.log,
		KeepAlive:             cfg.WebsocketKeepAlive,
		InitTimeout:           cfg.WebsocketConnectionInitTimeout,
		CloseOnMetadataChange: cfg.CloseWebsocketsOnMetadataChange,
		DropCookie:            cfg.DisableCORS && !cfg.WSReadCookie,
		Compression:           cfg.WebsocketCompression,
		DevMode:               cfg.DevMode,
		AdminInternalErrors:   cfg.AdminInternalErrors,
	})
	return a.ws
}

// queryEngine returns the engine that runs queries and mutations, over
// HTTP and websockets alike; a committed mutation makes the subscriptions
// that read its tables poll at once (Note [write-triggered polls]).
func (a *App) queryEngine() *exec.Engine {
	if a.engine == nil {
		a.engine = exec.New(exec.Options{
			Pool:       a.sourcePool,
			Logger:     a.log,
			Introspect: introspect.Execute,
			Allowlist:  a.cfg.EnableAllowlist,
			Committed: func(t plan.Tables) {
				if a.subs != nil {
					a.subs.Changed(t)
				}
			},
		})
	}
	return a.engine
}

// websocketComponent closes the websockets on metadata changes while the
// server runs.
func (a *App) websocketComponent(ctx context.Context) component {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return component{name: "websockets", run: func() error { return a.ws.Run(wctx) }, stop: cancel}
}

// shutdownWebSockets starts the websockets' graceful shutdown (close
// frames, pollers stopped) beside http.Server.Shutdown, which does not see
// hijacked connections; the returned channel closes when it is done.
func (a *App) shutdownWebSockets(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.ws.Shutdown(ctx); err != nil {
			a.log.Warn("websocket shutdown cut short", logKeyError, err)
		}
	}()
	return done
}
