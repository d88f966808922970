// Package console serves graft's web console at /console: a single-page
// application (React and GraphiQL, built with Vite from the repository's
// console/ folder) whose built files are embedded in the binary.
//
//	console/ --npm run build--> internal/console/dist/console/ --go:embed--> [FS]
//	GET /console/assets/x.js   the file, cached for a year (names carry a hash)
//	GET /console/data/...      index.html: the application routes in the browser
//
// The built files are not committed. A binary built without them still
// compiles (dist/ holds a placeholder) and answers /console with a page
// that explains how to build them.
package console

import (
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// Prefix is the URL path the console is served under.
const Prefix = "/console"

// embedded holds dist/: the placeholder .gitkeep and, once built, the
// console in dist/console.
//
//go:embed all:dist
var embedded embed.FS

// FS is the built console embedded in the binary: index.html and assets/.
// It holds nothing when the binary was built without running the
// console's build first.
var FS fs.FS = builtFS()

func builtFS() fs.FS {
	if _, err := fs.Stat(embedded, "dist/console"); err != nil {
		return emptyFS{}
	}
	sub, err := fs.Sub(embedded, "dist/console")
	if err != nil {
		return emptyFS{} // fs.Sub fails only for an invalid path, a constant here
	}
	return sub
}

// emptyFS is a file system without files, not even a root directory.
type emptyFS struct{}

// Open is part of the fs.FS interface.
func (emptyFS) Open(name string) (fs.File, error) {
	return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// Built reports whether fsys holds a built console (an index.html).
func Built(fsys fs.FS) bool {
	_, err := fs.Stat(fsys, "index.html")
	return err == nil
}

// Handler serves the console from fsys for requests under [Prefix]: a file
// that exists is served as it is, a missing one under assets/ is a 404,
// and any other path is a route of the application and gets index.html. When fsys holds no
// index.html, every page explains how to build the console.
func Handler(fsys fs.FS) http.Handler {
	return &handler{fsys: fsys}
}

type handler struct {
	fsys fs.FS
}

// ServeHTTP is part of the http.Handler interface.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		http.NotFound(w, r)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+rest), "/")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if name != "" && name != "index.html" {
		err := h.serveFile(w, r, name)
		if err == nil {
			return
		}
		if !errors.Is(err, fs.ErrNotExist) {
			http.Error(w, "cannot read console file "+name, http.StatusInternalServerError)
			return
		}
		// A missing asset is a 404; any other path is a route of the
		// application (table names may contain dots).
		if strings.HasPrefix(name, "assets/") {
			http.NotFound(w, r)
			return
		}
	}
	if !Built(h.fsys) {
		notBuilt(w)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	if err := h.serveFile(w, r, "index.html"); err != nil {
		http.Error(w, "cannot read the console's index.html", http.StatusInternalServerError)
	}
}

// serveFile writes the named file of fsys; a directory counts as missing.
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) error {
	f, err := h.fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return fs.ErrNotExist
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		return errors.New("console file is not seekable")
	}
	if strings.HasPrefix(name, "assets/") {
		// Vite puts a content hash in every asset's name.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	// Embedded files have no modification time; ServeContent then sends
	// no Last-Modified.
	http.ServeContent(w, r, name, st.ModTime(), content)
	return nil
}

const notBuiltPage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>graft console: not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}
pre{background:#f3f4f6;padding:.75rem 1rem;border-radius:6px}</style></head>
<body>
<h1>The console is not built into this graft</h1>
<p>This binary was compiled without the console's web assets. They are built
from the <code>console/</code> folder of graft's repository with Node.js and npm:</p>
<pre>cd console
npm ci
npm run build
cd ..
go build ./cmd/graft</pre>
<p><code>npm run build</code> writes the assets to <code>internal/console/dist/console/</code>,
where <code>go build</code> embeds them. <code>./scripts/run.sh</code> does all of this and starts graft.
Alternatively, point <code>HASURA_GRAPHQL_CONSOLE_ASSETS_DIR</code> at a folder holding
a built console (its <code>index.html</code> and <code>assets/</code>).</p>
<p>The APIs work without the console: <code>/v1/graphql</code>, <code>/v1/metadata</code>, <code>/v2/query</code>.</p>
</body>
</html>
`

// notBuilt explains how to build the console.
func notBuilt(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusNotFound)
	io.WriteString(w, notBuiltPage)
}

var _ http.Handler = (*handler)(nil)
