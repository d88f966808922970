//go:build !unix

package pglocal

import (
	"errors"
	"syscall"
)

type account struct{}

func serverAccount() (*account, error) {
	return nil, errors.New("pglocal: running a private PostgreSQL is not supported on this platform; set HASURA_GRAPHQL_DATABASE_URL")
}

func (*account) checkReachable(string) error { return nil }
func (*account) own(string) error            { return nil }
func (*account) chown(string) error          { return nil }

func sysProcAttr(*account, bool) *syscall.SysProcAttr { return nil }

func isPostgresProcess(int) bool { return false }
