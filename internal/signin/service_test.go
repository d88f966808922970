package signin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jws"
	"golang.org/x/crypto/bcrypt"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/signin"
)

const (
	hsKey = "graft-signin-test-key-0123456789abcdef"
	pw    = "correct horse"
)

// hs256 makes the service sign with an HMAC key: faster to start than the
// generated RSA key, which TestService_GeneratedKey covers.
func hs256(o *signin.Options) { o.JWTSecret = `{"type":"HS256","key":"` + hsKey + `"}` }

func TestService_SignUp(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, func(o *signin.Options) {
		hs256(o)
		o.Settings.DefaultAllowedRoles = []string{"me", "editor"}
		o.Settings.AllowedLocales = []string{"en", "fr"}
		o.Settings.BlockedEmailDomains = []string{"blocked.example"}
	})
	first := e.MustSignUp(t, "taken@example.com", pw)
	if diff := cmp.Diff([]string{"editor", "me", "user"}, first.User.Roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	tests := []struct {
		name string
		body any
		want map[string]any
	}{
		{"Taken", map[string]any{"email": "taken@example.com", "password": pw},
			errBody("user-already-exists", 409, "User already exists")},
		{"TakenOtherCase", map[string]any{"email": "TAKEN@Example.com", "password": pw},
			errBody("user-already-exists", 409, "User already exists")},
		{"Short", map[string]any{"email": "a@example.com", "password": "12345678"},
			errBody("password-too-short", 400, "Password is too short")},
		{"BadEmail", map[string]any{"email": "not-an-email", "password": pw},
			errBody("invalid-request", 400, "The request payload is incorrect")},
		{"NoPassword", map[string]any{"email": "a@example.com"},
			errBody("invalid-request", 400, "The request payload is incorrect")},
		{"WrongType", map[string]any{"email": 42, "password": pw},
			errBody("invalid-request", 400, "The request payload is incorrect")},
		{"Blocked", map[string]any{"email": "x@blocked.example", "password": pw},
			errBody("invalid-email-password", 401, "Incorrect email or password")},
		{"RoleNotAllowed", map[string]any{"email": "b@example.com", "password": pw, "options": map[string]any{"allowedRoles": []string{"admin"}}},
			errBody("role-not-allowed", 400, "Role not allowed")},
		{"DefaultRoleNotAllowed", map[string]any{"email": "b@example.com", "password": pw, "options": map[string]any{"allowedRoles": []string{"me"}, "defaultRole": "editor"}},
			errBody("default-role-must-be-in-allowed-roles", 400, "Default role must be in allowed roles")},
		{"RedirectNotAllowed", map[string]any{"email": "b@example.com", "password": pw, "options": map[string]any{"redirectTo": "https://evil.example"}},
			errBody("redirectTo-not-allowed", 400, `The value of "options.redirectTo" is not allowed.`)},
		{"DisplayNameTooLong", map[string]any{"email": "b@example.com", "password": pw, "options": map[string]any{"displayName": strings.Repeat("x", 33)}},
			errBody("invalid-request", 400, "The request payload is incorrect")},
		{"MetadataNotObject", map[string]any{"email": "b@example.com", "password": pw, "options": map[string]any{"metadata": []int{1}}},
			errBody("invalid-request", 400, "The request payload is incorrect")},
		{"PKCE", map[string]any{"email": "b@example.com", "password": pw, "codeChallenge": strings.Repeat("a", 43)},
			errBody("invalid-request", 400, "The request payload is incorrect")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := e.do(t, "POST", "/signup/email-password", tt.body, "")
			if diff := cmp.Diff(tt.want, r.Body); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("Options", func(t *testing.T) {
		t.Parallel()
		r := e.do(t, "POST", "/signup/email-password", map[string]any{"email": "Opt@Example.com", "password": pw, "options": map[string]any{
			"allowedRoles": []string{"editor", "user"}, "defaultRole": "editor", "displayName": "Zoë O'Brien", "locale": "fr",
			"metadata": map[string]any{"plan": "pro"}}}, "")
		user := r.Body.(map[string]any)["session"].(map[string]any)["user"].(map[string]any)
		delete(user, "id")
		delete(user, "createdAt")
		want := map[string]any{"avatarUrl": "https://www.gravatar.com/avatar/7ea6a8a6b8c0a7b3e0fdee9d7c43bcea?d=blank&r=g",
			"defaultRole": "editor", "displayName": "Zoë O'Brien", "email": "Opt@Example.com", "emailVerified": false,
			"isAnonymous": false, "locale": "fr", "metadata": map[string]any{"plan": "pro"}, "phoneNumberVerified": false,
			"roles": []any{"editor", "user"}, "activeMfaType": nil}
		want["avatarUrl"] = user["avatarUrl"] // checked below
		if diff := cmp.Diff(want, user); diff != "" {
			t.Errorf("user (-want +got):\n%s", diff)
		}
		if a := user["avatarUrl"].(string); !strings.HasPrefix(a, "https://www.gravatar.com/avatar/") || !strings.HasSuffix(a, "?d=blank&r=g") {
			t.Errorf("avatarUrl = %s", a)
		}
	})
	t.Run("LocaleNotAllowed", func(t *testing.T) {
		t.Parallel()
		r := e.do(t, "POST", "/signup/email-password", map[string]any{"email": "loc@example.com", "password": pw, "options": map[string]any{"locale": "de"}}, "")
		if got := r.Body.(map[string]any)["session"].(map[string]any)["user"].(map[string]any)["locale"]; got != "en" {
			t.Errorf("locale = %v, want the default en", got)
		}
	})
}

func TestService_SignUpSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(s *config.SignIn)
		want   map[string]any
	}{
		{"Disabled", func(s *config.SignIn) { s.DisableSignup = true }, errBody("signup-disabled", 403, "Sign up is disabled.")},
		{"NewUsersDisabled", func(s *config.SignIn) { s.DisableNewUsers = true }, errBody("disabled-user", 401, "User is disabled")},
		{"Concealed", func(s *config.SignIn) { s.DisableSignup, s.ConcealErrors = true, true }, errBody("invalid-request", 400, "The request payload is incorrect")},
		{"AllowList", func(s *config.SignIn) { s.AllowedEmailDomains = []string{"corp.example"} }, errBody("invalid-email-password", 401, "Incorrect email or password")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := NewEnv(t, func(o *signin.Options) { hs256(o); tt.mutate(&o.Settings) })
			r := e.do(t, "POST", "/signup/email-password", map[string]any{"email": "a@example.com", "password": pw}, "")
			if diff := cmp.Diff(tt.want, r.Body); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestService_SignIn(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	s := e.MustSignUp(t, "bob@example.com", pw)
	wrong := errBody("invalid-email-password", 401, "Incorrect email or password")
	for _, tt := range []struct {
		name, email, pw string
		want            any
	}{
		{"WrongPassword", "bob@example.com", "wrong horse", wrong},
		{"UnknownEmail", "nobody@example.com", pw, wrong},
		{"EmptyPassword", "bob@example.com", "", wrong},
	} {
		r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": tt.email, "password": tt.pw}, "")
		if diff := cmp.Diff(tt.want, r.Body); diff != "" {
			t.Errorf("%s: answer (-want +got):\n%s", tt.name, diff)
		}
	}
	got := e.MustSignIn(t, "BOB@example.com", pw)
	if got.User.ID != s.User.ID || got.RefreshTokenID == s.RefreshTokenID {
		t.Errorf("sign-in: user %s family %s; want user %s and a new family", got.User.ID, got.RefreshTokenID, s.User.ID)
	}
	// Disabled: reported only after a correct password.
	if _, err := e.db.Pool.Exec(t.Context(), "UPDATE auth.users SET disabled = true WHERE id = $1", s.User.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "bob@example.com", "password": "wrong horse"}, ""); r.Status != 401 || r.Body.(map[string]any)["error"] != "invalid-email-password" {
		t.Errorf("disabled, wrong password: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "bob@example.com", "password": pw}, ""); r.Status != 401 || r.Body.(map[string]any)["error"] != "disabled-user" {
		t.Errorf("disabled, right password: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": got.RefreshToken}, ""); r.Status != 401 || r.Body.(map[string]any)["error"] != "disabled-user" {
		t.Errorf("disabled, refresh: %d %s", r.Status, r.Raw)
	}
}

// TestService_NhostBcrypt signs in with hashes as Nhost Auth stored them
// and checks the hash is rewritten as argon2id.
func TestService_NhostBcrypt(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	h, err := bcrypt.GenerateFromPassword([]byte("nhost-password"), 10)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := e.db.Pool.QueryRow(t.Context(), `INSERT INTO auth.users (email, password_hash, locale, default_role)
		VALUES ('legacy@example.com', $1, 'en', 'user') RETURNING id`, "$2b$"+string(h[4:])).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Pool.Exec(t.Context(), "INSERT INTO auth.user_roles (user_id, role) VALUES ($1, 'user'), ($1, 'me')", id); err != nil {
		t.Fatal(err)
	}
	s := e.MustSignIn(t, "legacy@example.com", "nhost-password")
	if s.User.ID != id {
		t.Errorf("signed in as %s, want %s", s.User.ID, id)
	}
	var stored string
	if err := e.db.Pool.QueryRow(t.Context(), "SELECT password_hash FROM auth.users WHERE id = $1", id).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$") {
		t.Errorf("hash after sign-in = %.10s..., want it rewritten as argon2id", stored)
	}
	e.MustSignIn(t, "legacy@example.com", "nhost-password")
}

func TestService_Refresh(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	s := e.MustSignUp(t, "carol@example.com", pw)
	ctx := t.Context()

	r := e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "")
	n := sessionOf(t, r)
	if n.RefreshToken == s.RefreshToken || n.RefreshTokenID != s.RefreshTokenID {
		t.Fatalf("rotation: token %s id %s; want a new token and id %s", n.RefreshToken, n.RefreshTokenID, s.RefreshTokenID)
	}
	var hash string
	if err := e.db.Pool.QueryRow(ctx, "SELECT refresh_token_hash FROM auth.refresh_tokens WHERE id = $1", n.RefreshTokenID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	var pgHash string
	if err := e.db.Pool.QueryRow(ctx, "SELECT sha256($1::bytea)::text", n.RefreshToken).Scan(&pgHash); err != nil {
		t.Fatal(err)
	}
	if hash != pgHash {
		t.Errorf("stored %s, want sha256 of the token %s", hash, pgHash)
	}

	// Inside the grace window: the old token gets the current one.
	g := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, ""))
	if g.RefreshToken != n.RefreshToken {
		t.Errorf("grace: got %s, want %s", g.RefreshToken, n.RefreshToken)
	}
	// Two rotations later the old token still finds the current one.
	n2 := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": n.RefreshToken}, ""))
	if g := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "")); g.RefreshToken != n2.RefreshToken {
		t.Errorf("grace after two rotations: got %s, want %s", g.RefreshToken, n2.RefreshToken)
	}

	// After the window: reuse revokes the family.
	if _, err := e.db.Pool.Exec(ctx, "UPDATE auth.graft_refresh_token_history SET retired_at = now() - interval '1 minute'"); err != nil {
		t.Fatal(err)
	}
	invalid := errBody("invalid-refresh-token", 401, "Invalid or expired refresh token")
	if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, ""); !cmp.Equal(invalid, r.Body) {
		t.Errorf("reuse: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": n2.RefreshToken}, ""); !cmp.Equal(invalid, r.Body) {
		t.Errorf("current token after reuse: %d %s, want the family revoked", r.Status, r.Raw)
	}
	var rows int
	if err := e.db.Pool.QueryRow(ctx, "SELECT count(*) FROM auth.graft_refresh_token_history").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("history rows after revocation: %d, %v", rows, err)
	}

	for name, tok := range map[string]any{"Unknown": "2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"} {
		if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": tok}, ""); !cmp.Equal(invalid, r.Body) {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	bad := errBody("invalid-request", 400, "The request payload is incorrect")
	for name, body := range map[string]any{"NotUUID": map[string]any{"refreshToken": "abc"}, "Missing": map[string]any{}, "NotJSON": "x"} {
		if r := e.do(t, "POST", "/token", body, ""); !cmp.Equal(bad, r.Body) {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	t.Run("Expired", func(t *testing.T) {
		s := e.MustSignIn(t, "carol@example.com", pw)
		if _, err := e.db.Pool.Exec(ctx, "UPDATE auth.refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", s.RefreshTokenID); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, ""); !cmp.Equal(invalid, r.Body) {
			t.Errorf("expired: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("Sliding", func(t *testing.T) {
		s := e.MustSignIn(t, "carol@example.com", pw)
		if _, err := e.db.Pool.Exec(ctx, "UPDATE auth.refresh_tokens SET expires_at = now() + interval '1 hour' WHERE id = $1", s.RefreshTokenID); err != nil {
			t.Fatal(err)
		}
		e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "")
		var days float64
		if err := e.db.Pool.QueryRow(ctx, "SELECT extract(epoch FROM expires_at - now()) / 86400 FROM auth.refresh_tokens WHERE id = $1", s.RefreshTokenID).Scan(&days); err != nil || days < 29.9 {
			t.Errorf("expiry after refresh: %.2f days, %v; want 30", days, err)
		}
	})
}

// TestService_RefreshRace sends 20 concurrent refreshes with one token:
// none may fail, all get the same new token, and the user stays signed in.
func TestService_RefreshRace(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	s := e.MustSignUp(t, "race@example.com", pw)
	const n = 20
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := range n {
		wg.Go(func() { results[i] = e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "") })
	}
	wg.Wait()
	tokens := map[string]int{}
	for _, r := range results {
		if r.Status != 200 {
			t.Errorf("status %d: %s", r.Status, r.Raw)
			continue
		}
		tokens[sessionOf(t, r).RefreshToken]++
	}
	if len(tokens) != 1 {
		t.Fatalf("racers got %d different tokens, want 1: %v", len(tokens), tokens)
	}
	for tok := range tokens {
		next := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": tok}, ""))
		if next.RefreshTokenID != s.RefreshTokenID {
			t.Errorf("family changed: %s", next.RefreshTokenID)
		}
	}
	// Reuse after the window: concurrent reuses revoke once, never 500.
	if _, err := e.db.Pool.Exec(t.Context(), "UPDATE auth.graft_refresh_token_history SET retired_at = now() - interval '1 minute'"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		wg.Go(func() { results[i] = e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "") })
	}
	wg.Wait()
	for _, r := range results {
		if r.Status != 401 {
			t.Errorf("reuse: status %d: %s", r.Status, r.Raw)
		}
	}
	var left int
	if err := e.db.Pool.QueryRow(t.Context(), "SELECT count(*) FROM auth.refresh_tokens WHERE id = $1", s.RefreshTokenID).Scan(&left); err != nil || left != 0 {
		t.Errorf("family rows after reuse: %d, %v", left, err)
	}
}

// TestService_SignUpRace signs up one address 10 times at once: one
// success, the rest user-already-exists, no 500.
func TestService_SignUpRace(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Go(func() {
			codes[i] = e.do(t, "POST", "/signup/email-password", map[string]any{"email": "same@example.com", "password": pw}, "").Status
		})
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	if ok != 1 || conflict != 9 {
		t.Errorf("statuses %v, want one 200 and nine 409", codes)
	}
}

func TestService_SignOut(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	a := e.MustSignUp(t, "dan@example.com", pw)
	b := e.MustSignIn(t, "dan@example.com", pw)
	c := e.MustSignIn(t, "dan@example.com", pw)
	pat := e.do(t, "POST", "/pat", map[string]any{"expiresAt": time.Now().Add(time.Hour).Format(time.RFC3339)}, a.AccessToken)
	patToken := pat.Body.(map[string]any)["personalAccessToken"].(string)

	ok := func(r response) {
		t.Helper()
		if r.Status != 200 || string(r.Raw) != `"OK"` {
			t.Errorf("sign out: %d %s", r.Status, r.Raw)
		}
	}
	status := func(tok string) int {
		return e.do(t, "POST", "/token", map[string]any{"refreshToken": tok}, "").Status
	}
	// One token: its family only; an invalid Bearer is ignored.
	ok(e.do(t, "POST", "/signout", map[string]any{"refreshToken": a.RefreshToken}, "not-a-jwt"))
	if status(a.RefreshToken) != 401 || status(b.RefreshToken) != 200 {
		t.Error("signing out one token revoked the wrong families")
	}
	ok(e.do(t, "POST", "/signout", map[string]any{"refreshToken": a.RefreshToken}, "")) // again: still OK
	// A retired token names its family too.
	bn := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": b.RefreshToken}, ""))
	_ = bn
	ok(e.do(t, "POST", "/signout", map[string]any{"refreshToken": b.RefreshToken}, ""))
	if status(bn.RefreshToken) != 401 {
		t.Error("signing out with a retired token left its family")
	}
	// All: every regular family of the Bearer's user; PATs survive.
	d := e.MustSignIn(t, "dan@example.com", pw)
	ok(e.do(t, "POST", "/signout", map[string]any{"all": true}, d.AccessToken))
	if status(c.RefreshToken) != 401 || status(d.RefreshToken) != 401 {
		t.Error("sign out all left a family")
	}
	if r := e.do(t, "POST", "/signin/pat", map[string]any{"personalAccessToken": patToken}, ""); r.Status != 200 {
		t.Errorf("PAT after sign out all: %d %s", r.Status, r.Raw)
	}
	// All with only a refresh token in the body.
	f := e.MustSignIn(t, "dan@example.com", pw)
	g := e.MustSignIn(t, "dan@example.com", pw)
	ok(e.do(t, "POST", "/signout", map[string]any{"all": true, "refreshToken": f.RefreshToken}, "bad-bearer"))
	if status(g.RefreshToken) != 401 {
		t.Error("sign out all by refresh token left a family")
	}
	for name, tt := range map[string]struct {
		body   any
		bearer string
		want   map[string]any
	}{
		"Empty":        {map[string]any{}, "", errBody("invalid-request", 400, "The request payload is incorrect")},
		"AllNoBearer":  {map[string]any{"all": true}, "", errBody("unauthorized", 401, "Missing or invalid access token")},
		"AllBadBearer": {map[string]any{"all": true}, "x.y.z", errBody("unauthorized", 401, "Missing or invalid access token")},
		"NotUUID":      {map[string]any{"refreshToken": "x"}, "", errBody("invalid-request", 400, "The request payload is incorrect")},
	} {
		if r := e.do(t, "POST", "/signout", tt.body, tt.bearer); !cmp.Equal(tt.want, r.Body) {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
}

// TestService_Bearer checks the endpoints that need an access token.
func TestService_Bearer(t *testing.T) {
	t.Parallel()
	now := time.Now()
	clock := func() time.Time { return now }
	e := NewEnv(t, func(o *signin.Options) { hs256(o); o.Now = func() time.Time { return clock() } })
	s := e.MustSignUp(t, "erin@example.com", pw)
	sign := func(alg jwa.SignatureAlgorithm, key any, claims map[string]any) string {
		p, _ := json.Marshal(claims)
		tok, err := jws.Sign(p, jws.WithKey(alg, key))
		if err != nil {
			t.Fatal(err)
		}
		return string(tok)
	}
	claims := func(mut func(m map[string]any)) map[string]any {
		m := map[string]any{"sub": s.User.ID, "iss": "hasura-auth", "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()}
		mut(m)
		return m
	}
	unauthorized := errBody("unauthorized", 401, "Missing or invalid access token")
	for name, tok := range map[string]string{
		"Garbage":     "garbage",
		"OtherKey":    sign(jwa.HS256(), []byte(strings.Repeat("k", 40)), claims(func(map[string]any) {})),
		"NoExp":       sign(jwa.HS256(), []byte(hsKey), claims(func(m map[string]any) { delete(m, "exp") })),
		"Expired":     sign(jwa.HS256(), []byte(hsKey), claims(func(m map[string]any) { m["exp"] = now.Add(-time.Second).Unix() })),
		"OtherIssuer": sign(jwa.HS256(), []byte(hsKey), claims(func(m map[string]any) { m["iss"] = "someone" })),
		"HS512":       sign(jwa.HS512(), []byte(hsKey), claims(func(map[string]any) {})),
		"UnknownUser": sign(jwa.HS256(), []byte(hsKey), claims(func(m map[string]any) { m["sub"] = "2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24" })),
		"NotUUID":     sign(jwa.HS256(), []byte(hsKey), claims(func(m map[string]any) { m["sub"] = "42" })),
		"TooLong":     strings.Repeat("a", 9000),
		"None":        "eyJhbGciOiJub25lIn0." + strings.TrimRight(jsonB64(claims(func(map[string]any) {})), "=") + ".",
	} {
		r := e.do(t, "GET", "/user", nil, tok)
		if !cmp.Equal(unauthorized, r.Body) || r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: %d %s %v", name, r.Status, r.Raw, r.Header)
		}
	}
	if r := e.do(t, "GET", "/user", nil, ""); !cmp.Equal(unauthorized, r.Body) {
		t.Errorf("no Bearer: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "GET", "/user", nil, sign(jwa.HS256(), []byte(hsKey), claims(func(map[string]any) {}))); r.Status != 200 {
		t.Errorf("hand-signed valid token: %d %s", r.Status, r.Raw)
	}
	// Tokens expire with the clock.
	later := now.Add(16 * time.Minute)
	clock = func() time.Time { return later }
	if r := e.do(t, "GET", "/user", nil, s.AccessToken); r.Status != 401 {
		t.Errorf("token after 16 minutes: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/token/verify", map[string]any{"token": s.AccessToken}, ""); r.Status != 401 {
		t.Errorf("verify after 16 minutes: %d %s", r.Status, r.Raw)
	}
	clock = func() time.Time { return now }
	if r := e.do(t, "POST", "/token/verify", map[string]any{"token": s.AccessToken}, ""); r.Status != 200 || string(r.Raw) != `"OK"` {
		t.Errorf("verify: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/token/verify", nil, s.AccessToken); r.Status != 200 {
		t.Errorf("verify by Bearer: %d %s", r.Status, r.Raw)
	}
}

func jsonB64(v any) string {
	b, _ := json.Marshal(v)
	return strings.TrimRight(base64URL(b), "=")
}

func TestService_PasswordChange(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	s := e.MustSignUp(t, "fay@example.com", pw)
	other := e.MustSignIn(t, "fay@example.com", pw)
	pat := e.do(t, "POST", "/pat", map[string]any{"expiresAt": time.Now().Add(time.Hour).Format(time.RFC3339Nano), "metadata": map[string]any{"name": "cli"}}, s.AccessToken)
	if pat.Status != 200 {
		t.Fatalf("create PAT: %d %s", pat.Status, pat.Raw)
	}
	if r := e.do(t, "POST", "/user/password", map[string]any{"newPassword": "short"}, s.AccessToken); r.Status != 400 || r.Body.(map[string]any)["error"] != "password-too-short" {
		t.Errorf("short: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/user/password", map[string]any{"newPassword": "a new password"}, ""); r.Status != 400 {
		t.Errorf("no Bearer, no ticket: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/user/password", map[string]any{"newPassword": "a new password", "ticket": "passwordReset:" + "2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}, ""); r.Status != 401 || r.Body.(map[string]any)["error"] != "invalid-ticket" {
		t.Errorf("bad ticket: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/user/password", map[string]any{"newPassword": "a new password"}, s.AccessToken); r.Status != 200 {
		t.Fatalf("change: %d %s", r.Status, r.Raw)
	}
	// Every refresh token and PAT of the user is revoked (signin.md §8.3).
	for _, tok := range []string{s.RefreshToken, other.RefreshToken} {
		if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": tok}, ""); r.Status != 401 {
			t.Errorf("refresh after password change: %d", r.Status)
		}
	}
	if r := e.do(t, "POST", "/signin/pat", map[string]any{"personalAccessToken": pat.Body.(map[string]any)["personalAccessToken"]}, ""); r.Status != 401 || r.Body.(map[string]any)["error"] != "invalid-pat" {
		t.Errorf("PAT after password change: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "fay@example.com", "password": pw}, ""); r.Status != 401 {
		t.Errorf("old password: %d", r.Status)
	}
	e.MustSignIn(t, "fay@example.com", "a new password")
}

func TestService_PAT(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	s := e.MustSignUp(t, "gus@example.com", pw)
	for name, body := range map[string]map[string]any{
		"Past":    {"expiresAt": time.Now().Add(-time.Hour).Format(time.RFC3339)},
		"Missing": {},
		"BadDate": {"expiresAt": "tomorrow"},
	} {
		if r := e.do(t, "POST", "/pat", body, s.AccessToken); r.Status != 400 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	r := e.do(t, "POST", "/pat", map[string]any{"expiresAt": time.Now().Add(time.Hour).Format(time.RFC3339)}, s.AccessToken)
	if r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	pat := r.Body.(map[string]any)["personalAccessToken"].(string)
	in := sessionOf(t, e.do(t, "POST", "/signin/pat", map[string]any{"personalAccessToken": pat}, ""))
	if in.User.ID != s.User.ID {
		t.Errorf("PAT signed in as %s", in.User.ID)
	}
	if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": pat}, ""); r.Status != 401 {
		t.Errorf("PAT at /token: %d, want 401", r.Status)
	}
	if r := e.do(t, "POST", "/signin/pat", map[string]any{"personalAccessToken": "2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24"}, ""); !cmp.Equal(errBody("invalid-pat", 401, "Invalid or expired personal access token"), r.Body) {
		t.Errorf("unknown PAT: %d %s", r.Status, r.Raw)
	}
	// Sign out with the PAT revokes it.
	e.do(t, "POST", "/signout", map[string]any{"refreshToken": pat}, "")
	if r := e.do(t, "POST", "/signin/pat", map[string]any{"personalAccessToken": pat}, ""); r.Status != 401 {
		t.Errorf("PAT after sign out: %d", r.Status)
	}
}

func TestService_Anonymous(t *testing.T) {
	t.Parallel()
	off := NewEnv(t, hs256)
	if r := off.do(t, "POST", "/signin/anonymous", nil, ""); !cmp.Equal(errBody("disabled-endpoint", 409, "This endpoint is disabled"), r.Body) {
		t.Errorf("disabled: %d %s", r.Status, r.Raw)
	}
	e := NewEnv(t, func(o *signin.Options) { hs256(o); o.Settings.AnonymousUsersEnabled = true })
	r := e.do(t, "POST", "/signin/anonymous", map[string]any{"displayName": "Guest", "metadata": map[string]any{"a": 1}}, "")
	s := sessionOf(t, r)
	user := r.Body.(map[string]any)["session"].(map[string]any)["user"].(map[string]any)
	if user["isAnonymous"] != true || user["displayName"] != "Guest" || user["defaultRole"] != "anonymous" {
		t.Errorf("anonymous user: %s", r.Raw)
	}
	if _, has := user["email"]; has {
		t.Error("anonymous user has an email field")
	}
	forbidden := errBody("forbidden-anonymous", 403, "Forbidden, user is anonymous.")
	for _, c := range []struct{ method, path string }{{"GET", "/user"}, {"POST", "/pat"}, {"POST", "/user/password"}} {
		var body any
		if c.method == "POST" {
			body = map[string]any{"newPassword": "a long password", "expiresAt": time.Now().Add(time.Hour).Format(time.RFC3339)}
		}
		if r := e.do(t, c.method, c.path, body, s.AccessToken); !cmp.Equal(forbidden, r.Body) {
			t.Errorf("%s %s: %d %s", c.method, c.path, r.Status, r.Raw)
		}
	}
	if n := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "")); n.User.ID != s.User.ID {
		t.Error("anonymous refresh failed")
	}
	if r := e.do(t, "POST", "/signin/anonymous", map[string]any{}, ""); r.Status != 200 {
		t.Errorf("empty object: %d %s", r.Status, r.Raw)
	}
}

func TestService_Routes(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	for _, tt := range []struct {
		method, path string
		status       int
		want         any
	}{
		{"GET", "/healthz", 200, "OK"},
		{"GET", "/version", 200, map[string]any{"version": "v-test"}},
		{"GET", "/.well-known/jwks.json", 200, map[string]any{"keys": []any{}}},
		{"GET", "/nope", 404, errBody("not-found", 404, "Not found")},
		{"GET", "/oauth2/authorize", 404, errBody("not-found", 404, "Not found")},
		{"GET", "/.well-known/openid-configuration", 404, errBody("not-found", 404, "Not found")},
		{"POST", "/signin/passwordless/email", 409, errBody("disabled-endpoint", 409, "This endpoint is disabled")},
		{"POST", "/user/deanonymize", 409, errBody("disabled-endpoint", 409, "This endpoint is disabled")},
		{"GET", "/signin/provider/github", 409, errBody("disabled-endpoint", 409, "This endpoint is disabled")},
		{"POST", "/user/password/reset", 409, errBody("disabled-endpoint", 409, "This endpoint is disabled")},
		{"GET", "/mfa/totp/generate", 409, errBody("disabled-endpoint", 409, "This endpoint is disabled")},
		{"DELETE", "/user", 404, errBody("not-found", 404, "Not found")},
	} {
		r := e.do(t, tt.method, tt.path, nil, "")
		if r.Status != tt.status || !cmp.Equal(tt.want, r.Body) {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, r.Status, r.Raw)
		}
	}
	big := map[string]any{"email": "a@example.com", "password": strings.Repeat("x", 70<<10)}
	if r := e.do(t, "POST", "/signin/email-password", big, ""); r.Status != 400 {
		t.Errorf("body over 64 KiB: %d %s", r.Status, r.Raw)
	}
	req, _ := http.NewRequest("OPTIONS", e.url+"/signin/email-password", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Headers", "content-type, authorization")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	want := map[string]string{"Access-Control-Allow-Origin": "https://app.example", "Access-Control-Allow-Methods": "POST, GET",
		"Access-Control-Allow-Credentials": "true", "Access-Control-Max-Age": "86400", "Access-Control-Allow-Headers": "content-type, authorization", "Vary": "Origin"}
	got := map[string]string{}
	for k := range want {
		got[k] = res.Header.Get(k)
	}
	if res.StatusCode != 204 || !cmp.Equal(want, got) {
		t.Errorf("preflight: %d %v", res.StatusCode, cmp.Diff(want, got))
	}
}

// TestService_Timing compares the mean time of sign-in with an unknown
// email and with a wrong password (signin.md §9.2): within 10 %. The two
// kinds alternate, in both orders, so that drift in the machine's load
// hits both alike, and the slowest tenth of each is left out of its mean
// (a GC pause or another test binary's burst is not the service's
// timing); a shared machine can still disturb one run, so the comparison
// gets three tries.
func TestService_Timing(t *testing.T) {
	e := NewEnv(t, func(o *signin.Options) { hs256(o); o.Settings.LockoutThreshold = 0 })
	e.MustSignUp(t, "known@example.com", pw)
	const pairs = 40
	measure := func(email string) time.Duration {
		t0 := time.Now()
		r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": email, "password": "wrong horse"}, "")
		d := time.Since(t0)
		if r.Status != 401 || !cmp.Equal(errBody("invalid-email-password", 401, "Incorrect email or password"), r.Body) {
			t.Fatalf("%s: %d %s", email, r.Status, r.Raw)
		}
		return d
	}
	measure("warmup@example.com")
	var diff float64
	for try := 1; try <= 3; try++ {
		var unknown, wrong []time.Duration
		for i := range pairs {
			u := fmt.Sprintf("unknown%d-%d@example.com", try, i)
			if i%2 == 0 {
				unknown = append(unknown, measure(u))
				wrong = append(wrong, measure("known@example.com"))
			} else {
				wrong = append(wrong, measure("known@example.com"))
				unknown = append(unknown, measure(u))
			}
		}
		mu, mw := trimmedMean(unknown), trimmedMean(wrong)
		diff = float64(mu-mw) / float64(min(mu, mw))
		t.Logf("try %d: mean sign-in time: unknown email %v, wrong password %v (%+.1f %%)", try, mu, mw, 100*diff)
		if diff < 0.10 && diff > -0.10 {
			return
		}
	}
	t.Errorf("unknown email and wrong password differ by %.1f %% in mean time, want < 10 %%", 100*diff)
}

// trimmedMean is the mean of ds without its slowest tenth.
func trimmedMean(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	keep := ds[:len(ds)-len(ds)/10]
	var sum time.Duration
	for _, d := range keep {
		sum += d
	}
	return sum / time.Duration(len(keep))
}

func TestService_RateLimits(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, func(o *signin.Options) {
		hs256(o)
		o.Settings.RateLimitEnabled = true
		o.Settings.RateLimitBruteForce = config.RateLimit{Burst: 4, Interval: time.Minute}
		o.Settings.LockoutThreshold = 2
	})
	e.MustSignUp(t, "hal@example.com", pw)
	statuses := []int{}
	for range 4 {
		r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "hal@example.com", "password": "wrong horse"}, "")
		statuses = append(statuses, r.Status)
		if r.Status == 429 && (r.Header.Get("Retry-After") == "" || !cmp.Equal(errBody("too-many-requests", 429, "Too many requests"), r.Body)) {
			t.Errorf("429 without Retry-After or envelope: %v %s", r.Header, r.Raw)
		}
	}
	// Two failures, then the account backs off (1 s) before the IP limit.
	if diff := cmp.Diff([]int{401, 401, 429, 429}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "other@example.com", "password": "x"}, ""); r.Status != 429 {
		t.Errorf("5th sign-in from the IP: %d, want 429", r.Status)
	}
	if r := e.do(t, "GET", "/version", nil, ""); r.Status != 200 {
		t.Errorf("other buckets: %d", r.Status)
	}
}

func TestService_Cleanup(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, hs256)
	s := e.MustSignUp(t, "ivy@example.com", pw)
	live := e.MustSignIn(t, "ivy@example.com", pw)
	e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "")
	ctx := t.Context()
	if _, err := e.db.Pool.Exec(ctx, `UPDATE auth.refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1;`, s.RefreshTokenID); err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.Cleanup(ctx)
	if err != nil || n != 1 {
		t.Errorf("Cleanup = %d, %v; want 1 row (the expired family; its history cascades)", n, err)
	}
	var rows int
	e.db.Pool.QueryRow(ctx, "SELECT count(*) FROM auth.refresh_tokens").Scan(&rows)
	if rows != 1 {
		t.Errorf("%d refresh tokens left, want the live one", rows)
	}
	if r := e.do(t, "POST", "/token", map[string]any{"refreshToken": live.RefreshToken}, ""); r.Status != 200 {
		t.Errorf("live token after cleanup: %d", r.Status)
	}
}

// TestService_Logs checks that no password or token reaches the log.
func TestService_Logs(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var buf strings.Builder
	e := NewEnv(t, func(o *signin.Options) {
		hs256(o)
		o.Logger = newBufLogger(&mu, &buf)
	})
	s := e.MustSignUp(t, "jo@example.com", pw)
	n := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, ""))
	e.db.Pool.Exec(context.Background(), "UPDATE auth.graft_refresh_token_history SET retired_at = now() - interval '1 minute'")
	e.do(t, "POST", "/token", map[string]any{"refreshToken": s.RefreshToken}, "") // reuse: logs a warning
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if !strings.Contains(out, "reused") {
		t.Errorf("no reuse warning in the log:\n%s", out)
	}
	for _, secret := range []string{pw, s.RefreshToken, n.RefreshToken, s.AccessToken, hsKey} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains a secret:\n%s", out)
		}
	}
}
