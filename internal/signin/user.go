package signin

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// user is a row of auth.users with its roles.
type user struct {
	ID                  string
	CreatedAt           time.Time
	DisplayName         string
	AvatarURL           string
	Locale              string
	Email               *string
	PhoneNumber         *string
	EmailVerified       bool
	PhoneNumberVerified bool
	DefaultRole         string
	IsAnonymous         bool
	Metadata            json.RawMessage
	ActiveMFAType       *string
	Disabled            bool
	PasswordHash        *string
	TOTPSecret          *string
	Roles               []string // auth.user_roles
}

// userJSON is Nhost's User object (signin.md §5): email and phoneNumber
// are omitted when NULL, everything else is always present.
type userJSON struct {
	AvatarURL           string          `json:"avatarUrl"`
	CreatedAt           time.Time       `json:"createdAt"`
	DefaultRole         string          `json:"defaultRole"`
	DisplayName         string          `json:"displayName"`
	Email               *string         `json:"email,omitempty"`
	EmailVerified       bool            `json:"emailVerified"`
	ID                  string          `json:"id"`
	IsAnonymous         bool            `json:"isAnonymous"`
	Locale              string          `json:"locale"`
	Metadata            json.RawMessage `json:"metadata"`
	PhoneNumber         *string         `json:"phoneNumber,omitempty"`
	PhoneNumberVerified bool            `json:"phoneNumberVerified"`
	Roles               []string        `json:"roles"`
	ActiveMFAType       *string         `json:"activeMfaType"`
}

// json renders u; inSession appends the default role to the roles when
// missing, as Nhost does in sessions.
func (u *user) json(inSession bool) userJSON {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	if inSession {
		roles = u.allowedRoles()
	}
	md := u.Metadata
	if len(md) == 0 {
		md = json.RawMessage("null")
	}
	return userJSON{AvatarURL: u.AvatarURL, CreatedAt: u.CreatedAt.UTC(), DefaultRole: u.DefaultRole, DisplayName: u.DisplayName,
		Email: u.Email, EmailVerified: u.EmailVerified, ID: u.ID, IsAnonymous: u.IsAnonymous, Locale: u.Locale, Metadata: md,
		PhoneNumber: u.PhoneNumber, PhoneNumberVerified: u.PhoneNumberVerified, Roles: roles, ActiveMFAType: u.ActiveMFAType}
}

// allowedRoles are the roles of the access token: the user's roles plus
// the default role.
func (u *user) allowedRoles() []string {
	roles := slices.Clone(u.Roles)
	if roles == nil {
		roles = []string{}
	}
	if !slices.Contains(roles, u.DefaultRole) {
		roles = append(roles, u.DefaultRole)
	}
	return roles
}

const userColumns = `u.id::text, u.created_at, u.display_name, u.avatar_url, u.locale, u.email::text, u.phone_number,
	u.email_verified, u.phone_number_verified, u.default_role, u.is_anonymous, u.metadata, u.active_mfa_type,
	u.disabled, u.password_hash, u.totp_secret,
	coalesce((SELECT array_agg(r.role ORDER BY r.created_at, r.role) FROM auth.user_roles r WHERE r.user_id = u.id), '{}')`

// querier is a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func scanUser(row pgx.Row) (*user, error) {
	u := &user{}
	var md []byte
	err := row.Scan(&u.ID, &u.CreatedAt, &u.DisplayName, &u.AvatarURL, &u.Locale, &u.Email, &u.PhoneNumber,
		&u.EmailVerified, &u.PhoneNumberVerified, &u.DefaultRole, &u.IsAnonymous, &md, &u.ActiveMFAType,
		&u.Disabled, &u.PasswordHash, &u.TOTPSecret, &u.Roles)
	if err != nil {
		return nil, err
	}
	if md != nil {
		u.Metadata = md
	}
	return u, nil
}

// userByID loads a user; found is false when there is none.
func (s *Service) userByID(ctx context.Context, q querier, id string) (*user, bool, error) {
	if !isUUID(id) {
		return nil, false, nil
	}
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userColumns+" FROM auth.users u WHERE u.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load user: %w", err)
	}
	return u, true, nil
}

// userByEmail loads a user by email, case-insensitively (citext).
func (s *Service) userByEmail(ctx context.Context, q querier, email string) (*user, bool, error) {
	u, err := scanUser(q.QueryRow(ctx, "SELECT "+userColumns+" FROM auth.users u WHERE u.email = $1::"+s.citext, email))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("load user: %w", err)
	}
	return u, true, nil
}

// emailPattern is the CHECK of the domain auth.email.
var emailPattern = regexp.MustCompile(`^[a-zA-Z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)

// validEmail reports whether e is an address auth.email accepts.
func validEmail(e string) bool { return len(e) <= 254 && emailPattern.MatchString(e) }

// emailAllowed applies the access lists (AUTH_ACCESS_CONTROL_*).
func (s *Service) emailAllowed(email string) bool {
	e := strings.ToLower(email)
	_, domain, _ := strings.Cut(e, "@")
	eq := func(list []string, v string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
	}
	if eq(s.cfg.BlockedEmails, e) || eq(s.cfg.BlockedEmailDomains, domain) {
		return false
	}
	if len(s.cfg.AllowedEmails) == 0 && len(s.cfg.AllowedEmailDomains) == 0 {
		return true
	}
	return eq(s.cfg.AllowedEmails, e) || eq(s.cfg.AllowedEmailDomains, domain)
}

// gravatar is the avatarUrl of a new user with email e.
func (s *Service) gravatar(e string) string {
	if !s.cfg.GravatarEnabled {
		return ""
	}
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(e))))
	return "https://www.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?d=" + url.QueryEscape(s.cfg.GravatarDefault) +
		"&r=" + url.QueryEscape(s.cfg.GravatarRating)
}

// locale returns l when allowed, else the default (silently, as Nhost).
func (s *Service) locale(l string) string {
	if l != "" && slices.Contains(s.cfg.AllowedLocales, l) {
		return l
	}
	return s.cfg.LocaleDefault
}

// displayNamePattern is Nhost's rule for displayName.
var displayNamePattern = regexp.MustCompile(`^[\p{L}\p{N}\p{S} ,.'-]+$`)

// checkUserOK reports disabled and unverified users, for every way of
// getting a session.
func (s *Service) checkUserOK(u *user) error {
	if u.Disabled {
		return ErrDisabledUser
	}
	if s.cfg.VerificationRequired() && !u.IsAnonymous && u.Email != nil && !u.EmailVerified {
		return ErrUnverifiedUser
	}
	return nil
}
