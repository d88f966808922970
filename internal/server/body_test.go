package server

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// TestReadBody_AnnouncedSize checks that a Content-Length the body does
// not back costs no memory: the header is read before authentication, so
// a client announcing 60 MiB and sending a few bytes must not make the
// server allocate 60 MiB.
func TestReadBody_AnnouncedSize(t *testing.T) {
	const announced = 60 << 20
	body := `{"query":"{ __typename }"}`
	r := httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(body))
	r.ContentLength = announced

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := readBody(r)
	runtime.ReadMemStats(&after)
	if err != nil || string(got) != body {
		t.Fatalf("readBody = %q, %v; want the body", got, err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("readBody allocated %d bytes for a %d-byte body announced as %d", alloc, len(body), announced)
	}

	// A body over the limit is refused, whatever it announces.
	r = httptest.NewRequest("POST", "/v1/graphql", strings.NewReader(strings.Repeat(" ", maxBody+1)))
	if _, err := readBody(r); err == nil {
		t.Error("a body over the limit was read")
	}
}
