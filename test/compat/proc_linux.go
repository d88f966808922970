package main

import "syscall"

// childAttr makes graft receive SIGTERM if this process dies without
// stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
