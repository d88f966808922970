package nhost_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graftql/graft/internal/app"
	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pgtest"
)

const adminSecret = "nhost-test-secret"

// schemaSQL is an app table whose rows belong to sign-in users.
const schemaSQL = `CREATE TABLE note (id serial PRIMARY KEY, user_id uuid NOT NULL, body text NOT NULL);`

const metadataSetup = `{"type":"bulk","args":[
 {"type":"pg_track_table","args":{"source":"default","table":"note"}},
 {"type":"pg_create_select_permission","args":{"source":"default","table":"note","role":"user",
  "permission":{"columns":["id","user_id","body"],"filter":{"user_id":{"_eq":"X-Hasura-User-Id"}}}}}
]}`

// grace is the refresh grace window of the run, short so that the test
// sees it end.
const grace = 2 * time.Second

func TestNhostClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the Nhost client tests: %v", err)
	}
	for _, pkg := range []string{"@nhost/nhost-js", "nhost-js-v3", "jsqr", "pngjs"} {
		if _, err := os.Stat(filepath.Join("node_modules", pkg, "package.json")); err != nil {
			t.Fatalf("the npm clients are not installed: run `npm ci` in test/nhost (scripts/test.sh does): %v", err)
		}
	}
	db := pgtest.New(t, schemaSQL)
	cfg := config.DefaultConfig()
	cfg.ServerHost, cfg.ServerPort = "127.0.0.1", 0
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = adminSecret
	cfg.GracefulShutdownTimeout = 5 * time.Second
	// signin.md §13: GRAFT_AUTH_ENABLED, anonymous users, no SMTP, no JWT
	// configuration; plus TOTP for the MFA test, a short grace window,
	// and more sign-ins per IP than the default 10 per 5 minutes, since
	// every test signs in from 127.0.0.1.
	cfg.AuthEnabled = true
	cfg.SignIn.AnonymousUsersEnabled = true
	cfg.SignIn.MFAEnabled = true
	cfg.SignIn.RefreshGrace = grace
	cfg.SignIn.RateLimitBruteForce.Burst = 100
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, app.Options{Version: "v2.0.0-test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	url := "http://" + a.Addr().String()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/metadata", strings.NewReader(metadataSetup))
	req.Header.Set("X-Hasura-Admin-Secret", adminSecret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("metadata setup: %d %s", res.StatusCode, body)
	}

	tctx, tcancel := context.WithTimeout(ctx, 2*time.Minute)
	defer tcancel()
	cmd := exec.CommandContext(tctx, node, "--test", "--test-force-exit", "--test-reporter=spec", "clients.test.mjs")
	cmd.Env = append(os.Environ(),
		"GRAFT_URL="+url,
		"GRAFT_ADMIN_SECRET="+adminSecret,
		"GRAFT_GRACE_MS="+strconv.FormatInt(grace.Milliseconds(), 10),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("node --test clients.test.mjs:\n%s", out.String())
	if err != nil {
		t.Fatalf("the Nhost client tests failed: %v", err)
	}
}
