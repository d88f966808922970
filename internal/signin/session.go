package signin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// sessionJSON is Nhost's Session (signin.md §5).
type sessionJSON struct {
	AccessToken          string       `json:"accessToken"`
	AccessTokenExpiresIn int64        `json:"accessTokenExpiresIn"`
	RefreshToken         refreshToken `json:"refreshToken"`
	RefreshTokenID       string       `json:"refreshTokenId"`
	User                 userJSON     `json:"user"`
}

// accessToken signs the access JWT of u (signin.md §10.1): exactly the
// Hasura claims, sub, iss, iat and exp.
func (s *Service) accessToken(u *user) (string, error) {
	now := s.now()
	anon := "false"
	if u.IsAnonymous {
		anon = "true"
	}
	claims := map[string]any{
		s.signer.namespace: map[string]any{
			"x-hasura-allowed-roles":     u.allowedRoles(),
			"x-hasura-default-role":      u.DefaultRole,
			"x-hasura-user-id":           u.ID,
			"x-hasura-user-is-anonymous": anon,
		},
		"sub": u.ID,
		"iss": s.signer.issuer,
		"iat": now.Unix(),
		"exp": now.Add(s.cfg.AccessTokenExpiresIn).Unix(),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	h := jws.NewHeaders()
	if err := h.Set("typ", "JWT"); err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	if s.signer.kid != "" {
		if err := h.Set("kid", s.signer.kid); err != nil {
			return "", fmt.Errorf("sign access token: %w", err)
		}
	}
	tok, err := jws.Sign(payload, jws.WithKey(s.signer.alg, s.signer.private, jws.WithProtectedHeaders(h)))
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return string(tok), nil
}

// session builds the Session of u for the family id whose current token
// is t.
func (s *Service) session(u *user, t refreshToken, familyID string) (*sessionJSON, error) {
	at, err := s.accessToken(u)
	if err != nil {
		return nil, err
	}
	return &sessionJSON{AccessToken: at, AccessTokenExpiresIn: int64(s.cfg.AccessTokenExpiresIn / time.Second),
		RefreshToken: t, RefreshTokenID: familyID, User: u.json(true)}, nil
}

// newSession starts a refresh-token family for u (every sign-in method
// does, signin.md §8.1), sets last_seen and returns the Session.
func (s *Service) newSession(ctx context.Context, u *user) (*sessionJSON, error) {
	t := refreshToken(newUUID())
	var id string
	err := s.pool.QueryRow(ctx, `WITH seen AS (UPDATE auth.users SET last_seen = now() WHERE id = $1)
		INSERT INTO auth.refresh_tokens (user_id, expires_at, refresh_token_hash, type)
		VALUES ($1, now() + $2 * interval '1 second', $3, 'regular') RETURNING id::text`,
		u.ID, int64(s.cfg.RefreshTokenExpiresIn/time.Second), hashToken(t)).Scan(&id)
	if err != nil {
		return nil, fmt.Errorf("create refresh token: %w", err)
	}
	return s.session(u, t, id)
}

// bearerUser verifies the Bearer of r and loads its user (signin.md
// §10.3): the key's algorithm only, exp required, iss the issuer, and sub
// an existing user. present is false when r has no Authorization header.
func (s *Service) bearerUser(ctx context.Context, r *http.Request) (u *user, present bool, err error) {
	tok, present, err := bearerToken(r)
	if !present || err != nil {
		return nil, present, err
	}
	id, err := s.verifyAccessToken(tok)
	if err != nil {
		return nil, true, err
	}
	u, found, err := s.userByID(ctx, s.pool, id)
	if err != nil {
		return nil, true, err
	}
	if !found {
		return nil, true, ErrUnauthorized.with("token of a deleted user")
	}
	return u, true, nil
}

// requireUser is bearerUser for endpoints that need a Bearer; anonymous
// users are refused unless allowAnonymous.
func (s *Service) requireUser(ctx context.Context, r *http.Request, allowAnonymous bool) (*user, error) {
	u, present, err := s.bearerUser(ctx, r)
	if err != nil {
		return nil, err
	}
	if !present {
		return nil, ErrUnauthorized.with("no Authorization header")
	}
	if u.IsAnonymous && !allowAnonymous {
		return nil, ErrForbiddenAnonymous
	}
	return u, nil
}

// verifyAccessToken checks a token the service signed and returns its sub.
func (s *Service) verifyAccessToken(tok string) (string, error) {
	if len(tok) > 8<<10 {
		return "", ErrUnauthorized.with("token over 8 KiB")
	}
	t, err := jwt.ParseString(tok,
		jwt.WithKey(s.signer.alg, s.signer.public),
		jwt.WithValidate(true),
		jwt.WithIssuer(s.signer.issuer),
		jwt.WithRequiredClaim("exp"),
		jwt.WithClock(jwt.ClockFunc(s.now)),
	)
	if err != nil {
		return "", ErrUnauthorized.with("invalid access token: " + err.Error())
	}
	sub, ok := t.Subject()
	if !ok || !isUUID(sub) {
		return "", ErrUnauthorized.with("access token without a user id")
	}
	return sub, nil
}

// inTx runs fn in a transaction, retrying it when PostgreSQL reports a
// serialization failure or deadlock, so that no race ends in a 500.
func (s *Service) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, fn)
		if !retryable(err) {
			return err
		}
	}
	return err
}
