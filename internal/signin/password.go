package signin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// password is a password from a request. It never appears in logs.
type password string

// LogValue is part of the slog.LogValuer interface.
func (password) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// OWASP's argon2id parameters (signin.md §9.1): 19 MiB, 2 passes, 1 lane.
const (
	argonMemory  = 19456
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
	bcryptCost   = 10
	// maxPasswordChars bounds passwords; bcrypt also stops at 72 bytes.
	maxPasswordChars = 128
	bcryptMaxBytes   = 72
)

// hasher hashes and verifies passwords, at most GOMAXPROCS at a time: the
// rest wait under their request's context, so a burst of sign-ins queues
// instead of exhausting memory (argon2id takes 19 MiB each).
type hasher struct {
	bcrypt bool // write bcrypt (GRAFT_AUTH_PASSWORD_HASH=bcrypt), else argon2id
	sem    chan struct{}
	// dummy is a hash with the configured parameters that no password
	// matches; unknown users are verified against it (signin.md §9.2).
	dummy string
}

func newHasher(kind string) (*hasher, error) {
	h := &hasher{bcrypt: kind == "bcrypt", sem: make(chan struct{}, runtime.GOMAXPROCS(0))}
	var random [32]byte
	if _, err := rand.Read(random[:]); err != nil {
		return nil, err
	}
	d, err := h.hash(context.Background(), password(base64.RawStdEncoding.EncodeToString(random[:])))
	if err != nil {
		return nil, err
	}
	h.dummy = d
	return h, nil
}

func (h *hasher) acquire(ctx context.Context) error {
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *hasher) release() { <-h.sem }

// checkLength applies the length rules: at least min characters
// (password-too-short), at most 128, and 72 bytes with bcrypt
// (invalid-request): never truncated silently.
func (h *hasher) checkLength(pw password, min int) error {
	n := utf8.RuneCountInString(string(pw))
	switch {
	case n < min:
		return ErrPasswordTooShort
	case n > maxPasswordChars:
		return ErrInvalidRequest.with("password longer than 128 characters")
	case h.bcrypt && len(pw) > bcryptMaxBytes:
		return ErrInvalidRequest.with("password longer than 72 bytes, bcrypt's limit")
	}
	return nil
}

// hash returns the encoded hash of pw in the configured format.
func (h *hasher) hash(ctx context.Context, pw password) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	if h.bcrypt {
		b, err := bcrypt.GenerateFromPassword([]byte(pw), bcryptCost)
		if err != nil {
			return "", fmt.Errorf("hash password: %w", err)
		}
		return string(b), nil
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// verify reports whether pw matches encoded, running exactly one hash
// computation: against the dummy hash when encoded is empty, so that a
// missing user costs the same time. rehash says the hash should be
// rewritten in the configured format.
func (h *hasher) verify(ctx context.Context, encoded string, pw password) (ok, rehash bool, err error) {
	real := encoded != ""
	if !real {
		encoded = h.dummy
	}
	if err := h.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.release()
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		m, t, p, salt, key, perr := parseArgon2id(encoded)
		if perr != nil {
			return false, false, nil
		}
		got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
		ok = subtle.ConstantTimeCompare(got, key) == 1
		rehash = h.bcrypt || m != argonMemory || t != argonTime || p != argonThreads || len(salt) != argonSaltLen || len(key) != argonKeyLen
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		ok = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(pw)) == nil
		cost, _ := bcrypt.Cost([]byte(encoded))
		rehash = !h.bcrypt || cost != bcryptCost
	}
	return ok && real, rehash, nil
}

// parseArgon2id decodes a PHC string $argon2id$v=19$m=M,t=T,p=P$salt$hash.
func parseArgon2id(s string) (m, t uint32, p uint8, salt, key []byte, err error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return 0, 0, 0, nil, nil, fmt.Errorf("not an argon2id hash")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return 0, 0, 0, nil, nil, fmt.Errorf("argon2 version %q", parts[2])
	}
	var pp uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &pp); err != nil || m == 0 || t == 0 || pp == 0 || pp > 255 || m > 1<<22 || t > 100 {
		return 0, 0, 0, nil, nil, fmt.Errorf("argon2 parameters %q", parts[3])
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil {
		return 0, 0, 0, nil, nil, err
	}
	if key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(key) < 16 || len(key) > 64 {
		return 0, 0, 0, nil, nil, fmt.Errorf("argon2 hash length")
	}
	return m, t, uint8(pp), salt, key, nil
}
