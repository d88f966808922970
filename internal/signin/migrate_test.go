package signin_test

import (
	"context"
	_ "embed"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/graftql/graft/internal/config"
	"github.com/graftql/graft/internal/pgtest"
	"github.com/graftql/graft/internal/signin"
)

//go:embed testdata/nhost_schema.sql
var nhostSchema string

// TestNew_AdoptNhost starts on a database Nhost Auth made: its users sign
// in with their bcrypt passwords and keep their sessions, and Nhost's
// bookkeeping is left alone.
func TestNew_AdoptNhost(t *testing.T) {
	t.Parallel()
	h, err := bcrypt.GenerateFromPassword([]byte("nhost-password"), 10)
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.New(t, "")
	if _, err := db.Pool.Exec(t.Context(), strings.Replace(nhostSchema, "$2a$10$PLACEHOLDER", string(h), 1)); err != nil {
		t.Fatal(err)
	}
	e := NewEnvOn(t, db, hs256)
	s := e.MustSignIn(t, "NHOST@example.com", "nhost-password")
	if s.User.ID != "8f9023b0-578f-43ef-a242-0a21006d9fe9" {
		t.Errorf("signed in as %s", s.User.ID)
	}
	n := sessionOf(t, e.do(t, "POST", "/token", map[string]any{"refreshToken": "8beb30da-4e0a-435b-bf2e-d935ab1b29df"}, ""))
	if n.User.ID != s.User.ID {
		t.Errorf("Nhost's refresh token: user %s", n.User.ID)
	}
	var versions, width int
	if err := db.Pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM auth.schema_migrations),
		(SELECT character_maximum_length FROM information_schema.columns WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'locale')`).Scan(&versions, &width); err != nil {
		t.Fatal(err)
	}
	if versions != 1 || width != 3 {
		t.Errorf("schema_migrations rows %d (want Nhost's one), locale width %d (want 3)", versions, width)
	}
}

func TestNew_Migrate(t *testing.T) {
	t.Parallel()
	t.Run("Fresh", func(t *testing.T) {
		t.Parallel()
		db := pgtest.New(t, "")
		NewEnvOn(t, db, hs256)
		var version int64
		var dirty bool
		if err := db.Pool.QueryRow(t.Context(), "SELECT version, dirty FROM auth.schema_migrations").Scan(&version, &dirty); err != nil || version != 19 || dirty {
			t.Errorf("schema_migrations = %d, %t, %v; want 19, false", version, dirty, err)
		}
		// A second start applies nothing and fails nothing.
		NewEnvOn(t, db, hs256)
	})
	for _, tt := range []struct {
		name, sql, want string
	}{
		{"Dirty", strings.Replace(nhostSchema, "VALUES (19, false)", "VALUES (19, true)", 1),
			"migrate auth schema: auth.schema_migrations is at version 19 (dirty: true); graft adopts Nhost Auth's schema from version 18, not dirty: run a current Nhost Auth once first"},
		{"Old", strings.Replace(nhostSchema, "VALUES (19, false)", "VALUES (12, false)", 1),
			"migrate auth schema: auth.schema_migrations is at version 12 (dirty: false); graft adopts Nhost Auth's schema from version 18, not dirty: run a current Nhost Auth once first"},
		{"Legacy", "CREATE SCHEMA auth; CREATE TABLE auth.migrations (id int);",
			"migrate auth schema: the auth schema was made by the legacy Node.js Nhost Auth (auth.migrations); run a current Nhost Auth once first"},
		{"Foreign", "CREATE SCHEMA auth; CREATE TABLE auth.users (id int);",
			"migrate auth schema: auth.users exists but neither graft nor Nhost Auth made it; move it away or drop schema auth"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := pgtest.New(t, "")
			if _, err := db.Pool.Exec(t.Context(), tt.sql); err != nil {
				t.Fatal(err)
			}
			_, err := signin.New(context.Background(), signin.Options{Settings: config.DefaultSignIn(), Pool: db.Pool,
				JWTSecret: `{"type":"HS256","key":"` + hsKey + `"}`, Logger: slog.New(slog.DiscardHandler)})
			if err == nil || err.Error() != tt.want {
				t.Errorf("New error = %v\nwant %s", err, tt.want)
			}
		})
	}
}
