package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/graftql/graft/internal/apierr"
	"github.com/graftql/graft/internal/session"
)

// ignoredHookHeaders are the client headers a GET webhook does not
// receive (hasura/graphql-engine: server/src-lib/Hasura/Server/Utils.hs,
// commonClientHeadersIgnored).
var ignoredHookHeaders = map[string]bool{
	"Content-Length": true, "Content-Md5": true, "User-Agent": true, "Host": true, "Origin": true,
	"Referer": true, "Accept": true, "Accept-Encoding": true, "Accept-Language": true,
	"Accept-Datetime": true, "Cache-Control": true, "Connection": true, "Dnt": true, "Content-Type": true,
}

// webhookMaxBody bounds the hook's answer.
const webhookMaxBody = 1 << 20

// webhook authenticates requests by asking HASURA_GRAPHQL_AUTH_HOOK
// (Auth/WebHook.hs, userInfoFromAuthHook).
type webhook struct {
	url      string
	post     bool
	sendBody bool
	timeout  time.Duration
	client   *http.Client
	log      *slog.Logger
	now      func() time.Time
}

func (w *webhook) authenticate(ctx context.Context, h http.Header) (*session.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()
	req, err := w.request(ctx, h)
	if err != nil {
		return nil, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		w.log.LogAttrs(ctx, slog.LevelError, "auth webhook request failed",
			slog.String(logKeyURL, w.url), slog.String(logKeyError, err.Error()))
		return nil, hookFailed(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, webhookMaxBody+1))
	if err != nil {
		w.log.LogAttrs(ctx, slog.LevelError, "auth webhook request failed",
			slog.String(logKeyURL, w.url), slog.String(logKeyError, err.Error()))
		return nil, ErrHookFailed
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return nil, ErrHookUnauthorized
	default:
		w.log.LogAttrs(ctx, slog.LevelError, "auth webhook answered an unexpected status",
			slog.String(logKeyURL, w.url), slog.Int(logKeyStatus, resp.StatusCode))
		return nil, ErrHookInvalidResponse
	}
	if len(body) > webhookMaxBody {
		return nil, hookInvalid(fmt.Sprintf("Error in $: the answer is larger than %d bytes", webhookMaxBody))
	}
	s, err := w.session(body)
	if err != nil {
		return nil, err
	}
	s.SetCookies = resp.Header.Values("Set-Cookie")
	return s, nil
}

// request builds the hook request: GET with the client's headers (less
// ignoredHookHeaders), or POST with {"headers": {...}, "request": {...}}.
func (w *webhook) request(ctx context.Context, h http.Header) (*http.Request, error) {
	if !w.post {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.url, nil)
		if err != nil {
			return nil, hookFailed(err)
		}
		for k, vs := range h {
			if ignoredHookHeaders[http.CanonicalHeaderKey(k)] {
				continue
			}
			for _, v := range vs {
				req.Header.Add(k, v)
			}
		}
		req.Header.Set("User-Agent", userAgent)
		return req, nil
	}
	payload := struct {
		Headers map[string]string `json:"headers"`
		Request json.RawMessage   `json:"request,omitempty"`
	}{Headers: make(map[string]string, len(h))}
	for k, vs := range h {
		if len(vs) > 0 {
			payload.Headers[k] = vs[0]
		}
	}
	if w.sendBody {
		if b := requestBody(ctx); len(b) > 0 && json.Valid(b) {
			payload.Request = b
		}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, hookFailed(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return nil, hookFailed(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// hookFailed is ErrHookFailed with its cause kept for the logs.
func hookFailed(err error) error {
	return &apierr.Error{Code: apierr.Unexpected, Message: ErrHookFailed.Message, Err: err}
}

func hookInvalid(detail string) error {
	return apierr.New(apierr.Unexpected, "Invalid response from authorization hook: %s", detail)
}

// session reads a 200 answer: a JSON object of strings whose x-hasura-*
// keys (any case) are the session variables, x-hasura-role required; its
// Cache-Control max-age or Expires sets the session's expiry.
func (w *webhook) session(body []byte) (*session.Session, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		var v any
		if json.Unmarshal(body, &v) == nil {
			return nil, hookInvalid("Error in $: parsing HashMap ~Text failed, expected Object, but encountered " + apierr.JSONKind(v))
		}
		return nil, hookInvalid("Error in $: not valid JSON")
	}
	vars := make(map[string]string, len(raw))
	var cacheControl, expires string
	for k, rv := range raw {
		var s string
		if err := json.Unmarshal(rv, &s); err != nil {
			var v any
			_ = decodeJSON(rv, &v)
			return nil, hookInvalid(fmt.Sprintf("Error in $%s: parsing Text failed, expected String, but encountered %s",
				aesonKey(k), apierr.JSONKind(v)))
		}
		switch {
		case session.IsSessionVariable(k):
			vars[strings.ToLower(k)] = s
		case strings.EqualFold(k, "Cache-Control"):
			cacheControl = s
		case strings.EqualFold(k, "Expires"):
			expires = s
		}
	}
	role, ok := vars[session.HeaderRole]
	if !ok || role == "" {
		return nil, ErrRoleNotInSession
	}
	s := session.New(role, vars)
	now := w.now()
	if cc := parseCacheControl(cacheControl); cc.hasMaxAge {
		s.Expires = now.Add(cc.maxAge)
	} else if t, err := http.ParseTime(expires); expires != "" && err == nil {
		s.Expires = t
	}
	return s, nil
}

type requestBodyKey struct{}

// WithRequestBody returns a context carrying the body of the GraphQL
// request, which a POST auth webhook receives as "request". The HTTP
// server attaches it before authenticating; websocket connection_init
// has none.
func WithRequestBody(ctx context.Context, body []byte) context.Context {
	return context.WithValue(ctx, requestBodyKey{}, body)
}

func requestBody(ctx context.Context) []byte {
	b, _ := ctx.Value(requestBodyKey{}).([]byte)
	return b
}

// aesonKey formats an object key in a path as aeson's error messages do:
// .key for identifiers (a letter, then letters and digits), else ['key'].
func aesonKey(k string) string {
	ident := k != ""
	for i := 0; i < len(k) && ident; i++ {
		ident = isLetter(k[i]) || (i > 0 && isDigit(k[i]))
	}
	if ident {
		return "." + k
	}
	return "['" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(k) + "']"
}
