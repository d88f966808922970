package signin_test

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"html"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/signin"
)

// smtpSink is a tiny SMTP server that keeps the messages it receives.
// With a TLS config it offers STARTTLS, or speaks TLS from the start
// (implicit); with credentials it checks AUTH PLAIN, LOGIN and CRAM-MD5.
type smtpSink struct {
	ln         net.Listener
	msgs       chan received
	tls        *tls.Config
	implicit   bool
	user, pass string
}

// received is a message and how its session went.
type received struct {
	msg  *mail.Message
	tls  bool   // the message came over TLS
	auth string // "MECHANISM user" of a successful AUTH
}

// NewSMTPSink listens on 127.0.0.1 until the test ends: plain text, any
// AUTH accepted.
func NewSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	return startSink(t, &smtpSink{})
}

func startSink(t testing.TB, s *smtpSink) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, s.tls)
	}
	s.ln, s.msgs = ln, make(chan received, 16)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpSink) serve(c net.Conn) {
	defer func() { c.Close() }()
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	readLine := func() (string, bool) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err == nil
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	unb64 := func(s string) string { b, _ := base64.StdEncoding.DecodeString(s); return string(b) }
	overTLS, auth := s.implicit, ""
	say("220 sink ready")
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		cmd := strings.ToUpper(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-sink")
			if s.tls != nil && !overTLS {
				say("250-STARTTLS")
			}
			say("250 AUTH PLAIN LOGIN CRAM-MD5")
		case cmd == "STARTTLS" && s.tls != nil && !overTLS:
			say("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, overTLS = tc, bufio.NewReader(tc), true
		case strings.HasPrefix(cmd, "AUTH"):
			f := strings.Fields(line)
			if len(f) < 2 {
				say("501 syntax: AUTH mechanism")
				continue
			}
			mech, user, pass := strings.ToUpper(f[1]), "", ""
			switch mech {
			case "PLAIN":
				resp := ""
				if len(f) > 2 {
					resp = f[2]
				} else {
					say("334 ")
					resp, _ = readLine()
				}
				parts := strings.Split(unb64(resp), "\x00")
				if len(parts) == 3 {
					user, pass = parts[1], parts[2]
				}
			case "LOGIN":
				say("334 " + b64("Username:"))
				l, _ := readLine()
				user = unb64(l)
				say("334 " + b64("Password:"))
				l, _ = readLine()
				pass = unb64(l)
			case "CRAM-MD5":
				challenge := "<1896.697170952@sink>"
				say("334 " + b64(challenge))
				l, _ := readLine()
				got := strings.Fields(unb64(l))
				mac := hmac.New(md5.New, []byte(s.pass))
				mac.Write([]byte(challenge))
				if len(got) == 2 && got[1] == hex.EncodeToString(mac.Sum(nil)) {
					user, pass = got[0], s.pass
				}
			}
			if s.user != "" && (user != s.user || pass != s.pass) {
				say("535 authentication failed")
				continue
			}
			auth = mech + " " + user
			say("235 ok")
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"), strings.HasPrefix(cmd, "RSET"), strings.HasPrefix(cmd, "NOOP"):
			say("250 ok")
		case cmd == "DATA":
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			if m, err := mail.ReadMessage(strings.NewReader(b.String())); err == nil {
				s.msgs <- received{msg: m, tls: overTLS, auth: auth}
			}
			say("250 queued")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown")
		}
	}
}

// next returns the next message, failing after 10 s.
func (s *smtpSink) next(t testing.TB) *mail.Message {
	t.Helper()
	return s.nextReceived(t).msg
}

func (s *smtpSink) nextReceived(t testing.TB) received {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no mail within 10s")
		return received{}
	}
}

// NewMailEnv starts a service that mails through a sink, with its
// background work running.
func NewMailEnv(t testing.TB, mutate func(s *config.SignIn)) (*testEnv, *smtpSink) {
	t.Helper()
	sink := NewSMTPSink(t)
	_, port, _ := net.SplitHostPort(sink.ln.Addr().String())
	e := NewEnv(t, func(o *signin.Options) {
		hs256(o)
		o.Settings.SMTP = config.SMTP{Host: "127.0.0.1", Port: atoi(port), User: "u", Pass: "p", Sender: "auth@example.com", AuthMethod: "PLAIN"}
		o.Settings.ClientURL = "https://app.example.com"
		if mutate != nil {
			mutate(&o.Settings)
		}
	})
	ctx, cancel := contextWithCancel()
	done := make(chan struct{})
	go func() { e.svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e, sink
}

func TestService_EmailVerification(t *testing.T) {
	t.Parallel()
	e, sink := NewMailEnv(t, nil)
	r := e.do(t, "POST", "/signup/email-password", map[string]any{"email": "kim@example.com", "password": pw,
		"options": map[string]any{"redirectTo": "https://app.example.com/welcome?x=1"}}, "")
	if r.Status != 200 || string(r.Raw) != "{}" {
		t.Fatalf("sign up with verification: %d %s, want {}", r.Status, r.Raw)
	}
	m := sink.next(t)
	ticket := m.Header.Get("X-Ticket")
	if !strings.HasPrefix(ticket, "verifyEmail:") || m.Header.Get("X-Email-Template") != "email-verify" ||
		m.Header.Get("To") != "kim@example.com" || m.Header.Get("X-Redirect-To") != "https://app.example.com/welcome?x=1" {
		t.Errorf("mail headers: %v", m.Header)
	}
	link, err := url.Parse(m.Header.Get("X-Link"))
	if err != nil || link.Path != "/auth/v1/verify" || link.Query().Get("ticket") != ticket || link.Query().Get("type") != "emailVerify" {
		t.Errorf("link %s", m.Header.Get("X-Link"))
	}
	// Unverified: refused, but only after a correct password.
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "kim@example.com", "password": pw}, ""); !cmp.Equal(errBody("unverified-user", 401, "User is not verified."), r.Body) {
		t.Errorf("unverified sign-in: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "kim@example.com", "password": "wrong horse"}, ""); r.Body.(map[string]any)["error"] != "invalid-email-password" {
		t.Errorf("unverified, wrong password: %d %s", r.Status, r.Raw)
	}
	r = e.do(t, "GET", "/verify?"+link.RawQuery, nil, "")
	loc, _ := url.Parse(r.Header.Get("Location"))
	if r.Status != 302 || loc.Host != "app.example.com" || loc.Path != "/welcome" || loc.Query().Get("x") != "1" ||
		loc.Query().Get("type") != "verifyEmail" || loc.Query().Get("refreshToken") == "" {
		t.Fatalf("verify: %d %s", r.Status, r.Header.Get("Location"))
	}
	if s := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": loc.Query().Get("refreshToken")}, "")); s.User.ID == "" {
		t.Error("no session from the verify redirect's refresh token")
	}
	e.MustSignIn(t, "kim@example.com", pw)
	// The ticket is single use.
	r = e.do(t, "GET", "/verify?"+link.RawQuery, nil, "")
	loc, _ = url.Parse(r.Header.Get("Location"))
	if r.Status != 302 || loc.Query().Get("error") != "invalid-ticket" || loc.Query().Get("errorDescription") != "Invalid ticket" {
		t.Errorf("second verify: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = e.do(t, "GET", "/verify?ticket=x&type=emailVerify&redirectTo=https://evil.example", nil, "")
	if loc := r.Header.Get("Location"); r.Status != 302 || !strings.HasPrefix(loc, "https://app.example.com?error=redirectTo-not-allowed") {
		t.Errorf("verify with a bad redirect: %d %s", r.Status, loc)
	}
	// Send again: "OK" for known and unknown addresses alike.
	for _, addr := range []string{"kim@example.com", "nobody@example.com"} {
		if r := e.do(t, "POST", "/user/email/send-verification-email", map[string]any{"email": addr}, ""); r.Status != 200 || string(r.Raw) != `"OK"` {
			t.Errorf("send-verification-email %s: %d %s", addr, r.Status, r.Raw)
		}
	}
}

func TestService_PasswordReset(t *testing.T) {
	t.Parallel()
	e, sink := NewMailEnv(t, func(s *config.SignIn) { f := false; s.EmailVerifiedRequired = &f })
	s := e.MustSignUp(t, "lee@example.com", pw)
	for _, addr := range []string{"nobody@example.com", "lee@example.com"} {
		if r := e.do(t, "POST", "/user/password/reset", map[string]any{"email": addr}, ""); r.Status != 200 || string(r.Raw) != `"OK"` {
			t.Errorf("reset %s: %d %s", addr, r.Status, r.Raw)
		}
	}
	m := sink.next(t)
	if m.Header.Get("To") != "lee@example.com" || m.Header.Get("X-Email-Template") != "password-reset" {
		t.Fatalf("reset mail: %v", m.Header)
	}
	ticket := m.Header.Get("X-Ticket")
	if r := e.do(t, "POST", "/user/password", map[string]any{"newPassword": "reset password", "ticket": ticket}, "bad.bearer.x"); r.Status != 200 {
		t.Fatalf("change with ticket: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/user/password", map[string]any{"newPassword": "reset password 2", "ticket": ticket}, ""); r.Body.(map[string]any)["error"] != "invalid-ticket" {
		t.Errorf("ticket reused: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, ""); r.Status != 401 {
		t.Errorf("refresh after reset: %d", r.Status)
	}
	e.MustSignIn(t, "lee@example.com", "reset password")
	if r := e.do(t, "POST", "/user/password/reset", map[string]any{"email": "lee@example.com", "options": map[string]any{"redirectTo": "https://evil.example"}}, ""); r.Body.(map[string]any)["error"] != "redirectTo-not-allowed" {
		t.Errorf("reset with a bad redirect: %d %s", r.Status, r.Raw)
	}
}

func TestService_EmailChange(t *testing.T) {
	t.Parallel()
	e, sink := NewMailEnv(t, func(s *config.SignIn) { f := false; s.EmailVerifiedRequired = &f })
	s := e.MustSignUp(t, "max@example.com", pw)
	e.MustSignUp(t, "taken@example.com", pw)
	if r := e.do(t, "POST", "/user/email/change", map[string]any{"newEmail": "taken@example.com"}, s.AccessToken); r.Body.(map[string]any)["error"] != "user-already-exists" {
		t.Errorf("change to a taken address: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/user/email/change", map[string]any{"newEmail": "max2@example.com"}, s.AccessToken); r.Status != 200 {
		t.Fatalf("change: %d %s", r.Status, r.Raw)
	}
	m := sink.next(t)
	if m.Header.Get("To") != "max2@example.com" || m.Header.Get("X-Email-Template") != "email-confirm-change" {
		t.Fatalf("mail: %v", m.Header)
	}
	link, _ := url.Parse(m.Header.Get("X-Link"))
	r := e.do(t, "GET", "/verify?"+link.RawQuery, nil, "")
	if loc, _ := url.Parse(r.Header.Get("Location")); r.Status != 302 || loc.Query().Get("type") != "emailConfirmChange" {
		t.Fatalf("verify: %d %s", r.Status, r.Header.Get("Location"))
	}
	e.MustSignIn(t, "max2@example.com", pw)
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "max@example.com", "password": pw}, ""); r.Status != 401 {
		t.Errorf("old address: %d", r.Status)
	}
}

// TestService_MailTransports sends mail over STARTTLS and implicit TLS
// with each AUTH method, the server's certificate verified against the
// configured roots; a certificate the roots do not vouch for gets no mail.
func TestService_MailTransports(t *testing.T) {
	t.Parallel()
	ts := httptest.NewTLSServer(http.NotFoundHandler()) // for its certificate for 127.0.0.1
	t.Cleanup(ts.Close)
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	serverTLS := &tls.Config{Certificates: ts.TLS.Certificates}
	for _, tc := range []struct {
		name     string
		implicit bool
		method   string
		roots    *x509.CertPool
		want     string // "" for no mail
	}{
		{"StartTLSPlain", false, "PLAIN", roots, "PLAIN u"},
		{"StartTLSLogin", false, "LOGIN", roots, "LOGIN u"},
		{"StartTLSCramMD5", false, "CRAM-MD5", roots, "CRAM-MD5 u"},
		{"ImplicitTLSLogin", true, "LOGIN", roots, "LOGIN u"},
		{"UntrustedCertificate", false, "PLAIN", x509.NewCertPool(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sink := startSink(t, &smtpSink{tls: serverTLS, implicit: tc.implicit, user: "u", pass: "p"})
			_, port, _ := net.SplitHostPort(sink.ln.Addr().String())
			logs := &lockedBuffer{}
			e := NewEnv(t, func(o *signin.Options) {
				o.Logger = slog.New(slog.NewTextHandler(logs, nil))
				hs256(o)
				f := false
				o.Settings.EmailVerifiedRequired = &f
				o.Settings.SMTP = config.SMTP{Host: "127.0.0.1", Port: atoi(port), User: "u", Pass: "p",
					Sender: "auth@example.com", AuthMethod: tc.method, Secure: tc.implicit}
				o.Settings.ClientURL = "https://app.example.com"
				o.SMTPRootCAs = tc.roots
			})
			ctx, cancel := contextWithCancel()
			done := make(chan struct{})
			go func() { e.svc.Run(ctx); close(done) }()
			t.Cleanup(func() { cancel(); <-done })

			e.MustSignUp(t, "kim@example.com", pw)
			if r := e.do(t, "POST", "/user/password/reset", map[string]any{"email": "kim@example.com"}, ""); r.Status != 200 {
				t.Fatalf("reset: %d %s", r.Status, r.Raw)
			}
			if tc.want == "" {
				// The mailer gives up after its attempts and says why.
				for deadline := time.Now().Add(15 * time.Second); !strings.Contains(logs.String(), "mail not sent"); {
					if time.Now().After(deadline) {
						t.Fatalf("no \"mail not sent\" logged; logs:\n%s", logs.String())
					}
					time.Sleep(50 * time.Millisecond)
				}
				if !strings.Contains(logs.String(), "certificate") {
					t.Errorf("the failure does not name the certificate:\n%s", logs.String())
				}
				select {
				case m := <-sink.msgs:
					t.Fatalf("mail delivered to a server whose certificate is not trusted: %v", m.msg.Header)
				default:
				}
				return
			}
			got := sink.nextReceived(t)
			if !got.tls || got.auth != tc.want || got.msg.Header.Get("To") != "kim@example.com" {
				t.Errorf("got tls=%v auth=%q to=%q, want tls, %q, kim@example.com", got.tls, got.auth, got.msg.Header.Get("To"), tc.want)
			}
		})
	}
}

// TestService_EmailTemplates checks AUTH_EMAIL_TEMPLATES_PATH in Nhost's
// layout (<locale>/<template>/subject.txt and body.html, ${variables}):
// the user's locale first, then AUTH_LOCALE_DEFAULT, values HTML-escaped
// in the body.
func TestService_EmailTemplates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(locale, subject, body string) {
		d := filepath.Join(dir, locale, "password-reset")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d, "subject.txt"), []byte(subject+"\n"), 0o644)
		os.WriteFile(filepath.Join(d, "body.html"), []byte(body), 0o644)
	}
	write("fr", "Réinitialiser le mot de passe de ${displayName}", `<p>Bonjour ${displayName}, <a href="${link}">ici</a> (${clientUrl})</p>`)
	write("en", "Reset for ${email}", `<p>Hello ${displayName}</p>`)
	e, sink := NewMailEnv(t, func(s *config.SignIn) {
		f := false
		s.EmailVerifiedRequired = &f
		s.EmailTemplatesPath = dir
		s.AllowedLocales = []string{"en", "fr", "de"}
	})
	for _, u := range []struct{ email, locale string }{{"zoe@example.com", "fr"}, {"max@example.com", "de"}} {
		r := e.do(t, "POST", "/signup/email-password", map[string]any{"email": u.email, "password": pw,
			"options": map[string]any{"locale": u.locale, "displayName": "Zoé <Z>"}}, "")
		if r.Status != 200 {
			t.Fatalf("sign up: %d %s", r.Status, r.Raw)
		}
	}

	e.do(t, "POST", "/user/password/reset", map[string]any{"email": "zoe@example.com"}, "")
	m := sink.next(t)
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, _ := io.ReadAll(m.Body)
	if subject != "Réinitialiser le mot de passe de Zoé <Z>" {
		t.Errorf("fr subject = %q", subject)
	}
	link := html.EscapeString(m.Header.Get("X-Link"))
	if want := `<p>Bonjour Zoé &lt;Z&gt;, <a href="` + link + `">ici</a> (https://app.example.com)</p>`; strings.TrimSpace(string(body)) != want {
		t.Errorf("fr body = %q\nwant %q", body, want)
	}

	e.do(t, "POST", "/user/password/reset", map[string]any{"email": "max@example.com"}, "")
	m = sink.next(t)
	subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "Reset for max@example.com" {
		t.Errorf("de user, default locale subject = %q", subject)
	}
}

// lockedBuffer is a bytes.Buffer safe for a logger and a test at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
