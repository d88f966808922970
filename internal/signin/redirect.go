package signin

import (
	"net/url"
	"regexp"
	"strings"
)

// redirectTo returns the target of emailed links: the request's
// options.redirectTo when allowed, AUTH_CLIENT_URL when absent
// (signin.md §12.3).
func (s *Service) redirectTo(given *string) (string, error) {
	if given == nil || *given == "" {
		return s.cfg.ClientURL, nil
	}
	if !s.redirectAllowed(*given) {
		return "", ErrRedirectToNotAllowed
	}
	return *given, nil
}

// redirectAllowed reports whether target matches AUTH_CLIENT_URL or a
// pattern of AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS
// (nhost/hasura-auth: go/controller/validator.go): globs where * stops at
// "." and "/" and ** does not; every sub-path of an allowed URL is
// allowed; query and fragment are ignored; a URL without a port also
// matches the scheme's default port.
func (s *Service) redirectAllowed(target string) bool {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil {
		return false
	}
	cand := normalizeURL(u.Scheme, u.Host, u.EscapedPath())
	for _, p := range append([]string{s.cfg.ClientURL}, s.cfg.AllowedRedirectURLs...) {
		if p != "" && patternMatches(p, cand) {
			return true
		}
	}
	return false
}

// normalizeURL lower-cases scheme and host and drops the default port.
func normalizeURL(scheme, host, path string) string {
	scheme, host = strings.ToLower(scheme), strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme + "://" + host + path
}

// patternMatches matches a pattern against a normalized URL.
func patternMatches(pattern, cand string) bool {
	if i := strings.IndexAny(pattern, "?#"); i >= 0 {
		pattern = pattern[:i]
	}
	scheme, rest, ok := strings.Cut(pattern, "://")
	if !ok {
		return false
	}
	host, path := rest, ""
	if i := strings.Index(rest, "/"); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	p := normalizeURL(scheme, host, path)
	var re strings.Builder
	re.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**"):
			re.WriteString(".*")
			i++
		case p[i] == '*':
			re.WriteString(`[^./]*`)
		default:
			re.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	if strings.HasSuffix(p, "/") {
		re.WriteString(".*$")
	} else {
		re.WriteString("(/.*)?$")
	}
	ok, err := regexp.MatchString(re.String(), cand)
	return err == nil && ok
}

// withQuery returns target with params added to its query, built from a
// copy (Nhost 0.42 mutated its stored client URL).
func withQuery(target string, params url.Values) string {
	u, err := url.Parse(target)
	if err != nil {
		return target
	}
	q := u.Query()
	for k, vs := range params {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
