//go:build unix && !linux

package pglocal

import "syscall"

// setParentDeathSignal is a no-op where the kernel has no parent-death
// signal; a killed graft leaves its server running.
func setParentDeathSignal(*syscall.SysProcAttr) {}

// isPostgresProcess reports whether pid is alive; without /proc its name
// is not checked.
func isPostgresProcess(pid int) bool { return processAlive(pid) }
