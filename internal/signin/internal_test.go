package signin

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"golang.org/x/crypto/bcrypt"

	"github.com/graftql/graft/internal/config"
)

func TestHashToken(t *testing.T) {
	t.Parallel()
	// The test vector of signin.md §8.1, equal to PostgreSQL's
	// sha256('8beb30da-4e0a-435b-bf2e-d935ab1b29df'::bytea)::text.
	got := hashToken("8beb30da-4e0a-435b-bf2e-d935ab1b29df")
	want := `\x23f13b9a1b9a05a9050f6ced4598ce175259ebf0d5d89bcc02fb92a1bb722807`
	if got != want {
		t.Errorf("hashToken = %s, want %s", got, want)
	}
}

func TestSuccessor(t *testing.T) {
	t.Parallel()
	k1, k2 := refreshKey(strings.Repeat("a", 32)), refreshKey(strings.Repeat("b", 32))
	t1 := refreshToken("8beb30da-4e0a-435b-bf2e-d935ab1b29df")
	s := successor(k1, t1)
	if !isUUID(string(s)) || s[14] != '4' || !strings.ContainsRune("89ab", rune(s[19])) {
		t.Errorf("successor %s is not a UUIDv4", s)
	}
	if s != successor(k1, t1) {
		t.Error("successor is not deterministic")
	}
	if s == successor(k2, t1) || s == t1 || successor(k1, s) == s {
		t.Error("successor does not depend on key and token")
	}
}

func TestIsUUID(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		newUUID():                               true,
		"2C35B6F3-C4B9-48E3-978A-D4D0F1D42E24":  true,
		"2c35b6f3c4b948e3978ad4d0f1d42e24":      false,
		"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e2":   false,
		"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e2g":  false,
		"2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24 ": false,
		"":                                      false,
	} {
		if got := isUUID(s); got != want {
			t.Errorf("isUUID(%q) = %t, want %t", s, got, want)
		}
	}
}

func TestTOTPGuard_Check(t *testing.T) {
	t.Parallel()
	// RFC 6238 Appendix B's SHA-1 secret, "12345678901234567890".
	b32 := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	now := time.Unix(1111111111, 0)
	step := totpStep(now)
	hotp := func(step int64) string {
		c, err := totp.GenerateCodeCustom(b32, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := hotp(step); got != "050471" {
		t.Fatalf("RFC 6238 vector at 1111111111 = %s, want 050471", got)
	}
	g := newTOTPGuard()
	tests := []struct {
		name string
		user string
		code string
		want bool
	}{
		{"Current", "u1", hotp(step), true},
		{"SameStepAgain", "u1", hotp(step), false},
		{"EarlierStep", "u1", hotp(step - 1), false},
		{"NextStep", "u1", hotp(step + 1), true},
		{"OtherUserPrevious", "u2", hotp(step - 1), true},
		{"TwoStepsAway", "u3", hotp(step + 2), false},
		{"Wrong", "u4", "000000", hotp(step) == "000000"},
		{"Short", "u4", "12345", false},
	}
	for _, tt := range tests {
		if got := g.check(tt.user, b32, tt.code, now); got != tt.want {
			t.Errorf("%s: check = %t, want %t", tt.name, got, tt.want)
		}
	}
}

func TestService_RedirectAllowed(t *testing.T) {
	t.Parallel()
	s := &Service{cfg: config.SignIn{ClientURL: "https://app.example.com",
		AllowedRedirectURLs: []string{"https://*.example.org", "http://localhost:3000/cb", "https://**.preview.dev/", "myapp://callback"}}}
	for target, want := range map[string]bool{
		"https://app.example.com":                 true,
		"https://app.example.com/":                true,
		"https://app.example.com/deep/path?x=1#f": true,
		"https://APP.example.com:443/x":           true,
		"https://app.example.com:8443/x":          false,
		"http://app.example.com":                  false,
		"https://app.example.com.evil.com":        false,
		"https://app.example.comx":                false,
		"https://a.example.org/x":                 true,
		"https://a.b.example.org":                 false,
		"https://example.org":                     false,
		"http://localhost:3000/cb":                true,
		"http://localhost:3000/cb/more":           true,
		"http://localhost:3000/cbx":               false,
		"http://localhost:3000/":                  false,
		"https://x.y.preview.dev/anything":        true,
		"myapp://callback":                        true,
		"javascript:alert(1)":                     false,
		"/relative":                               false,
		"https://user@app.example.com":            false,
	} {
		if got := s.redirectAllowed(target); got != want {
			t.Errorf("redirectAllowed(%q) = %t, want %t", target, got, want)
		}
	}
}

func TestWindow_Allow(t *testing.T) {
	t.Parallel()
	w := newWindow(3, time.Minute)
	t0 := time.Unix(600, 0) // a window boundary
	for i := 0; i < 3; i++ {
		if ok, _ := w.allow("a", t0.Add(time.Duration(i)*time.Second)); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, wait := w.allow("a", t0.Add(3*time.Second))
	if ok || wait <= 0 || wait > time.Minute {
		t.Errorf("4th request: ok=%t wait=%v, want refused with a wait under a minute", ok, wait)
	}
	if ok, _ := w.allow("b", t0.Add(3*time.Second)); !ok {
		t.Error("another key was refused")
	}
	// Half a window later, half the previous window's count still weighs.
	if ok, _ := w.allow("a", t0.Add(90*time.Second)); !ok {
		t.Error("refused at 1.5 windows, want allowed (3*0.5 + 0 < 3)")
	}
	if ok, _ := w.allow("a", t0.Add(3*time.Minute)); !ok {
		t.Error("refused after two windows")
	}
}

func TestLockout(t *testing.T) {
	t.Parallel()
	l := newLockout(2, 5*time.Second)
	t0 := time.Unix(1000, 0)
	l.fail("k", t0)
	l.fail("k", t0)
	if ok, wait := l.check("k", t0.Add(500*time.Millisecond)); ok || wait != 500*time.Millisecond {
		t.Errorf("after 2 failures: ok=%t wait=%v, want a 1s back-off", ok, wait)
	}
	if ok, _ := l.check("k", t0.Add(time.Second)); !ok {
		t.Error("refused after the back-off")
	}
	for i := 0; i < 6; i++ {
		l.fail("k", t0)
	}
	if _, wait := l.check("k", t0); wait != 5*time.Second {
		t.Errorf("wait = %v, want the 5s cap", wait)
	}
	l.clear("k")
	if ok, _ := l.check("k", t0); !ok {
		t.Error("refused after clear")
	}
	small := newLockout(1, time.Second)
	small.size = 2
	small.fail("a", t0)
	small.fail("b", t0)
	small.fail("c", t0)
	if ok, _ := small.check("a", t0); !ok || len(small.items) != 2 {
		t.Errorf("LRU kept %d keys, want 2 with the oldest evicted", len(small.items))
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		peer, xff, want string
	}{
		{"192.0.2.1:1234", "", "192.0.2.1"},
		{"192.0.2.1:1234", "203.0.113.9", "192.0.2.1"}, // untrusted peer: header ignored
		{"10.1.2.3:1234", "203.0.113.9", "203.0.113.9"},
		{"10.1.2.3:1234", "198.51.100.1, 203.0.113.9, 10.0.0.7", "203.0.113.9"},
		{"10.1.2.3:1234", "", "10.1.2.3"},
		{"[::ffff:192.0.2.1]:1", "", "192.0.2.1"},
	} {
		r := &http.Request{RemoteAddr: tt.peer, Header: http.Header{}}
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientIP(r, trusted); got != tt.want {
			t.Errorf("clientIP(%s, %q) = %s, want %s", tt.peer, tt.xff, got, tt.want)
		}
	}
}

func TestHasher(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	h, err := newHasher("argon2id")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := h.hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %s, want OWASP's argon2id parameters", enc)
	}
	// bcrypt hashes as Nhost Auth wrote them: Go's $2a$ and Node.js
	// bcrypt's $2b$ (the same algorithm under another prefix).
	goHash, err := bcrypt.GenerateFromPassword([]byte("password123"), 10)
	if err != nil {
		t.Fatal(err)
	}
	nodeHash := "$2b$" + string(goHash[4:])
	for _, tt := range []struct {
		name, enc, pw string
		ok, rehash    bool
	}{
		{name: "Argon2OK", enc: enc, pw: "correct horse", ok: true},
		{name: "Argon2Wrong", enc: enc, pw: "wrong horse"},
		{name: "BcryptGo", enc: string(goHash), pw: "password123", ok: true, rehash: true},
		{name: "BcryptNode", enc: nodeHash, pw: "password123", ok: true, rehash: true},
		{name: "BcryptWrong", enc: nodeHash, pw: "password124", rehash: true},
		{name: "Empty", enc: "", pw: ""},
		{name: "Garbage", enc: "$argon2id$v=19$m=1$x$y", pw: "x"},
		{name: "WeakArgon", enc: "$argon2id$v=19$m=4096,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$5vW3n2Kj0iV3Cw/MWBz0Q6r3yH8xA1lV0WQbJ5g4m2Q", pw: "x", rehash: true},
	} {
		ok, rehash, err := h.verify(ctx, tt.enc, password(tt.pw))
		if err != nil || ok != tt.ok || rehash != tt.rehash {
			t.Errorf("%s: verify = %t, %t, %v; want %t, %t", tt.name, ok, rehash, err, tt.ok, tt.rehash)
		}
	}
	if err := h.checkLength("12345678", 9); err != ErrPasswordTooShort {
		t.Errorf("8 characters: %v, want password-too-short", err)
	}
	if err := h.checkLength("ääääääääa", 9); err != nil {
		t.Errorf("9 characters in 17 bytes: %v", err)
	}
	if err := h.checkLength(password(strings.Repeat("x", 129)), 9); asError(err) == nil || asError(err).Code != "invalid-request" {
		t.Errorf("129 characters: %v, want invalid-request", err)
	}
	b, _ := newHasher("bcrypt")
	if err := b.checkLength(password(strings.Repeat("ä", 40)), 9); asError(err) == nil || asError(err).Code != "invalid-request" {
		t.Errorf("bcrypt, 80 bytes: %v, want invalid-request", err)
	}
}
