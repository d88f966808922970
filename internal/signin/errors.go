package signin

import (
	"errors"
	"net/http"
)

// Error is an answer of the service in Nhost's error envelope:
// {"error": Code, "message": Message, "status": Status}. Its codes and
// messages are Nhost's (nhost/nhost: services/auth/go/controller/errors.go;
// signin.md §7).
type Error struct {
	Code    string
	Status  int
	Message string
	// Sensitive errors become invalid-request with AUTH_CONCEAL_ERRORS.
	Sensitive bool
	// RetryAfter is sent as Retry-After (seconds) with 429.
	RetryAfter int
	// Detail says more than Message for the log, never for the client.
	Detail string
}

func (e *Error) Error() string {
	if e.Detail != "" {
		return e.Code + ": " + e.Detail
	}
	return e.Code
}

// with returns a copy of e that logs detail.
func (e *Error) with(detail string) *Error {
	c := *e
	c.Detail = detail
	return &c
}

func newError(code string, status int, message string, sensitive bool) *Error {
	return &Error{Code: code, Status: status, Message: message, Sensitive: sensitive}
}

// The errors of signin.md §7.
var (
	ErrInvalidRequest                  = newError("invalid-request", http.StatusBadRequest, "The request payload is incorrect", false)
	ErrPasswordTooShort                = newError("password-too-short", http.StatusBadRequest, "Password is too short", false)
	ErrRedirectToNotAllowed            = newError("redirectTo-not-allowed", http.StatusBadRequest, `The value of "options.redirectTo" is not allowed.`, false)
	ErrRoleNotAllowed                  = newError("role-not-allowed", http.StatusBadRequest, "Role not allowed", true)
	ErrDefaultRoleMustBeInAllowedRoles = newError("default-role-must-be-in-allowed-roles", http.StatusBadRequest, "Default role must be in allowed roles", false)
	ErrNoTOTPSecret                    = newError("no-totp-secret", http.StatusBadRequest, "User does not have a TOTP secret", true)
	ErrTOTPAlreadyActive               = newError("totp-already-active", http.StatusBadRequest, "TOTP MFA is already active", false)
	ErrInvalidEmailPassword            = newError("invalid-email-password", http.StatusUnauthorized, "Incorrect email or password", true)
	ErrDisabledUser                    = newError("disabled-user", http.StatusUnauthorized, "User is disabled", true)
	ErrUnverifiedUser                  = newError("unverified-user", http.StatusUnauthorized, "User is not verified.", true)
	ErrInvalidRefreshToken             = newError("invalid-refresh-token", http.StatusUnauthorized, "Invalid or expired refresh token", true)
	ErrInvalidPAT                      = newError("invalid-pat", http.StatusUnauthorized, "Invalid or expired personal access token", true)
	ErrInvalidTicket                   = newError("invalid-ticket", http.StatusUnauthorized, "Invalid ticket", true)
	ErrInvalidTOTP                     = newError("invalid-totp", http.StatusUnauthorized, "Invalid TOTP code", true)
	ErrDisabledMFATOTP                 = newError("disabled-mfa-totp", http.StatusUnauthorized, "User does not have TOTP MFA enabled", true)
	ErrUnauthorized                    = newError("unauthorized", http.StatusUnauthorized, "Missing or invalid access token", false)
	ErrForbiddenAnonymous              = newError("forbidden-anonymous", http.StatusForbidden, "Forbidden, user is anonymous.", true)
	ErrSignupDisabled                  = newError("signup-disabled", http.StatusForbidden, "Sign up is disabled.", true)
	ErrNotFound                        = newError("not-found", http.StatusNotFound, "Not found", false)
	ErrDisabledEndpoint                = newError("disabled-endpoint", http.StatusConflict, "This endpoint is disabled", false)
	ErrUserAlreadyExists               = newError("user-already-exists", http.StatusConflict, "User already exists", true)
	ErrTooManyRequests                 = newError("too-many-requests", http.StatusTooManyRequests, "Too many requests", false)
	ErrInternal                        = newError("internal-server-error", http.StatusInternalServerError, "Internal server error", false)
)

// asError returns the *Error in err's chain, or nil.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
