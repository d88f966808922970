package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/demo"
	"github.com/graftql/graft/internal/pglocal"
)

// Demo mode keeps everything in the data directory (GRAFT_DATA_DIR):
//
//	.graft/postgres/      the PostgreSQL cluster, reused on the next start
//	.graft/admin-secret   the generated admin secret (mode 0600)
const (
	demoClusterDir  = "postgres"
	demoSecretFile  = "admin-secret"
	demoSecretBytes = 16
)

// demoInfo is what the banner shows.
type demoInfo struct {
	dataDir    string
	logPath    string
	secretFile string // "" when the secret came from the environment
}

// startDemo starts the private PostgreSQL in the data directory and
// settles the admin secret.
func (a *App) startDemo(ctx context.Context) error {
	// Look first, so that a machine without PostgreSQL gets the advice and
	// no data directory.
	inst, err := pglocal.Find()
	if err != nil {
		return fmt.Errorf("demo mode (no HASURA_GRAPHQL_DATABASE_URL) needs a local PostgreSQL: %w", err)
	}
	dir, err := filepath.Abs(a.cfg.DataDir)
	if err != nil {
		return fmt.Errorf("GRAFT_DATA_DIR: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("GRAFT_DATA_DIR: %w", err)
	}
	// PostgreSQL runs as user postgres when graft runs as root, and must be
	// able to enter the directory whatever the umask.
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("GRAFT_DATA_DIR: %w", err)
	}
	a.demo = &demoInfo{dataDir: dir, logPath: filepath.Join(dir, demoClusterDir, pglocal.LogFile)}

	c, err := pglocal.Start(ctx, pglocal.Options{
		DataDir:      filepath.Join(dir, demoClusterDir),
		Logger:       a.log,
		Installation: inst,
	})
	if err != nil {
		return fmt.Errorf("demo mode: %w", err)
	}
	a.cluster = c
	a.cfg.DatabaseURL = c.URL("postgres")

	if len(a.cfg.AdminSecretList()) == 0 {
		secret, file, err := demoSecret(dir)
		if err != nil {
			return err
		}
		a.cfg.AdminSecret, a.demo.secretFile = secret, file
	}
	return nil
}

// demoSecret reads the admin secret kept in dir, creating it on the first
// start.
func demoSecret(dir string) (config.Secret, string, error) {
	path := filepath.Join(dir, demoSecretFile)
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) != "" {
		return config.Secret(strings.TrimSpace(string(b))), path, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", "", fmt.Errorf("read admin secret: %w", err)
	}
	raw := make([]byte, demoSecretBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("generate admin secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("save admin secret: %w", err)
	}
	return config.Secret(secret), path, nil
}

// loadDemoData creates the demo tables; demo.SQL does nothing when they
// exist.
func (a *App) loadDemoData(ctx context.Context) error {
	if _, err := a.sourcePool.Exec(ctx, demo.SQL); err != nil {
		return fmt.Errorf("demo mode: create the demo tables: %w", err)
	}
	return nil
}

// trackDemo applies the demo metadata when the metadata tracks no table
// yet, so that what the user changes later survives restarts.
func (a *App) trackDemo(ctx context.Context) error {
	out, err := a.meta.Metadata(ctx, []byte(`{"type":"export_metadata","args":{}}`))
	if err != nil {
		return fmt.Errorf("demo mode: export metadata: %w", err)
	}
	var md struct {
		Sources []struct {
			Tables []json.RawMessage `json:"tables"`
		} `json:"sources"`
	}
	if err := json.Unmarshal(out, &md); err != nil {
		return fmt.Errorf("demo mode: decode metadata: %w", err)
	}
	for _, s := range md.Sources {
		if len(s.Tables) > 0 {
			return nil
		}
	}
	if _, err := a.meta.Metadata(ctx, demo.Metadata()); err != nil {
		return fmt.Errorf("demo mode: track the demo tables: %w", err)
	}
	a.log.Info("tracked the demo tables")
	return nil
}

// printBanner tells the user where graft runs and how to query it.
func (a *App) printBanner() {
	base := a.URL()
	endpoint := base + "/v1/graphql"
	secretLine := string(a.cfg.AdminSecret)
	secretHeader := "x-hasura-admin-secret: " + string(a.cfg.AdminSecret)
	quote := "'"
	if a.demo.secretFile == "" {
		// Given in the environment: do not echo it.
		secretLine = "(from HASURA_GRAPHQL_ADMIN_SECRET)"
		secretHeader = "x-hasura-admin-secret: $HASURA_GRAPHQL_ADMIN_SECRET"
		quote = `"`
	} else {
		secretLine += "   (kept in " + a.demo.secretFile + ")"
	}
	body, _ := json.Marshal(map[string]string{"query": strings.Join(strings.Fields(demo.SampleQuery), " ")})

	var b strings.Builder
	fmt.Fprintf(&b, "\ngraft is serving the demo database\n\n")
	fmt.Fprintf(&b, "  GraphQL API   %s\n", endpoint)
	if a.signin != nil {
		fmt.Fprintf(&b, "  Sign-in API   %s/auth/v1   (Nhost Auth's API: @nhost/nhost-js authUrl)\n", base)
	}
	if a.cfg.EnableConsole {
		fmt.Fprintf(&b, "  Console       %s/console\n", base)
	}
	fmt.Fprintf(&b, "  Admin secret  %s\n", secretLine)
	fmt.Fprintf(&b, "  PostgreSQL    %s   (data in %s)\n\n", a.cfg.DatabaseURL, filepath.Join(a.demo.dataDir, demoClusterDir))
	fmt.Fprintf(&b, "Try a query:\n\n")
	fmt.Fprintf(&b, "  curl -s %s \\\n    -H %s%s%s \\\n    -d '%s'\n\n", endpoint, quote, secretHeader, quote,
		strings.ReplaceAll(string(body), "'", `'\''`))
	fmt.Fprintf(&b, "Press Ctrl-C to stop graft and its PostgreSQL.\n\n")
	fmt.Fprint(a.stdout, b.String())
}
