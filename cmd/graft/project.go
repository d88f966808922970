package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/graftql/graft/internal/metadir"
)

// projectUsage is the help of the commands that work on a Hasura CLI
// project (package metadir).
const projectUsage = `Usage:
  graft metadata export --dir DIR   write the server's metadata as a Hasura CLI metadata directory
  graft metadata apply --dir DIR    replace the server's metadata with a metadata directory
  graft metadata reload             introspect the databases again
  graft migrate apply --dir DIR     apply the pending migrations (--database NAME: one database only)
  graft migrate status --dir DIR    list the migrations and whether they are applied

DIR is a Hasura CLI project (config.yaml, metadata/, migrations/), an Nhost
project (nhost/metadata, nhost/migrations), or the metadata or migrations
directory itself; default ".".

Flags:
  --endpoint URL        the graft (or Hasura) server (env HASURA_GRAPHQL_ENDPOINT; default http://localhost:8080)
  --admin-secret SECRET its admin secret (env HASURA_GRAPHQL_ADMIN_SECRET)
`

// runProject runs "graft metadata ..." and "graft migrate ..."; it returns
// the exit code.
func runProject(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "graft: %v\n", err)
		return 1
	}
	if len(args) < 2 || args[1] == "help" || args[1] == "-h" || args[1] == "--help" {
		fmt.Fprint(stdout, projectUsage)
		if len(args) < 2 {
			return 1
		}
		return 0
	}
	cmd := args[0] + " " + args[1]
	fs := flag.NewFlagSet("graft "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("dir", ".", "")
	endpoint := fs.String("endpoint", or(getenv("HASURA_GRAPHQL_ENDPOINT"), "http://localhost:8080"), "")
	secret := fs.String("admin-secret", getenv("HASURA_GRAPHQL_ADMIN_SECRET"), "")
	var databases stringList
	if args[0] == "migrate" {
		fs.Var(&databases, "database", "")
		fs.Var(&databases, "database-name", "") // the Hasura CLI's name
	}
	if err := fs.Parse(args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, projectUsage)
			return 0
		}
		return fail(fmt.Errorf("%s: %w (see graft %s help)", cmd, err, args[0]))
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("%s: unexpected argument %q (see graft %s help)", cmd, fs.Arg(0), args[0]))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &metadir.HTTPClient{Endpoint: *endpoint, AdminSecret: *secret}

	switch cmd {
	case "metadata export":
		md, err := metadir.ExportMetadata(ctx, c)
		if err != nil {
			return fail(err)
		}
		out := metadir.MetadataDir(*dir)
		if err := metadir.Write(out, md); err != nil {
			return fail(fmt.Errorf("write metadata: %w", err))
		}
		fmt.Fprintf(stdout, "metadata exported to %s\n", out)
	case "metadata apply":
		mdDir := metadir.MetadataDir(*dir)
		res, err := metadir.ApplyMetadata(ctx, c, mdDir, metadir.ApplyOptions{})
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "metadata applied from %s\n", mdDir)
		if len(res.InconsistentObjects) > 0 {
			fmt.Fprintf(stderr, "warning: metadata is inconsistent (%d objects):\n", len(res.InconsistentObjects))
			for _, o := range res.InconsistentObjects {
				fmt.Fprintf(stderr, "  %s\n", o)
			}
		}
	case "metadata reload":
		if err := metadir.ReloadMetadata(ctx, c); err != nil {
			return fail(err)
		}
		fmt.Fprintln(stdout, "metadata reloaded")
	case "migrate apply":
		migDir := metadir.MigrationsDir(*dir)
		applied, err := metadir.ApplyMigrations(ctx, c, migDir, metadir.MigrateOptions{
			Databases: databases,
			OnApplied: func(m metadir.Migration) { fmt.Fprintf(stdout, "applied %s on database %s\n", m.ID(), m.Database) },
		})
		if err != nil {
			return fail(err)
		}
		if len(applied) == 0 {
			fmt.Fprintln(stdout, "nothing to apply")
		}
	case "migrate status":
		if err := migrateStatus(ctx, c, metadir.MigrationsDir(*dir), databases, stdout); err != nil {
			return fail(err)
		}
	default:
		return fail(fmt.Errorf("unknown command %q (see graft %s help)", cmd, args[0]))
	}
	return 0
}

// migrateStatus prints a table per database, as `hasura migrate status`.
func migrateStatus(ctx context.Context, c metadir.Client, dir string, databases []string, w io.Writer) error {
	if len(databases) == 0 {
		all, err := metadir.Migrations(dir)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, m := range all {
			if !seen[m.Database] {
				seen[m.Database] = true
				databases = append(databases, m.Database)
			}
		}
		sort.Strings(databases)
	}
	for i, db := range databases {
		st, err := metadir.Status(ctx, c, dir, db)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "DATABASE %s\n", db)
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tSOURCE STATUS\tDATABASE STATUS")
		for _, s := range st {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, s.Name, presence(s.Present), appliedState(s))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func presence(ok bool) string {
	if ok {
		return "Present"
	}
	return "Not Present"
}

func appliedState(s metadir.MigrationStatus) string {
	switch {
	case s.Dirty:
		return "Dirty"
	case s.Applied:
		return "Present"
	}
	return "Not Present"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// stringList is a repeatable flag.
type stringList []string

// String is part of the flag.Value interface.
func (l *stringList) String() string { return strings.Join(*l, ",") }

// Set is part of the flag.Value interface.
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
