package signin

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP as RFC 6238 defines it, with the parameters every authenticator
// app uses: HMAC-SHA-1, 6 digits, 30-second steps, one step of drift
// either way (signin.md §6). Codes, secrets and the QR image come from
// github.com/pquerna/otp, the library Nhost Auth uses; graft adds that a
// code is accepted once per user and time step.
const (
	totpPeriod = 30
	totpSkew   = 1
	totpSecret = 32 // bytes
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Skew: totpSkew, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// totpStep is the time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// totpGuard remembers the last accepted step per user, so that a code is
// accepted once per user and time step.
type totpGuard struct {
	mu   sync.Mutex
	used map[string]int64 // guarded by mu
}

func newTOTPGuard() *totpGuard { return &totpGuard{used: map[string]int64{}} }

// check reports whether code is valid for the base32 secret at now and
// not used before by userID.
func (g *totpGuard) check(userID, secret, code string, now time.Time) bool {
	if len(code) != int(totpOpts.Digits) {
		return false
	}
	cur := totpStep(now)
	g.mu.Lock()
	defer g.mu.Unlock()
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		step := cur + d
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err != nil {
			return false
		}
		if step < 0 || subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
			continue
		}
		if last, ok := g.used[userID]; ok && step <= last {
			return false
		}
		if len(g.used) > 100000 {
			for k, v := range g.used {
				if v < cur-totpSkew {
					delete(g.used, k)
				}
			}
		}
		g.used[userID] = step
		return true
	}
	return false
}

// generateTOTP serves GET /mfa/totp/generate: a new secret, stored but not
// active, and its QR code.
func (s *Service) generateTOTP(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.MFAEnabled {
		return ErrDisabledEndpoint
	}
	ctx := r.Context()
	u, err := s.requireUser(ctx, r, false)
	if err != nil {
		return err
	}
	if u.ActiveMFAType != nil && *u.ActiveMFAType == "totp" {
		return ErrTOTPAlreadyActive
	}
	account := u.ID
	if u.Email != nil {
		account = *u.Email
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.cfg.TOTPIssuer, AccountName: account, Period: totpPeriod,
		SecretSize: totpSecret, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, Rand: rand.Reader,
	})
	if err != nil {
		return fmt.Errorf("generate TOTP secret: %w", err)
	}
	secret := key.Secret()
	if _, err := s.pool.Exec(ctx, "UPDATE auth.users SET totp_secret = $2 WHERE id = $1", u.ID, secret); err != nil {
		return err
	}
	img, err := key.Image(200, 200)
	if err != nil {
		return fmt.Errorf("TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("TOTP QR code: %w", err)
	}
	return writeJSON(w, r, map[string]string{
		"imageUrl":   "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
		"totpSecret": secret,
	})
}

// userMFA serves POST /user/mfa: activates TOTP with "totp", deactivates
// it with "" or nothing; both need a valid code.
func (s *Service) userMFA(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.MFAEnabled {
		return ErrDisabledEndpoint
	}
	ctx := r.Context()
	u, err := s.requireUser(ctx, r, false)
	if err != nil {
		return err
	}
	var req struct {
		Code          *string `json:"code"`
		ActiveMFAType *string `json:"activeMfaType"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.Code == nil {
		return ErrInvalidRequest.with("code required")
	}
	activate := req.ActiveMFAType != nil && *req.ActiveMFAType == "totp"
	if req.ActiveMFAType != nil && *req.ActiveMFAType != "" && !activate {
		return ErrInvalidRequest.with("activeMfaType is not totp")
	}
	active := u.ActiveMFAType != nil && *u.ActiveMFAType == "totp"
	switch {
	case activate && active:
		return ErrTOTPAlreadyActive
	case activate && (u.TOTPSecret == nil || *u.TOTPSecret == ""):
		return ErrNoTOTPSecret
	case !activate && !active:
		return ErrDisabledMFATOTP
	}
	if err := s.checkCode(u, *req.Code); err != nil {
		return err
	}
	q := "UPDATE auth.users SET active_mfa_type = 'totp' WHERE id = $1"
	if !activate {
		q = "UPDATE auth.users SET active_mfa_type = NULL, totp_secret = NULL WHERE id = $1"
	}
	if _, err := s.pool.Exec(ctx, q, u.ID); err != nil {
		return err
	}
	return writeOK(w, r)
}

// signInMFATOTP serves POST /signin/mfa/totp: the ticket of a password
// sign-in and a code. The ticket dies with its first attempt.
func (s *Service) signInMFATOTP(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.MFAEnabled {
		return ErrDisabledEndpoint
	}
	var req struct {
		Ticket *string `json:"ticket"`
		OTP    *string `json:"otp"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.Ticket == nil || req.OTP == nil {
		return ErrInvalidRequest.with("ticket and otp required")
	}
	if !strings.HasPrefix(*req.Ticket, "mfaTotp:") {
		return ErrInvalidTicket
	}
	ctx := r.Context()
	var userID string
	err := s.pool.QueryRow(ctx, `UPDATE auth.users SET ticket = NULL, ticket_expires_at = now()
		WHERE ticket = $1 AND ticket_expires_at > now() RETURNING id::text`, *req.Ticket).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrInvalidTicket
	}
	if err != nil {
		return err
	}
	u, found, err := s.userByID(ctx, s.pool, userID)
	if err != nil {
		return err
	}
	if !found {
		return ErrInvalidTicket
	}
	if u.ActiveMFAType == nil || *u.ActiveMFAType != "totp" || u.TOTPSecret == nil {
		return ErrDisabledMFATOTP
	}
	if err := s.checkCode(u, *req.OTP); err != nil {
		return err
	}
	if err := s.checkUserOK(u); err != nil {
		return err
	}
	sess, err := s.newSession(ctx, u)
	if err != nil {
		return err
	}
	return writeJSON(w, r, map[string]any{"session": sess})
}

// checkCode checks a TOTP code of u's, under the per-account lockout: a
// wrong code counts as a failure, a right one clears the count.
func (s *Service) checkCode(u *user, code string) error {
	key := "user:" + u.ID
	if ok, wait := s.lockout.check(key, s.now()); !ok {
		return tooMany(wait)
	}
	if !s.totp.check(u.ID, *u.TOTPSecret, code, s.now()) {
		s.lockout.fail(key, s.now())
		return ErrInvalidTOTP
	}
	s.lockout.clear(key)
	return nil
}
