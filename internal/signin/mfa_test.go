package signin_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/graftql/graft/internal/signin"
)

// code is the TOTP of a base32 secret `ahead` steps from now, as an
// authenticator app computes it.
func code(t *testing.T, secret string, ahead int64) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now().Add(time.Duration(ahead)*30*time.Second),
		totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestService_MFA(t *testing.T) {
	t.Parallel()
	e := NewEnv(t, func(o *signin.Options) { hs256(o); o.Settings.MFAEnabled = true })
	s := e.MustSignUp(t, "pia@example.com", pw)
	if r := e.do(t, "POST", "/user/mfa", map[string]any{"code": "123456", "activeMfaType": "totp"}, s.AccessToken); !cmp.Equal(errBody("no-totp-secret", 400, "User does not have a TOTP secret"), r.Body) {
		t.Errorf("activate without a secret: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "POST", "/user/mfa", map[string]any{"code": "123456"}, s.AccessToken); !cmp.Equal(errBody("disabled-mfa-totp", 401, "User does not have TOTP MFA enabled"), r.Body) {
		t.Errorf("deactivate while inactive: %d %s", r.Status, r.Raw)
	}
	gen := e.do(t, "GET", "/mfa/totp/generate", nil, s.AccessToken)
	secret, _ := gen.Body.(map[string]any)["totpSecret"].(string)
	if gen.Status != 200 || len(secret) != 52 {
		t.Fatalf("generate: %d %s", gen.Status, gen.Raw)
	}
	if r := e.do(t, "POST", "/user/mfa", map[string]any{"code": code(t, secret, 3), "activeMfaType": "totp"}, s.AccessToken); !cmp.Equal(errBody("invalid-totp", 401, "Invalid TOTP code"), r.Body) {
		t.Errorf("activate with a far code: %d %s", r.Status, r.Raw)
	}
	used := code(t, secret, 0)
	if r := e.do(t, "POST", "/user/mfa", map[string]any{"code": used, "activeMfaType": "totp"}, s.AccessToken); r.Status != 200 {
		t.Fatalf("activate: %d %s", r.Status, r.Raw)
	}
	if r := e.do(t, "GET", "/mfa/totp/generate", nil, s.AccessToken); !cmp.Equal(errBody("totp-already-active", 400, "TOTP MFA is already active"), r.Body) {
		t.Errorf("generate while active: %d %s", r.Status, r.Raw)
	}
	// Wrong password: no hint that MFA is on.
	if r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "pia@example.com", "password": "wrong horse"}, ""); r.Status != 401 {
		t.Errorf("wrong password: %d %s", r.Status, r.Raw)
	}
	ticket := func() string {
		r := e.do(t, "POST", "/signin/email-password", map[string]any{"email": "pia@example.com", "password": pw}, "")
		mfa, _ := r.Body.(map[string]any)["mfa"].(map[string]any)
		tk, _ := mfa["ticket"].(string)
		if tk == "" {
			t.Fatalf("password sign-in with TOTP: %d %s", r.Status, r.Raw)
		}
		return tk
	}
	tk := ticket()
	if r := e.do(t, "POST", "/signin/mfa/totp", map[string]any{"ticket": tk, "otp": "000000"}, ""); r.Status != 401 {
		t.Errorf("wrong code: %d %s", r.Status, r.Raw)
	}
	// The ticket died with the first attempt.
	if r := e.do(t, "POST", "/signin/mfa/totp", map[string]any{"ticket": tk, "otp": code(t, secret, 1)}, ""); !cmp.Equal(errBody("invalid-ticket", 401, "Invalid ticket"), r.Body) {
		t.Errorf("ticket reused: %d %s", r.Status, r.Raw)
	}
	// The activation's step is used up; the next one signs in once.
	tk = ticket()
	if r := e.do(t, "POST", "/signin/mfa/totp", map[string]any{"ticket": tk, "otp": used}, ""); r.Status != 401 {
		t.Errorf("code of a used step: %d %s", r.Status, r.Raw)
	}
	tk = ticket()
	in := sessionOf(t, e.do(t, "POST", "/signin/mfa/totp", map[string]any{"ticket": tk, "otp": code(t, secret, 1)}, ""))
	if in.User.ID != s.User.ID {
		t.Errorf("MFA sign-in as %s", in.User.ID)
	}
	if r := e.do(t, "POST", "/signin/mfa/totp", map[string]any{"ticket": "mfaTotp:2c35b6f3-c4b9-48e3-978a-d4d0f1d42e24", "otp": "123456"}, ""); r.Status != 401 {
		t.Errorf("unknown ticket: %d", r.Status)
	}
}
