package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Note [refresh token families]
//
// A family is one regular row of auth.refresh_tokens: its id is the
// Session's refreshTokenId and never changes, its refresh_token_hash is
// the hash of the current token. POST /token with T rotates in one
// transaction: the row whose hash is hash(T) gets hash(T′), where
// T′ = successor(T), and hash(T) goes to auth.graft_refresh_token_history
// with the time it retired. Racing requests with T block on the row lock,
// then find no current row and look T up in the history (signin.md §8.2):
//
//   - retired at most GRAFT_AUTH_REFRESH_GRACE_SECONDS ago: answer with the
//     family's current token, found by applying successor() to T until its
//     hash is the current one (at most 5 steps), and a fresh access token.
//     Nothing rotates, so every racer ends up with the same token: several
//     tabs refreshing at once stay signed in.
//   - retired earlier: reuse of a stolen or replayed token (RFC 9700
//     §4.14.2). The whole family is deleted (the history cascades) and a
//     warning is logged; thief and victim both sign in again.
//   - not found at all: 401 invalid-refresh-token.
//
// Deleting a family's row revokes it: its tokens and their history go.

// maxSuccessorSteps bounds the walk from a retired token to the current
// one in the grace window.
const maxSuccessorSteps = 5

// refresh serves POST /token: the bare Session.
func (s *Service) refresh(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RefreshToken *refreshToken `json:"refreshToken"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.RefreshToken == nil || !isUUID(string(*req.RefreshToken)) {
		return ErrInvalidRequest.with("refreshToken is not a UUID")
	}
	sess, err := s.rotate(r.Context(), *req.RefreshToken)
	if err != nil {
		return err
	}
	return writeJSON(w, r, sess)
}

// rotate exchanges t for a session (Note [refresh token families]).
func (s *Service) rotate(ctx context.Context, t refreshToken) (*sessionJSON, error) {
	old := hashToken(t)
	next := successor(s.refreshKey, t)
	var sess *sessionJSON
	var reused *reuse
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		sess, reused = nil, nil
		var familyID, userID string
		err := tx.QueryRow(ctx, `UPDATE auth.refresh_tokens
			SET refresh_token_hash = $2, expires_at = now() + $3 * interval '1 second'
			WHERE refresh_token_hash = $1 AND type = 'regular' AND expires_at > now()
			RETURNING id::text, user_id::text`, old, hashToken(next), int64(s.cfg.RefreshTokenExpiresIn/time.Second)).Scan(&familyID, &userID)
		switch {
		case err == nil:
			if _, err := tx.Exec(ctx, `INSERT INTO auth.graft_refresh_token_history (refresh_token_hash, refresh_token_id, retired_at)
				VALUES ($1, $2, now()) ON CONFLICT DO NOTHING`, old, familyID); err != nil {
				return err
			}
			u, err := s.sessionUser(ctx, tx, userID)
			if err != nil {
				return err
			}
			sess, err = s.session(u, next, familyID)
			return err
		case errors.Is(err, pgx.ErrNoRows):
			var current string
			var inGrace bool
			err := tx.QueryRow(ctx, `SELECT r.id::text, r.user_id::text, r.refresh_token_hash, h.retired_at >= now() - $2 * interval '1 millisecond'
				FROM auth.graft_refresh_token_history h JOIN auth.refresh_tokens r ON r.id = h.refresh_token_id
				WHERE h.refresh_token_hash = $1 AND r.type = 'regular' AND r.expires_at > now()`,
				old, s.cfg.RefreshGrace.Milliseconds()).Scan(&familyID, &userID, &current, &inGrace)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrInvalidRefreshToken
			}
			if err != nil {
				return err
			}
			if !inGrace || s.cfg.RefreshGrace <= 0 {
				if _, err := tx.Exec(ctx, "DELETE FROM auth.refresh_tokens WHERE id = $1", familyID); err != nil {
					return err
				}
				reused = &reuse{familyID: familyID, userID: userID}
				return nil
			}
			cand := t
			for range maxSuccessorSteps {
				cand = successor(s.refreshKey, cand)
				if hashToken(cand) == current {
					u, err := s.sessionUser(ctx, tx, userID)
					if err != nil {
						return err
					}
					sess, err = s.session(u, cand, familyID)
					return err
				}
			}
			return ErrInvalidRefreshToken.with("retired token too many rotations behind")
		default:
			return err
		}
	})
	if err != nil {
		return nil, err
	}
	if reused != nil {
		s.log.Warn("refresh token reused after its grace window: family revoked", logKeyUserID, reused.userID, logKeyFamily, reused.familyID)
		return nil, ErrInvalidRefreshToken.with("reuse")
	}
	// last_seen is a hint: set it outside the rotation, so that the
	// transaction locks one row only.
	s.touch(ctx, sess.User.ID)
	return sess, nil
}

type reuse struct{ familyID, userID string }

// sessionUser loads the user of a refresh and checks it may still have a
// session; an error rolls the rotation back.
func (s *Service) sessionUser(ctx context.Context, tx pgx.Tx, userID string) (*user, error) {
	u, found, err := s.userByID(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrInvalidRefreshToken
	}
	if err := s.checkUserOK(u); err != nil {
		return nil, err
	}
	return u, nil
}

// touch sets users.last_seen; failure only logs.
func (s *Service) touch(ctx context.Context, userID string) {
	if _, err := s.pool.Exec(ctx, "UPDATE auth.users SET last_seen = now() WHERE id = $1", userID); err != nil && ctx.Err() == nil {
		s.log.Warn("last_seen not updated", logKeyUserID, userID, logKeyError, err)
	}
}

// verifyToken serves POST /token/verify: the body's token, else the
// Bearer, must be a valid access token.
func (s *Service) verifyToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Token *string `json:"token"`
	}
	if err := decode(r, &req, true); err != nil {
		return err
	}
	tok := ""
	if req.Token != nil && *req.Token != "" {
		tok = *req.Token
	} else {
		b, present, err := bearerToken(r)
		if err != nil {
			return err
		}
		if !present {
			return ErrUnauthorized.with("no token")
		}
		tok = b
	}
	if _, err := s.verifyAccessToken(tok); err != nil {
		return err
	}
	return writeOK(w, r)
}

// signOut serves POST /signout (signin.md §6, §8.3).
func (s *Service) signOut(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		RefreshToken *refreshToken `json:"refreshToken"`
		All          bool          `json:"all"`
	}
	if err := decode(r, &req, true); err != nil {
		return err
	}
	ctx := r.Context()
	if req.RefreshToken != nil && !isUUID(string(*req.RefreshToken)) {
		return ErrInvalidRequest.with("refreshToken is not a UUID")
	}
	if !req.All {
		if req.RefreshToken == nil {
			return ErrInvalidRequest.with("refreshToken or all required")
		}
		// The body alone suffices: the Bearer is not looked at.
		if err := s.revokeToken(ctx, *req.RefreshToken); err != nil {
			return err
		}
		return writeOK(w, r)
	}
	u, present, err := s.bearerUser(ctx, r)
	userID := ""
	switch {
	case err == nil && present:
		userID = u.ID
	case req.RefreshToken != nil:
		// An invalid Bearer is ignored when the body names the user.
		id, ok, err := s.refreshTokenUser(ctx, *req.RefreshToken)
		if err != nil {
			return err
		}
		if !ok {
			return ErrUnauthorized.with("sign out all: no valid Bearer or refresh token")
		}
		userID = id
	case err != nil:
		return err
	default:
		return ErrUnauthorized.with("sign out all: no Bearer")
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM auth.refresh_tokens WHERE user_id = $1 AND type = 'regular'", userID); err != nil {
		return fmt.Errorf("sign out all: %w", err)
	}
	return writeOK(w, r)
}

// revokeToken deletes the family whose current token or history holds t,
// or the PAT t.
func (s *Service) revokeToken(ctx context.Context, t refreshToken) error {
	h := hashToken(t)
	_, err := s.pool.Exec(ctx, `DELETE FROM auth.refresh_tokens WHERE refresh_token_hash = $1
		OR id = (SELECT refresh_token_id FROM auth.graft_refresh_token_history WHERE refresh_token_hash = $1)`, h)
	if err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// refreshTokenUser returns the user of a live regular refresh token.
func (s *Service) refreshTokenUser(ctx context.Context, t refreshToken) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT user_id::text FROM auth.refresh_tokens
		WHERE refresh_token_hash = $1 AND type = 'regular' AND expires_at > now()`, hashToken(t)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return id, true, nil
}

// revokeOnPasswordChange applies GRAFT_AUTH_PASSWORD_CHANGE_REVOKES
// (signin.md §8.3) inside the password change's transaction. It runs
// before the users row is updated, so that locks are taken in the order
// the rotation takes them (token rows, then the user).
func (s *Service) revokeOnPasswordChange(ctx context.Context, tx pgx.Tx, userID string) error {
	var q string
	switch s.cfg.PasswordChangeRevokes {
	case "all":
		q = "DELETE FROM auth.refresh_tokens WHERE user_id = $1"
	case "sessions":
		q = "DELETE FROM auth.refresh_tokens WHERE user_id = $1 AND type = 'regular'"
	default:
		return nil
	}
	_, err := tx.Exec(ctx, q, userID)
	return err
}

// cleanupBatch is how many rows one statement of the sweep deletes.
const cleanupBatch = 1000

// cleanupLockKey serializes the sweep of several grafts ("graft-cln").
const cleanupLockKey = 0x67726166_74636c6e

// Cleanup deletes expired refresh tokens (both types) and history rows
// retired longer than the refresh lifetime ago, in batches of 1,000,
// unless another graft is sweeping (signin.md §8.4). It returns the number
// of rows deleted.
func (s *Service) Cleanup(ctx context.Context) (int64, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", int64(cleanupLockKey)).Scan(&locked); err != nil {
		return 0, err
	}
	if !locked {
		return 0, nil
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(cleanupLockKey))
	var total int64
	life := int64(s.cfg.RefreshTokenExpiresIn / time.Second)
	for _, step := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM auth.refresh_tokens WHERE id IN (SELECT id FROM auth.refresh_tokens WHERE expires_at <= now() LIMIT $1)`,
			[]any{cleanupBatch}},
		{`DELETE FROM auth.graft_refresh_token_history WHERE refresh_token_hash IN (SELECT refresh_token_hash
			FROM auth.graft_refresh_token_history WHERE retired_at < now() - $2 * interval '1 second' LIMIT $1)`,
			[]any{cleanupBatch, life}},
	} {
		for {
			tag, err := conn.Exec(ctx, step.sql, step.args...)
			if err != nil {
				return total, fmt.Errorf("cleanup: %w", err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < cleanupBatch {
				break
			}
		}
	}
	return total, nil
}
