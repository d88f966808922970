package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		code       int
		wantStdout string // substring
		wantStderr string // exact
	}{
		{"Version", []string{"version"}, nil, 0, "graft " + version, ""},
		{"Help", []string{"serve", "--help"}, nil, 0, "HASURA_GRAPHQL_DATABASE_URL", ""},
		{"BadPort", nil, map[string]string{"HASURA_GRAPHQL_SERVER_PORT": "abc"}, 1, "",
			"graft: HASURA_GRAPHQL_SERVER_PORT: \"abc\" is not a valid port\n"},
		{"UnknownCommand", []string{"launch"}, nil, 1, "",
			"graft: unknown command \"launch\": graft knows serve (see graft serve --help)\n"},
		{"JWTWithoutAdminSecret", nil, map[string]string{
			"HASURA_GRAPHQL_DATABASE_URL": "postgres://127.0.0.1:1/db",
			"HASURA_GRAPHQL_JWT_SECRET":   `{"type":"HS256","key":"0123456789abcdef0123456789abcdef"}`,
		}, 1, "", "graft: Fatal Error : --jwt-secret (HASURA_GRAPHQL_JWT_SECRET) requires --admin-secret (HASURA_GRAPHQL_ADMIN_SECRET) or  --access-key (HASURA_GRAPHQL_ACCESS_KEY) to be set\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			getenv := func(k string) string { return tt.env[k] }
			code := run(tt.args, getenv, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout.String())
			}
			if stderr.String() != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", stderr.String(), tt.wantStderr)
			}
		})
	}
}
