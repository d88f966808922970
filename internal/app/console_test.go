package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/graftql/graft/internal/pgtest"
)

func TestApp_Console(t *testing.T) {
	db := pgtest.New(t, schemaSQL)
	assets := t.TempDir()
	if err := os.WriteFile(filepath.Join(assets, "index.html"), []byte("<title>console from a folder</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("AssetsDir", func(t *testing.T) {
		cfg := testConfig()
		cfg.DatabaseURL = db.URL
		cfg.EnableConsole = true
		cfg.ConsoleAssetsDir = assets
		r := start(t, cfg, nil)
		for _, p := range []string{"/console", "/console/", "/console/data/public/author/browse"} {
			if status, body := get(t, r.url+p); status != 200 || !strings.Contains(body, "console from a folder") {
				t.Errorf("GET %s = %d %q, want 200 and the folder's index.html", p, status, body)
			}
		}
		resp, err := noRedirect.Get(r.url + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc, _ := resp.Location(); resp.StatusCode != http.StatusTemporaryRedirect || loc == nil || loc.Path != "/console" {
			t.Errorf("GET / = %d to %v, want 307 to /console", resp.StatusCode, loc)
		}
	})
	t.Run("Disabled", func(t *testing.T) {
		cfg := testConfig()
		cfg.DatabaseURL = db.URL
		cfg.ConsoleAssetsDir = assets
		r := start(t, cfg, nil)
		for _, p := range []string{"/console", "/"} {
			if status, body := get(t, r.url+p); status != 404 || strings.Contains(body, "console from a folder") {
				t.Errorf("GET %s = %d %q, want 404 with the console off", p, status, body)
			}
		}
	})
}
