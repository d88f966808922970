package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// signUpOptions are Nhost's SignUpOptions.
type signUpOptions struct {
	AllowedRoles []string        `json:"allowedRoles"`
	DefaultRole  string          `json:"defaultRole"`
	DisplayName  *string         `json:"displayName"`
	Locale       string          `json:"locale"`
	Metadata     json.RawMessage `json:"metadata"`
	RedirectTo   *string         `json:"redirectTo"`
}

// newUser is a row to insert into auth.users, with its roles.
type newUser struct {
	email        *string
	passwordHash *string
	displayName  string
	avatarURL    string
	locale       string
	defaultRole  string
	roles        []string
	anonymous    bool
	metadata     json.RawMessage
	disabled     bool
	ticket       string // "" for none
}

// signUpEmailPassword serves POST /signup/email-password, with Nhost's
// checks in Nhost's order (signin.md §6).
func (s *Service) signUpEmailPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email         *string        `json:"email"`
		Password      *password      `json:"password"`
		Options       *signUpOptions `json:"options"`
		CodeChallenge *string        `json:"codeChallenge"`
	}
	if err := decode(r, &req, false); err != nil {
		return err
	}
	if req.Email == nil || req.Password == nil || !validEmail(*req.Email) {
		return ErrInvalidRequest.with("email and password required")
	}
	if req.CodeChallenge != nil {
		return ErrInvalidRequest.with("PKCE is not supported yet")
	}
	if s.cfg.DisableSignup {
		return ErrSignupDisabled
	}
	if !s.emailAllowed(*req.Email) {
		return ErrInvalidEmailPassword
	}
	if err := s.hasher.checkLength(*req.Password, s.cfg.PasswordMinLength); err != nil {
		return err
	}
	opts := req.Options
	if opts == nil {
		opts = &signUpOptions{}
	}
	redirectTo, err := s.redirectTo(opts.RedirectTo)
	if err != nil {
		return err
	}
	nu, err := s.newUserFromOptions(opts, *req.Email)
	if err != nil {
		return err
	}
	verify := s.cfg.VerificationRequired()
	if verify {
		if ok, wait := s.allowEmail(r); !ok {
			return tooMany(wait)
		}
		nu.ticket = "verifyEmail:" + newUUID()
	}
	// Hash before the insert, so that a taken address costs the same time.
	h, err := s.hasher.hash(r.Context(), *req.Password)
	if err != nil {
		return err
	}
	nu.email, nu.passwordHash = req.Email, &h
	u, err := s.insertUser(r.Context(), nu)
	if err != nil {
		return err
	}
	if s.cfg.DisableNewUsers {
		return ErrDisabledUser
	}
	if verify {
		s.sendMail(u, templateEmailVerify, *u.Email, nu.ticket, "emailVerify", redirectTo)
		return writeJSON(w, r, struct{}{})
	}
	sess, err := s.newSession(r.Context(), u)
	if err != nil {
		return err
	}
	return writeJSON(w, r, map[string]any{"session": sess})
}

// newUserFromOptions applies options.allowedRoles, defaultRole,
// displayName, locale and metadata.
func (s *Service) newUserFromOptions(o *signUpOptions, email string) (*newUser, error) {
	nu := &newUser{roles: s.allowedRoles, defaultRole: s.cfg.DefaultRole, displayName: email,
		avatarURL: s.gravatar(email), locale: s.locale(o.Locale), disabled: s.cfg.DisableNewUsers}
	if o.AllowedRoles != nil {
		for _, role := range o.AllowedRoles {
			if !slices.Contains(s.allowedRoles, role) {
				return nil, ErrRoleNotAllowed
			}
		}
		nu.roles = o.AllowedRoles
	}
	if o.DefaultRole != "" {
		if !slices.Contains(nu.roles, o.DefaultRole) {
			return nil, ErrDefaultRoleMustBeInAllowedRoles
		}
		nu.defaultRole = o.DefaultRole
	} else if !slices.Contains(nu.roles, nu.defaultRole) {
		return nil, ErrDefaultRoleMustBeInAllowedRoles
	}
	if o.DisplayName != nil {
		d := *o.DisplayName
		if utf8.RuneCountInString(d) > 32 || !displayNamePattern.MatchString(d) {
			return nil, ErrInvalidRequest.with("displayName")
		}
		nu.displayName = d
	}
	md, err := checkMetadata(o.Metadata)
	if err != nil {
		return nil, err
	}
	nu.metadata = md
	return nu, nil
}

// checkMetadata accepts a JSON object or null.
func checkMetadata(md json.RawMessage) (json.RawMessage, error) {
	t := strings.TrimSpace(string(md))
	if t == "" || t == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, ErrInvalidRequest.with("metadata is not an object")
	}
	return md, nil
}

// insertUser stores nu and its roles in one transaction; a taken email is
// user-already-exists.
func (s *Service) insertUser(ctx context.Context, nu *newUser) (*user, error) {
	var u *user
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var ticket, md any
		if nu.ticket != "" {
			ticket = nu.ticket
		}
		if nu.metadata != nil {
			md = string(nu.metadata)
		}
		var id string
		err := tx.QueryRow(ctx, `INSERT INTO auth.users (email, password_hash, display_name, avatar_url, locale, default_role,
				is_anonymous, metadata, disabled, ticket, ticket_expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, now() + interval '30 days') RETURNING id::text`,
			nu.email, nu.passwordHash, nu.displayName, nu.avatarURL, nu.locale, nu.defaultRole, nu.anonymous, md,
			nu.disabled, ticket).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO auth.user_roles (user_id, role) SELECT $1, unnest($2::text[])`, id, nu.roles); err != nil {
			return err
		}
		var found bool
		u, found, err = s.userByID(ctx, tx, id)
		if err == nil && !found {
			err = errors.New("inserted user not found")
		}
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && (pe.ConstraintName == "users_email_key" || pe.ConstraintName == "users_phone_number_key") {
		return nil, ErrUserAlreadyExists
	}
	if err != nil {
		return nil, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

// signInAnonymous serves POST /signin/anonymous.
func (s *Service) signInAnonymous(w http.ResponseWriter, r *http.Request) error {
	if !s.cfg.AnonymousUsersEnabled {
		return ErrDisabledEndpoint
	}
	if s.cfg.DisableSignup {
		return ErrSignupDisabled
	}
	var req struct {
		DisplayName *string         `json:"displayName"`
		Locale      string          `json:"locale"`
		Metadata    json.RawMessage `json:"metadata"`
	}
	if err := decode(r, &req, true); err != nil {
		return err
	}
	nu := &newUser{displayName: "Anonymous User", locale: s.locale(req.Locale), defaultRole: "anonymous",
		roles: []string{"anonymous"}, anonymous: true}
	if req.DisplayName != nil {
		if utf8.RuneCountInString(*req.DisplayName) > 32 || !displayNamePattern.MatchString(*req.DisplayName) {
			return ErrInvalidRequest.with("displayName")
		}
		nu.displayName = *req.DisplayName
	}
	md, err := checkMetadata(req.Metadata)
	if err != nil {
		return err
	}
	nu.metadata = md
	u, err := s.insertUser(r.Context(), nu)
	if err != nil {
		return err
	}
	sess, err := s.newSession(r.Context(), u)
	if err != nil {
		return err
	}
	return writeJSON(w, r, map[string]any{"session": sess})
}

// retryable reports serialization failures and deadlocks.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
