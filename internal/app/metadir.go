package app

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/graftql/graft/internal/metadir"
)

// projectLockKey serializes applyProject across servers sharing a
// metadata database, so that replicas starting together apply each
// migration once.
const projectLockKey = 0x67726167 // "grag"

// Attribute keys of the project log lines.
const (
	logKeyDir       = "dir"
	logKeyMigration = "migration"
	logKeyDatabase  = "database"
	logKeyObjects   = "inconsistent_objects"
	logKeyApplied   = "applied"
)

// applyProject does at startup what Hasura's cli-migrations image does
// before it serves: it applies the pending migrations of
// HASURA_GRAPHQL_MIGRATIONS_DIR, then the metadata directory
// HASURA_GRAPHQL_METADATA_DIR, through the metadata service in-process.
// Migrations go first here, so that the metadata finds its tables; the
// metadata is sent only when it differs from the stored one, so a restart
// changes nothing. A directory that does not exist is skipped with a
// warning, as the image does; a failing migration stops startup.
func (a *App) applyProject(ctx context.Context) error {
	if a.cfg.MigrationsDir == "" && a.cfg.MetadataDir == "" {
		return nil
	}
	conn, err := a.metaPool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("apply project: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(projectLockKey)); err != nil {
		return fmt.Errorf("apply project: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(projectLockKey))

	c := metadir.Funcs{MetadataFunc: a.meta.Metadata, QueryFunc: a.meta.QueryV2}
	if d := a.cfg.MigrationsDir; d != "" {
		dir := metadir.MigrationsDir(d)
		if !isDir(dir) {
			a.log.Warn("migrations directory does not exist, skipping migrations", logKeyDir, dir)
		} else {
			applied, err := metadir.ApplyMigrations(ctx, c, dir, metadir.MigrateOptions{
				OnApplied: func(m metadir.Migration) {
					a.log.Info("migration applied", logKeyDatabase, m.Database, logKeyMigration, m.ID())
				},
			})
			if err != nil {
				return fmt.Errorf("HASURA_GRAPHQL_MIGRATIONS_DIR: %w", err)
			}
			a.log.Info("migrations up to date", logKeyDir, dir, logKeyApplied, len(applied))
		}
	}
	if d := a.cfg.MetadataDir; d != "" {
		dir := metadir.MetadataDir(d)
		if !isDir(dir) {
			a.log.Warn("metadata directory does not exist, skipping metadata", logKeyDir, dir)
			return nil
		}
		res, err := metadir.ApplyMetadata(ctx, c, dir, metadir.ApplyOptions{SkipUnchanged: true})
		if err != nil {
			return fmt.Errorf("HASURA_GRAPHQL_METADATA_DIR: %w", err)
		}
		if res.Applied {
			a.log.Info("metadata applied", logKeyDir, dir)
		}
		if len(res.InconsistentObjects) > 0 {
			objs, _ := json.Marshal(res.InconsistentObjects)
			a.log.Warn("metadata is inconsistent", logKeyObjects, string(objs))
		}
	}
	return nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
