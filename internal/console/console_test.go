package console

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

var built = fstest.MapFS{
	"index.html":            {Data: []byte(`<!doctype html><script src="/console/assets/app-1a2b.js"></script>`)},
	"assets/app-1a2b.js":    {Data: []byte(`console.log("graft")`)},
	"assets/app-3c4d.css":   {Data: []byte(`body{}`)},
	"assets/sub/deeper.svg": {Data: []byte(`<svg/>`)},
}

type reply struct {
	Status      int
	ContentType string
	Cache       string
	Body        string // a substring of the body
}

func serve(t *testing.T, h http.Handler, method, target string) (reply, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return reply{
		Status:      res.StatusCode,
		ContentType: res.Header.Get("Content-Type"),
		Cache:       res.Header.Get("Cache-Control"),
	}, string(body)
}

func TestHandler_ServeHTTP(t *testing.T) {
	index := reply{Status: 200, ContentType: "text/html; charset=utf-8", Cache: "no-cache", Body: "app-1a2b.js"}
	tests := []struct {
		name, method, target string
		want                 reply
	}{
		{"Root", "GET", "/console", index},
		{"RootSlash", "GET", "/console/", index},
		{"IndexFile", "GET", "/console/index.html", index},
		{"Route", "GET", "/console/data/public/author/browse", index},
		{"RouteWithDot", "GET", "/console/data/my.schema", index},
		{"Head", "HEAD", "/console/api", reply{Status: 200, ContentType: "text/html; charset=utf-8", Cache: "no-cache"}},
		{"Script", "GET", "/console/assets/app-1a2b.js",
			reply{Status: 200, ContentType: "text/javascript; charset=utf-8", Cache: "public, max-age=31536000, immutable", Body: `console.log("graft")`}},
		{"Stylesheet", "GET", "/console/assets/app-3c4d.css",
			reply{Status: 200, ContentType: "text/css; charset=utf-8", Cache: "public, max-age=31536000, immutable", Body: "body{}"}},
		{"Nested", "GET", "/console/assets/sub/deeper.svg",
			reply{Status: 200, ContentType: "image/svg+xml", Cache: "public, max-age=31536000, immutable", Body: "<svg/>"}},
		{"MissingAsset", "GET", "/console/assets/gone-9z.js", reply{Status: 404, ContentType: "text/plain; charset=utf-8", Body: "404 page not found"}},
		{"Directory", "GET", "/console/assets", index},
		{"DotDot", "GET", "/console/../../etc/passwd", index},
		{"OtherPrefix", "GET", "/consoles", reply{Status: 404, ContentType: "text/plain; charset=utf-8", Body: "404 page not found"}},
		{"Post", "POST", "/console/", reply{Status: 405, ContentType: "text/plain; charset=utf-8", Body: "method not allowed"}},
	}
	h := Handler(built)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := serve(t, h, tt.method, tt.target)
			if tt.want.Body != "" && strings.Contains(body, tt.want.Body) {
				got.Body = tt.want.Body
			} else if tt.want.Body != "" {
				got.Body = body
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s %s (-want +got):\n%s", tt.method, tt.target, diff)
			}
		})
	}
}

func TestHandler_NotBuilt(t *testing.T) {
	h := Handler(fstest.MapFS{})
	for _, target := range []string{"/console", "/console/", "/console/data/public/author/browse"} {
		t.Run(target, func(t *testing.T) {
			got, body := serve(t, h, "GET", target)
			want := reply{Status: 404, ContentType: "text/html; charset=utf-8", Cache: "no-cache"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", target, diff)
			}
			for _, s := range []string{"not built", "npm ci", "npm run build", "go build ./cmd/graft", "HASURA_GRAPHQL_CONSOLE_ASSETS_DIR"} {
				if !strings.Contains(body, s) {
					t.Errorf("GET %s: the page does not say %q:\n%s", target, s, body)
				}
			}
		})
	}
	if got, _ := serve(t, h, "GET", "/console/assets/app.js"); got.Status != 404 {
		t.Errorf("GET /console/assets/app.js = %d, want 404", got.Status)
	}
}

// TestFS checks the embedded tree. scripts/test.sh builds the console
// first, so there the tree must hold a built console; a plain go test
// without a build checks that the tree is empty but valid.
func TestFS(t *testing.T) {
	if _, err := fs.Stat(embedded, "dist/.gitkeep"); err != nil {
		t.Errorf("the placeholder dist/.gitkeep is not embedded: %v", err)
	}
	if !Built(FS) {
		t.Log("console not built: checking the page that says how to build it (npm run build in console/ embeds it)")
		if got, body := serve(t, Handler(FS), "GET", "/console/"); got.Status != 404 || !strings.Contains(body, "npm run build") {
			t.Errorf("GET /console/ without a build = %d:\n%s", got.Status, body)
		}
		return
	}
	if err := fstest.TestFS(FS, "index.html"); err != nil {
		t.Fatal(err)
	}
	index, err := fs.ReadFile(FS, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	// Every asset the page loads is embedded, under /console/.
	for _, ref := range assetRefs(string(index)) {
		name, ok := strings.CutPrefix(ref, Prefix+"/")
		if !ok {
			t.Errorf("index.html loads %q, outside %s/", ref, Prefix)
			continue
		}
		if _, err := fs.Stat(FS, name); err != nil {
			t.Errorf("index.html loads %q: %v", ref, err)
		}
	}
	if refs := assetRefs(string(index)); len(refs) == 0 {
		t.Errorf("index.html loads no assets:\n%s", index)
	}
}

// assetRefs returns the src= and href= values of a page that name assets.
func assetRefs(page string) []string {
	var refs []string
	for _, attr := range []string{`src="`, `href="`} {
		for rest := page; ; {
			i := strings.Index(rest, attr)
			if i < 0 {
				break
			}
			rest = rest[i+len(attr):]
			end := strings.IndexByte(rest, '"')
			if end < 0 {
				break
			}
			if v := rest[:end]; strings.Contains(v, "/assets/") {
				refs = append(refs, v)
			}
			rest = rest[end:]
		}
	}
	return refs
}
