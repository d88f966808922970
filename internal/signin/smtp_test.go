package signin_test

import (
	"bufio"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/signin"
)

// smtpSink is a tiny SMTP server that keeps the messages it receives.
type smtpSink struct {
	ln   net.Listener
	msgs chan *mail.Message
}

// NewSMTPSink listens on 127.0.0.1 until the test ends.
func NewSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpSink{ln: ln, msgs: make(chan *mail.Message, 16)}
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
	defer c.Close()
	r := bufio.NewReader(c)
	say := func(line string) { c.Write([]byte(line + "\r\n")) }
	say("220 sink ready")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-sink")
			say("250 AUTH PLAIN LOGIN")
		case strings.HasPrefix(cmd, "AUTH"):
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
				s.msgs <- m
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
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no mail within 10s")
		return nil
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
