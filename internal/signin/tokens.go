package signin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"

	"github.com/google/uuid"
)

// refreshToken is a refresh token or PAT: the secret a client keeps. It
// never appears in logs; only its hash is stored (signin.md §8.1).
type refreshToken string

// LogValue is part of the slog.LogValuer interface.
func (refreshToken) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// newUUID returns a random UUIDv4 from crypto/rand, in lower case.
func newUUID() string { return uuid.NewString() }

// formatUUID writes 16 bytes as a UUIDv4 (version and variant bits set).
func formatUUID(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

// isUUID reports whether s is a UUID in the canonical 8-4-4-4-12 form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// hashToken is the stored form of a refresh token or PAT, Nhost's
// ('\x' || hex(SHA-256(token)), nhost/hasura-auth: go/controller/secrets.go),
// equal to PostgreSQL's sha256(token::bytea)::text.
func hashToken(t refreshToken) string {
	sum := sha256.Sum256([]byte(t))
	return `\x` + hex.EncodeToString(sum[:])
}

// successor is the token that replaces t on rotation: the first 16 bytes
// of HMAC-SHA-256(key, t) as a UUIDv4. Being derived, it can be handed to
// requests that race on t without being stored (signin.md §8.1).
func successor(key refreshKey, t refreshToken) refreshToken {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(t))
	var b [16]byte
	copy(b[:], m.Sum(nil))
	return refreshToken(formatUUID(b))
}
