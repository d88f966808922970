package server

import (
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// middleware adds x-request-id, CORS (hasura.md §1) and gzip, and hands
// the sign-in service its own paths.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("x-request-id")
		if id == "" {
			id = newRequestID()
		}
		w.Header().Set("x-request-id", id)

		if s.o.SignIn != nil && (r.URL.Path == SignInPrefix || strings.HasPrefix(r.URL.Path, SignInPrefix+"/")) {
			http.StripPrefix(SignInPrefix, s.o.SignIn).ServeHTTP(w, r)
			return
		}

		if !s.o.DisableCORS {
			if origin := r.Header.Get("Origin"); origin != "" && originAllowed(s.o.CORSDomains, origin) {
				h := w.Header()
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Credentials", "true")
				h.Set("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
				if r.Method == http.MethodOptions {
					h.Set("Access-Control-Max-Age", "1728000")
					h.Set("Access-Control-Allow-Headers", r.Header.Get("Access-Control-Request-Headers"))
					h.Set("Content-Length", "0")
					w.WriteHeader(http.StatusNoContent)
					return
				}
			}
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}

		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") && !isUpgrade(r) {
			gw := gzipPool.Get().(*gzip.Writer)
			gw.Reset(w)
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Add("Vary", "Accept-Encoding")
			next.ServeHTTP(&gzipResponse{ResponseWriter: w, gz: gw}, r)
			gw.Close()
			gzipPool.Put(gw)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

var gzipPool = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

type gzipResponse struct {
	http.ResponseWriter
	gz *gzip.Writer
}

func (g *gzipResponse) WriteHeader(status int) {
	g.ResponseWriter.Header().Del("Content-Length")
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipResponse) Write(b []byte) (int, error) { return g.gz.Write(b) }

// newRequestID returns a random UUID (version 4). Request ids need to be
// unique, not secret, so the runtime's fast generator is used: crypto/rand
// would cost a system call per request.
func newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:16], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}
