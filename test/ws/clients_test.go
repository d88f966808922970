package ws_test

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

const (
	adminSecret = "ws-test-secret"
	jwtKey      = "a-test-key-of-at-least-thirty-two-bytes"
)

const schemaSQL = `
CREATE TABLE message (id serial PRIMARY KEY, user_id int NOT NULL, body text NOT NULL);
INSERT INTO message (user_id, body) VALUES (1, 'a'), (1, 'b'), (2, 'c');
`

const metadataSetup = `{"type":"bulk","args":[
 {"type":"pg_track_table","args":{"source":"default","table":"message"}},
 {"type":"pg_create_select_permission","args":{"source":"default","table":"message","role":"user",
  "permission":{"columns":["id","user_id","body"],"filter":{"user_id":{"_eq":"X-Hasura-User-Id"}}}}}
]}`

func TestNPMClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed for the websocket client tests: %v", err)
	}
	if _, err := os.Stat(filepath.Join("node_modules", "graphql-ws", "package.json")); err != nil {
		t.Fatalf("the npm clients are not installed: run `npm ci` in test/ws (scripts/test.sh does): %v", err)
	}
	db := pgtest.New(t, schemaSQL)
	cfg := config.DefaultConfig()
	cfg.ServerHost, cfg.ServerPort = "127.0.0.1", 0
	cfg.DatabaseURL = db.URL
	cfg.AdminSecret = adminSecret
	cfg.JWTSecret = `{"type":"HS256","key":"` + jwtKey + `"}`
	cfg.GracefulShutdownTimeout = 5 * time.Second
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

	tctx, tcancel := context.WithTimeout(ctx, 90*time.Second)
	defer tcancel()
	// --test-force-exit: subscriptions-transport-ws leaves its keep-alive
	// interval running when the server closes the socket.
	cmd := exec.CommandContext(tctx, node, "--test", "--test-force-exit", "--test-reporter=spec", "clients.test.mjs")
	cmd.Env = append(os.Environ(),
		"GRAFT_URL="+url,
		"GRAFT_ADMIN_SECRET="+adminSecret,
		"GRAFT_JWT_KEY="+jwtKey,
		"GRAFT_REFETCH_MS="+strconv.FormatInt(cfg.LiveQueriesRefetchInterval.Milliseconds(), 10),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("node --test clients.test.mjs:\n%s", out.String())
	if err != nil {
		t.Fatalf("the npm client tests failed: %v", err)
	}
}
