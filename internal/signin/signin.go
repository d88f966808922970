package signin

import (
	"context"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5"
)

// signInEmailPassword serves POST /signin/email-password without
// revealing whether an account exists (signin.md §9.2): an unknown email
// and a wrong password get the same status, body and time.
func (s *Service) signInEmailPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email    *string   `json:"email"`
		Password *password `json:"password"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.Email == nil || req.Password == nil || !validEmail(*req.Email) {
		return ErrInvalidRequest.with("email and password required")
	}
	ctx := r.Context()
	key := "email:" + strings.ToLower(*req.Email)
	if ok, wait := s.lockout.check(key, s.now()); !ok {
		return tooMany(wait)
	}
	u, found, err := s.userByEmail(ctx, s.pool, *req.Email)
	if err != nil {
		return err
	}
	stored := ""
	if found && u.PasswordHash != nil && s.emailAllowed(*req.Email) {
		stored = *u.PasswordHash
	}
	// Exactly one hash computation whatever the case: against the dummy
	// hash when there is no usable stored one.
	ok, rehash, err := s.hasher.verify(ctx, stored, *req.Password)
	if err != nil {
		return err
	}
	if !ok {
		s.lockout.fail(key, s.now())
		return ErrInvalidEmailPassword
	}
	s.lockout.clear(key)
	if rehash {
		s.rehash(ctx, u.ID, stored, *req.Password)
	}
	// Only now, after a correct password, may the account's state show.
	if err := s.checkUserOK(u); err != nil {
		return err
	}
	if u.ActiveMFAType != nil && *u.ActiveMFAType == "totp" && s.cfg.MFAEnabled {
		ticket := "mfaTotp:" + newUUID()
		if _, err := s.pool.Exec(ctx, `UPDATE auth.users SET ticket = $2, ticket_expires_at = now() + interval '5 minutes' WHERE id = $1`,
			u.ID, ticket); err != nil {
			return err
		}
		return writeJSON(w, r, map[string]any{"mfa": map[string]string{"ticket": ticket}})
	}
	sess, err := s.newSession(ctx, u)
	if err != nil {
		return err
	}
	return writeJSON(w, r, map[string]any{"session": sess})
}

// rehash rewrites a hash in another format or with weaker parameters in
// the configured one, unless it changed meanwhile. Failure only logs: the
// sign-in itself succeeded.
func (s *Service) rehash(ctx context.Context, userID, old string, pw password) {
	h, err := s.hasher.hash(ctx, pw)
	if err == nil {
		_, err = s.pool.Exec(ctx, "UPDATE auth.users SET password_hash = $3 WHERE id = $1 AND password_hash = $2", userID, old, h)
	}
	if err != nil {
		s.log.Warn("password hash not upgraded", logKeyUserID, userID, logKeyError, err)
	}
}

// signInPAT serves POST /signin/pat: a personal access token starts a
// regular family.
func (s *Service) signInPAT(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		PersonalAccessToken *refreshToken `json:"personalAccessToken"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.PersonalAccessToken == nil || !isUUID(string(*req.PersonalAccessToken)) {
		return ErrInvalidRequest.with("personalAccessToken is not a UUID")
	}
	ctx := r.Context()
	var userID string
	err := s.pool.QueryRow(ctx, `SELECT user_id::text FROM auth.refresh_tokens
		WHERE refresh_token_hash = $1 AND type = 'pat' AND expires_at > now()`, hashToken(*req.PersonalAccessToken)).Scan(&userID)
	if err == pgx.ErrNoRows {
		return ErrInvalidPAT
	}
	if err != nil {
		return err
	}
	u, found, err := s.userByID(ctx, s.pool, userID)
	if err != nil {
		return err
	}
	if !found {
		return ErrInvalidPAT
	}
	if u.Disabled {
		return ErrDisabledUser
	}
	sess, err := s.newSession(ctx, u)
	if err != nil {
		return err
	}
	return writeJSON(w, r, map[string]any{"session": sess})
}

// createPAT serves POST /pat.
func (s *Service) createPAT(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := s.requireUser(ctx, r, false)
	if err != nil {
		return err
	}
	var req struct {
		ExpiresAt *jsonTime        `json:"expiresAt"`
		Metadata  jsonRawOrMissing `json:"metadata"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.ExpiresAt == nil || !req.ExpiresAt.After(s.now()) {
		return ErrInvalidRequest.with("expiresAt is not in the future")
	}
	md, err := checkMetadata(req.Metadata.raw)
	if err != nil {
		return err
	}
	var mdArg any
	if md != nil {
		mdArg = string(md)
	}
	pat := refreshToken(newUUID())
	var id string
	err = s.pool.QueryRow(ctx, `INSERT INTO auth.refresh_tokens (user_id, expires_at, refresh_token_hash, type, metadata)
		VALUES ($1, $2, $3, 'pat', $4::jsonb) RETURNING id::text`, u.ID, req.ExpiresAt.Time, hashToken(pat), mdArg).Scan(&id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, map[string]any{"id": id, "personalAccessToken": pat})
}
