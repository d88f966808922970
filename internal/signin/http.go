package signin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handlerFunc is an endpoint: it writes a success itself, or returns an
// error that serve writes in Nhost's envelope.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// bucket names a per-IP rate limit (signin.md §9.3).
type bucket int

const (
	bucketGlobal bucket = iota
	bucketBruteForce
	bucketSignups
	bucketEmail
)

// route is one endpoint and the buckets it counts in besides the global
// one.
type route struct {
	h       handlerFunc
	buckets []bucket
}

// maxBody bounds request bodies (signin.md §4).
const maxBody = 64 << 10

// routes builds the router: exact "METHOD /path" keys, everything else is
// not-found, so that every answer, errors included, is JSON.
func (s *Service) routes() http.Handler {
	rt := map[string]route{}
	add := func(method, path string, h handlerFunc, buckets ...bucket) {
		rt[method+" "+path] = route{h: h, buckets: buckets}
	}
	add("GET", "/healthz", s.healthz)
	add("HEAD", "/healthz", s.healthz)
	add("GET", "/version", s.getVersion)
	add("GET", "/.well-known/jwks.json", s.jwks)
	add("POST", "/signup/email-password", s.signUpEmailPassword, bucketSignups)
	add("POST", "/signin/email-password", s.signInEmailPassword, bucketBruteForce)
	add("POST", "/signin/anonymous", s.signInAnonymous, bucketBruteForce)
	add("POST", "/signin/pat", s.signInPAT, bucketBruteForce)
	add("POST", "/signin/mfa/totp", s.signInMFATOTP, bucketBruteForce)
	add("POST", "/pat", s.createPAT)
	add("POST", "/token", s.refresh)
	add("POST", "/token/verify", s.verifyToken)
	add("POST", "/signout", s.signOut)
	add("GET", "/user", s.getUser)
	add("POST", "/user/password", s.changePassword)
	add("POST", "/user/password/reset", s.passwordReset, bucketEmail)
	add("POST", "/user/email/change", s.changeEmail, bucketEmail)
	add("POST", "/user/email/send-verification-email", s.sendVerificationEmail, bucketEmail)
	add("GET", "/verify", s.verify, bucketBruteForce)
	add("GET", "/mfa/totp/generate", s.generateTOTP)
	add("POST", "/user/mfa", s.userMFA)
	// Nhost endpoints nhost-js 4.7 can call that graft does not provide
	// yet (signin.md §1): 409 disabled-endpoint, never a silent 404.
	for _, p := range []string{
		"POST /elevate/webauthn", "POST /elevate/webauthn/verify", "POST /link/idtoken",
		"POST /signin/idtoken", "POST /signin/otp/email", "POST /signin/otp/email/verify",
		"POST /signin/passwordless/email", "POST /signin/passwordless/sms", "POST /signin/passwordless/sms/otp",
		"POST /signin/webauthn", "POST /signin/webauthn/verify", "POST /signup/idtoken", "POST /signup/otp/email",
		"POST /signup/passwordless/email", "POST /signup/passwordless/sms", "POST /signup/webauthn",
		"POST /signup/webauthn/verify", "POST /token/exchange", "POST /user/deanonymize",
		"POST /user/webauthn/add", "POST /user/webauthn/verify",
	} {
		m, path, _ := strings.Cut(p, " ")
		add(m, path, s.disabled)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.cors(w, r)
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rte, ok := rt[r.Method+" "+r.URL.Path]
		if !ok {
			rte = s.prefixRoute(r)
		}
		s.serve(w, r, rte)
	})
}

// prefixRoute handles paths with parameters: the OAuth provider paths are
// disabled endpoints, the rest not found.
func (s *Service) prefixRoute(r *http.Request) route {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/signin/provider/"), strings.HasPrefix(p, "/signup/provider/"),
		strings.HasPrefix(p, "/token/provider/"):
		return route{h: s.disabled}
	}
	return route{h: func(http.ResponseWriter, *http.Request) error { return ErrNotFound }}
}

// cors answers as Nhost Auth does (nhost/hasura-auth: go/cmd/cors.go).
func (s *Service) cors(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "POST, GET")
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Max-Age", "86400")
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
}

// serve applies the rate limits, runs the endpoint and writes its error;
// a panic becomes a 500 in the envelope.
func (s *Service) serve(w http.ResponseWriter, r *http.Request, rte route) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("sign-in service panic", logKeyPath, r.URL.Path, logKeyError, fmt.Sprint(v))
			s.writeError(w, r, ErrInternal)
		}
	}()
	if s.limits != nil {
		ip := clientIP(r, s.trusted)
		for _, b := range append([]bucket{bucketGlobal}, rte.buckets...) {
			key := ip
			if b == bucketEmail && s.cfg.RateLimitEmailIsGlobal {
				key = ""
			}
			if ok, wait := s.limits[b].allow(key, s.now()); !ok {
				s.writeError(w, r, tooMany(wait))
				return
			}
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := rte.h(w, r); err != nil {
		s.writeError(w, r, err)
	}
}

func tooMany(wait time.Duration) *Error {
	e := *ErrTooManyRequests
	e.RetryAfter = max(1, int((wait+time.Second-1)/time.Second))
	return &e
}

// writeError writes err in Nhost's envelope: an *Error as it is (concealed
// when AUTH_CONCEAL_ERRORS says so), anything else as a logged 500.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	switch {
	case e == nil && (errors.Is(err, context.Canceled) || errors.Is(r.Context().Err(), context.Canceled)):
		// The client went away; nobody reads the answer.
		e = ErrInternal
	case e == nil:
		s.log.ErrorContext(r.Context(), "sign-in service error", logKeyPath, r.URL.Path, logKeyError, err.Error())
		e = ErrInternal
	case e.Status >= 500:
		s.log.ErrorContext(r.Context(), "sign-in service error", logKeyPath, r.URL.Path, logKeyError, e.Error())
	}
	if s.cfg.ConcealErrors && e.Sensitive {
		e = ErrInvalidRequest
	}
	h := w.Header()
	if e.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Status == http.StatusUnauthorized && e.Code == ErrUnauthorized.Code {
		h.Set("WWW-Authenticate", "Bearer")
	}
	body, _ := json.Marshal(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Status  int    `json:"status"`
	}{e.Code, e.Message, e.Status})
	writeBody(w, r, e.Status, body)
}

// writeJSON writes v as a 200 JSON answer. URLs keep their "&" (no HTML
// escaping: the answers are JSON, never HTML).
func writeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	writeBody(w, r, http.StatusOK, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return nil
}

// writeOK writes the bare success, the JSON string "OK".
func writeOK(w http.ResponseWriter, r *http.Request) error {
	writeBody(w, r, http.StatusOK, []byte(`"OK"`))
	return nil
}

func writeBody(w http.ResponseWriter, r *http.Request, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// decode reads a JSON object body into v. An empty body decodes as {}
// when allowEmpty; bad JSON, wrong types and bodies over 64 KiB are
// invalid-request.
func decode(r *http.Request, v any, allowEmpty bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return ErrInvalidRequest.with("read body: " + err.Error())
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		if allowEmpty {
			return nil
		}
		return ErrInvalidRequest.with("empty body")
	}
	if b[0] != '{' {
		return ErrInvalidRequest.with("body is not a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return ErrInvalidRequest.with(err.Error())
	}
	return nil
}

// bearerToken returns the access token of the Authorization header;
// present is false when there is none. A malformed header or one over
// 8 KiB is an error.
func bearerToken(r *http.Request) (tok string, present bool, err error) {
	v := r.Header.Values("Authorization")
	if len(v) == 0 {
		return "", false, nil
	}
	if len(v) > 1 || len(v[0]) > 8<<10 {
		return "", true, ErrUnauthorized.with("malformed Authorization header")
	}
	scheme, t, ok := strings.Cut(strings.TrimSpace(v[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(t) == "" {
		return "", true, ErrUnauthorized.with("malformed Authorization header")
	}
	return strings.TrimSpace(t), true, nil
}

func (s *Service) disabled(http.ResponseWriter, *http.Request) error { return ErrDisabledEndpoint }

func (s *Service) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.pool.Ping(r.Context()); err != nil {
		return fmt.Errorf("healthz: %w", err)
	}
	return writeOK(w, r)
}

func (s *Service) getVersion(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, r, map[string]string{"version": s.version})
}

func (s *Service) jwks(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Cache-Control", "max-age=300")
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(s.signer.jwks)))
	w.WriteHeader(http.StatusOK)
	w.Write(s.signer.jwks)
	return nil
}
