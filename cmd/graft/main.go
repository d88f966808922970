// Command graft serves a GraphQL API for a PostgreSQL database, compatible
// with Hasura GraphQL Engine v2.
//
//	graft [serve] [flags]   serve (the default command)
//	graft serve --help      every flag and environment variable
//	graft version           print the version
//	graft metadata|migrate  work on a Hasura CLI project (graft metadata help)
//
// With no database configured, graft starts a private PostgreSQL from the
// local installation with a demo data set (see package app).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/graftql/graft/internal/app"
	"github.com/graftql/graft/internal/config"
)

// version is what /v1/version reports. Hasura's CLI and console read it as
// a Hasura v2 version; release builds set it with
// -ldflags "-X main.version=...".
var version = "v2.45.4-graft.dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is graft's main, with the process's environment passed in; it
// returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "version", "--version":
			fmt.Fprintf(stdout, "graft %s\n", version)
			return 0
		case "help":
			fmt.Fprint(stdout, config.Usage())
			return 0
		case "metadata", "migrate":
			return runProject(args, getenv, stdout, stderr)
		}
	}
	cfg, err := config.Load(getenv, args)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(stdout, config.Usage())
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "graft: %v\n", err)
		return 1
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, cfg, app.Options{Getenv: getenv, Stdout: stdout, Version: version})
	if err != nil {
		fmt.Fprintf(stderr, "graft: %v\n", err)
		return 1
	}
	go func() {
		// A second signal ends graft at once; the private PostgreSQL of
		// demo mode still stops, on its parent-death signal.
		<-ctx.Done()
		stop()
	}()
	if err := a.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "graft: %v\n", err)
		return 1
	}
	return 0
}
