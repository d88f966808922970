package pglocal

import (
	"os"
	"strconv"
	"strings"
	"syscall"
)

// setParentDeathSignal makes the kernel send the server SIGINT (fast
// shutdown) when graft dies, so that a killed graft or test binary leaves no
// server running. Go applies it after switching credentials, so it survives
// the switch to the postgres user. See Note [parent death signal] in
// startServer.
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGINT }

// isPostgresProcess reports whether pid is a live (not zombie) process named
// postgres.
func isPostgresProcess(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open || close+2 >= len(s) {
		return processAlive(pid)
	}
	comm, state := s[open+1:close], s[close+2]
	return state != 'Z' && state != 'X' && (comm == "postgres" || comm == "postmaster")
}
