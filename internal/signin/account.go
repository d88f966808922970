package signin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// getUser serves GET /user.
func (s *Service) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := s.requireUser(r.Context(), r, false)
	if err != nil {
		return err
	}
	if u.Disabled {
		return ErrDisabledUser
	}
	return writeJSON(w, r, u.json(false))
}

// changePassword serves POST /user/password: with a Bearer the caller's
// password, else the user of a live passwordReset ticket.
func (s *Service) changePassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		NewPassword *password `json:"newPassword"`
		Ticket      *string   `json:"ticket"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.NewPassword == nil {
		return ErrInvalidRequest.with("newPassword required")
	}
	ctx := r.Context()
	hasTicket := req.Ticket != nil && *req.Ticket != ""
	u, present, err := s.bearerUser(ctx, r)
	switch {
	case hasTicket:
		// The ticket alone suffices: the Bearer is not looked at.
		u = nil
	case err != nil:
		return err
	case !present:
		return ErrInvalidRequest.with("neither Bearer nor ticket")
	case u.IsAnonymous:
		return ErrForbiddenAnonymous
	}
	if err := s.hasher.checkLength(*req.NewPassword, s.cfg.PasswordMinLength); err != nil {
		return err
	}
	if hasTicket && !strings.HasPrefix(*req.Ticket, "passwordReset:") {
		return ErrInvalidTicket
	}
	h, err := s.hasher.hash(ctx, *req.NewPassword)
	if err != nil {
		return err
	}
	var email *string
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		userID := ""
		if u != nil {
			userID = u.ID
		} else {
			err := tx.QueryRow(ctx, `UPDATE auth.users SET ticket = NULL, ticket_expires_at = now()
				WHERE ticket = $1 AND ticket_expires_at > now() RETURNING id::text`, *req.Ticket).Scan(&userID)
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrInvalidTicket
			}
			if err != nil {
				return err
			}
		}
		if err := s.revokeOnPasswordChange(ctx, tx, userID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "UPDATE auth.users SET password_hash = $2 WHERE id = $1 RETURNING email::text", userID, h).Scan(&email)
	})
	if err != nil {
		return err
	}
	if email != nil {
		s.lockout.clear("email:" + strings.ToLower(*email))
	}
	return writeOK(w, r)
}

// emailRequest is the body of the endpoints that mail a link.
type emailRequest struct {
	Email    *string `json:"email"`
	NewEmail *string `json:"newEmail"`
	Options  *struct {
		RedirectTo *string `json:"redirectTo"`
	} `json:"options"`
}

func (e *emailRequest) redirect() *string {
	if e.Options == nil {
		return nil
	}
	return e.Options.RedirectTo
}

// passwordReset serves POST /user/password/reset: "OK" for any address;
// a mail only where it applies (signin.md §6).
func (s *Service) passwordReset(w http.ResponseWriter, r *http.Request) error {
	return s.mailTicketTo(w, r, ticketMail{prefix: "passwordReset:", lifetime: "1 hour",
		template: templatePasswordReset, linkType: "passwordReset"},
		func(u *user, email string) bool { return !u.IsAnonymous && s.emailAllowed(email) })
}

// sendVerificationEmail serves POST /user/email/send-verification-email.
func (s *Service) sendVerificationEmail(w http.ResponseWriter, r *http.Request) error {
	return s.mailTicketTo(w, r, ticketMail{prefix: "verifyEmail:", lifetime: "30 days",
		template: templateEmailVerify, linkType: "emailVerify"},
		func(u *user, _ string) bool { return !u.EmailVerified })
}

// ticketMail is what an emailed ticket is for.
type ticketMail struct {
	prefix   string // of the ticket: "passwordReset:"
	lifetime string // PostgreSQL interval
	template string
	linkType string // the link's type parameter
}

// mailTicketTo serves an endpoint that mails a ticket to the address in
// the body: "OK" for any address, the mail only to an enabled account
// for which eligible(account, address asked for) holds, so that the answer
// tells nothing about accounts.
func (s *Service) mailTicketTo(w http.ResponseWriter, r *http.Request, t ticketMail, eligible func(u *user, email string) bool) error {
	if s.mailer == nil {
		return ErrDisabledEndpoint
	}
	var req emailRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.Email == nil || !validEmail(*req.Email) {
		return ErrInvalidRequest.with("email required")
	}
	target, err := s.redirectTo(req.redirect())
	if err != nil {
		return err
	}
	ctx := r.Context()
	u, found, err := s.userByEmail(ctx, s.pool, *req.Email)
	if err != nil {
		return err
	}
	if found && !u.Disabled && eligible(u, *req.Email) {
		ticket := t.prefix + newUUID()
		if err := s.setTicket(ctx, u.ID, ticket, t.lifetime); err != nil {
			return err
		}
		s.sendMail(u, t.template, *u.Email, ticket, t.linkType, target)
	}
	return writeOK(w, r)
}

// changeEmail serves POST /user/email/change: the link goes to the new
// address.
func (s *Service) changeEmail(w http.ResponseWriter, r *http.Request) error {
	if s.mailer == nil {
		return ErrDisabledEndpoint
	}
	ctx := r.Context()
	u, err := s.requireUser(ctx, r, false)
	if err != nil {
		return err
	}
	var req emailRequest
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.NewEmail == nil || !validEmail(*req.NewEmail) {
		return ErrInvalidRequest.with("newEmail required")
	}
	target, err := s.redirectTo(req.redirect())
	if err != nil {
		return err
	}
	if !s.emailAllowed(*req.NewEmail) {
		return ErrInvalidRequest.with("newEmail refused by the access lists")
	}
	if _, taken, err := s.userByEmail(ctx, s.pool, *req.NewEmail); err != nil {
		return err
	} else if taken {
		return ErrUserAlreadyExists
	}
	ticket := "emailConfirmChange:" + newUUID()
	if _, err := s.pool.Exec(ctx, `UPDATE auth.users SET new_email = $2, ticket = $3, ticket_expires_at = now() + interval '1 hour'
		WHERE id = $1`, u.ID, *req.NewEmail, ticket); err != nil {
		return err
	}
	s.sendMail(u, templateEmailConfirmChange, *req.NewEmail, ticket, "emailConfirmChange", target)
	return writeOK(w, r)
}

// setTicket gives the user's one ticket slot a new ticket.
func (s *Service) setTicket(ctx context.Context, userID, ticket, lifetime string) error {
	_, err := s.pool.Exec(ctx, "UPDATE auth.users SET ticket = $2, ticket_expires_at = now() + $3::interval WHERE id = $1",
		userID, ticket, lifetime)
	if err != nil {
		return fmt.Errorf("set ticket: %w", err)
	}
	return nil
}

// verify serves GET /verify: it consumes an emailed ticket and redirects,
// with a new session's refresh token on success and the error in the
// query otherwise (signin.md §12.3).
func (s *Service) verify(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	ticket, given := q.Get("ticket"), q.Get("redirectTo")
	redirect := func(target string, params url.Values) error {
		// No body: http.Redirect's would be HTML.
		w.Header().Set("Location", withQuery(target, params))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusFound)
		return nil
	}
	fail := func(target, code, desc string) error {
		return redirect(target, url.Values{"error": {code}, "errorDescription": {desc}})
	}
	target := s.cfg.ClientURL
	if given != "" {
		if !s.redirectAllowed(given) {
			if s.cfg.ClientURL == "" {
				return ErrRedirectToNotAllowed
			}
			return fail(s.cfg.ClientURL, ErrRedirectToNotAllowed.Code, ErrRedirectToNotAllowed.Message)
		}
		target = given
	}
	if target == "" {
		return ErrInvalidRequest.with("no redirectTo and no AUTH_CLIENT_URL")
	}
	kind, _, _ := strings.Cut(ticket, ":")
	switch kind {
	case "verifyEmail", "passwordReset", "emailConfirmChange":
	default:
		return fail(target, ErrInvalidTicket.Code, ErrInvalidTicket.Message)
	}
	ctx := r.Context()
	var u *user
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var userID string
		err := tx.QueryRow(ctx, `UPDATE auth.users SET ticket = NULL, ticket_expires_at = now()
			WHERE ticket = $1 AND ticket_expires_at > now() RETURNING id::text`, ticket).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrInvalidTicket
		}
		if err != nil {
			return err
		}
		switch kind {
		case "verifyEmail":
			_, err = tx.Exec(ctx, "UPDATE auth.users SET email_verified = true WHERE id = $1", userID)
		case "emailConfirmChange":
			_, err = tx.Exec(ctx, `UPDATE auth.users SET email = new_email, new_email = NULL, email_verified = true
				WHERE id = $1 AND new_email IS NOT NULL`, userID)
		case "passwordReset":
			// A reset link proves the address.
			_, err = tx.Exec(ctx, "UPDATE auth.users SET email_verified = true WHERE id = $1", userID)
		}
		if err != nil {
			return err
		}
		var found bool
		u, found, err = s.userByID(ctx, tx, userID)
		if err == nil && !found {
			err = ErrInvalidTicket
		}
		return err
	})
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "23505":
		return fail(target, ErrUserAlreadyExists.Code, ErrUserAlreadyExists.Message)
	case asError(err) != nil:
		e := asError(err)
		return fail(target, e.Code, e.Message)
	case err != nil:
		return err
	}
	if err := s.checkUserOK(u); err != nil {
		e := asError(err)
		return fail(target, e.Code, e.Message)
	}
	if kind == "passwordReset" && u.Email != nil {
		s.lockout.clear("email:" + strings.ToLower(*u.Email))
	}
	sess, err := s.newSession(ctx, u)
	if err != nil {
		return err
	}
	return redirect(target, url.Values{"refreshToken": {string(sess.RefreshToken)}, "type": {kind}})
}
