package signin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/graftql/graft/internal/config"
)

// The templates of Nhost Auth (signin.md §12.1).
const (
	templateEmailVerify        = "email-verify"
	templatePasswordReset      = "password-reset"
	templateEmailConfirmChange = "email-confirm-change"
)

// builtinTemplates are graft's English templates: subject, body.html.
var builtinTemplates = map[string][2]string{
	templateEmailVerify: {"Verify your email",
		`<p>Hi ${displayName},</p><p>Use the link below to verify your email address:</p><p><a href="${link}">Verify email</a></p>`},
	templatePasswordReset: {"Reset your password",
		`<p>Hi ${displayName},</p><p>Use the link below to reset your password:</p><p><a href="${link}">Reset password</a></p>`},
	templateEmailConfirmChange: {"Change your email address",
		`<p>Hi ${displayName},</p><p>Use the link below to change your email address to ${newEmail}:</p><p><a href="${link}">Change email</a></p>`},
}

// mail is one message waiting in the queue. Its fields hold a ticket and
// a link: it is never logged.
type mail struct {
	to, subject, body        string
	ticket, redirectTo, link string
	template                 string
}

// LogValue is part of the slog.LogValuer interface.
func (mail) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// mailer sends mail over SMTP from an in-process queue, after the
// response, so that timing reveals nothing about accounts.
type mailer struct {
	cfg       config.SMTP
	roots     *x509.CertPool // nil: the system's
	templates string         // AUTH_EMAIL_TEMPLATES_PATH
	locale    string         // AUTH_LOCALE_DEFAULT
	serverURL string
	clientURL string
	log       *slog.Logger
	queue     chan mail
	// retryDelay is the wait before the second attempt; it doubles.
	retryDelay time.Duration
}

// mailQueueSize bounds the queue; a full queue drops mail with a warning.
const mailQueueSize = 1000

func newMailer(cfg config.SignIn, serverURL string, roots *x509.CertPool, log *slog.Logger) (*mailer, error) {
	if serverURL == "" {
		return nil, errors.New("AUTH_SERVER_URL: needed for emailed links")
	}
	return &mailer{cfg: cfg.SMTP, roots: roots, templates: cfg.EmailTemplatesPath, locale: cfg.LocaleDefault, serverURL: serverURL,
		clientURL: cfg.ClientURL, log: log, queue: make(chan mail, mailQueueSize), retryDelay: time.Second}, nil
}

// allowEmail applies the per-IP email bucket for sign-up with
// verification (the other mailing endpoints count at routing).
func (s *Service) allowEmail(r *http.Request) (bool, time.Duration) {
	if s.limits == nil {
		return true, 0
	}
	key := clientIP(r, s.trusted)
	if s.cfg.RateLimitEmailIsGlobal {
		key = ""
	}
	return s.limits[bucketEmail].allow(key, s.now())
}

// sendMail renders a template for u and queues it.
func (s *Service) sendMail(u *user, template, to, ticket, linkType, redirectTo string) {
	m := s.mailer
	if m == nil {
		return
	}
	link := m.serverURL + "/verify?" + url.Values{"ticket": {ticket}, "type": {linkType}, "redirectTo": {redirectTo}}.Encode()
	email := ""
	if u.Email != nil {
		email = *u.Email
	}
	vars := map[string]string{"link": link, "displayName": u.DisplayName, "email": email, "newEmail": to,
		"ticket": ticket, "redirectTo": redirectTo, "locale": u.Locale, "serverUrl": m.serverURL, "clientUrl": m.clientURL}
	subject, body := m.render(template, u.Locale, vars)
	msg := mail{to: to, subject: subject, body: body, ticket: ticket, redirectTo: redirectTo, link: link, template: template}
	select {
	case m.queue <- msg:
	default:
		s.log.Warn("mail queue full: message dropped", logKeyUserID, u.ID)
	}
}

// render fills a template in locale, else the default locale, else the
// built-in English one. Values are HTML-escaped in the body.
func (m *mailer) render(name, locale string, vars map[string]string) (subject, body string) {
	read := func(loc string) (string, string, bool) {
		if m.templates == "" || loc == "" || strings.ContainsAny(loc, `/\.`) {
			return "", "", false
		}
		dir := filepath.Join(m.templates, loc, name)
		sub, err1 := os.ReadFile(filepath.Join(dir, "subject.txt"))
		bod, err2 := os.ReadFile(filepath.Join(dir, "body.html"))
		if err1 != nil || err2 != nil {
			return "", "", false
		}
		return strings.TrimSpace(string(sub)), string(bod), true
	}
	subject, body, ok := read(locale)
	if !ok {
		subject, body, ok = read(m.locale)
	}
	if !ok {
		t := builtinTemplates[name]
		subject, body = t[0], t[1]
	}
	for k, v := range vars {
		subject = strings.ReplaceAll(subject, "${"+k+"}", v)
		body = strings.ReplaceAll(body, "${"+k+"}", html.EscapeString(v))
	}
	return subject, body
}

// run sends queued mail until ctx ends, three attempts each.
func (m *mailer) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-m.queue:
			delay := m.retryDelay
			for attempt := 1; ; attempt++ {
				err := m.send(ctx, msg)
				if err == nil {
					break
				}
				if attempt == 3 || ctx.Err() != nil {
					m.log.Warn("mail not sent", "template", msg.template, logKeyError, err)
					break
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(delay):
				}
				delay *= 2
			}
		}
	}
}

func (m *mailer) tlsConfig() *tls.Config {
	return &tls.Config{ServerName: m.cfg.Host, RootCAs: m.roots, MinVersion: tls.VersionTLS12}
}

// send delivers one message: implicit TLS with AUTH_SMTP_SECURE, else
// STARTTLS when the server offers it.
func (m *mailer) send(ctx context.Context, msg mail) error {
	addr := net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
	d := &net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	var err error
	if m.cfg.Secure {
		conn, err = (&tls.Dialer{NetDialer: d, Config: m.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return fmt.Errorf("smtp dial: %w", err)
	}
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if !m.cfg.Secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(m.tlsConfig()); err != nil {
				return fmt.Errorf("smtp starttls: %w", err)
			}
		}
	}
	if m.cfg.User != "" {
		if ok, _ := c.Extension("AUTH"); ok {
			var a smtp.Auth
			switch m.cfg.AuthMethod {
			case "LOGIN":
				a = &loginAuth{user: m.cfg.User, pass: string(m.cfg.Pass)}
			case "CRAM-MD5":
				a = smtp.CRAMMD5Auth(m.cfg.User, string(m.cfg.Pass))
			default:
				a = smtp.PlainAuth("", m.cfg.User, string(m.cfg.Pass), m.cfg.Host)
			}
			if err := c.Auth(a); err != nil {
				return fmt.Errorf("smtp auth: %w", err)
			}
		}
	}
	if err := c.Mail(m.cfg.Sender); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := c.Rcpt(msg.to); err != nil {
		return fmt.Errorf("smtp rcpt: %w", err)
	}
	wc, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	var b strings.Builder
	hdr := func(k, v string) {
		b.WriteString(k + ": " + strings.NewReplacer("\r", "", "\n", "").Replace(v) + "\r\n")
	}
	hdr("From", m.cfg.Sender)
	hdr("To", msg.to)
	hdr("Subject", mime.QEncoding.Encode("utf-8", msg.subject))
	hdr("Date", time.Now().UTC().Format(time.RFC1123Z))
	hdr("Message-ID", fmt.Sprintf("<%x.%x@graft>", time.Now().UnixNano(), rand.Uint64()))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/html; charset="utf-8"`)
	hdr("Content-Transfer-Encoding", "8bit")
	hdr("X-Ticket", msg.ticket)
	hdr("X-Redirect-To", msg.redirectTo)
	hdr("X-Email-Template", msg.template)
	hdr("X-Link", msg.link)
	b.WriteString("\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(msg.body, "\r\n", "\n"), "\n", "\r\n"))
	b.WriteString("\r\n")
	if _, err := wc.Write([]byte(b.String())); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("smtp data end: %w", err)
	}
	return c.Quit()
}

// loginAuth is SMTP AUTH LOGIN, which net/smtp lacks.
type loginAuth struct{ user, pass string }

// Start is part of the smtp.Auth interface.
func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("smtp: LOGIN needs TLS")
	}
	return "LOGIN", nil, nil
}

// Next is part of the smtp.Auth interface.
func (a *loginAuth) Next(from []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(from))) {
	case "username:":
		return []byte(a.user), nil
	case "password:":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("smtp: unexpected LOGIN challenge %q", from)
}

func isLocalhost(name string) bool {
	return name == "localhost" || name == "127.0.0.1" || name == "::1"
}
