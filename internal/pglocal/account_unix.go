//go:build unix

package pglocal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is the unprivileged user postgres runs as when graft runs as root.
type account struct {
	name   string
	uid    int
	gid    int
	groups []int // supplementary group ids
}

// serverAccount returns the account to run initdb and postgres as: nil (the
// current user) unless the process runs as root, which PostgreSQL refuses.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(Superuser)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL refuses to run as root and there is no %q user to run it as (%v): "+
			"create one (Debian: adduser --system --group postgres; apt-get install postgresql creates it) or run graft as a normal user",
			Superuser, err)
	}
	a := &account{name: u.Username}
	if a.uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", u.Username, u.Uid, err)
	}
	if a.gid, err = strconv.Atoi(u.Gid); err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", u.Username, u.Gid, err)
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.Atoi(s); err == nil && g != a.gid {
				a.groups = append(a.groups, g)
			}
		}
	}
	return a, nil
}

func (a *account) inGroup(gid int) bool {
	if gid == a.gid {
		return true
	}
	for _, g := range a.groups {
		if g == gid {
			return true
		}
	}
	return false
}

// checkReachable fails, naming the directory, when a directory above
// dataDir is not traversable by the account.
func (a *account) checkReachable(dataDir string) error {
	var chain []string
	for d := filepath.Dir(dataDir); ; d = filepath.Dir(d) {
		chain = append(chain, d)
		if d == filepath.Dir(d) {
			break
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		d := chain[i]
		fi, err := os.Stat(d)
		if err != nil {
			return fmt.Errorf("check data directory parent: %w", err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			continue
		}
		perm := fi.Mode().Perm()
		var can bool
		switch {
		case int(st.Uid) == a.uid:
			can = perm&0o100 != 0
		case a.inGroup(int(st.Gid)):
			can = perm&0o010 != 0
		default:
			can = perm&0o001 != 0
		}
		if !can {
			return fmt.Errorf("PostgreSQL refuses to run as root, so it runs as user %q (uid %d), "+
				"and that user cannot enter %s (mode %v), which holds the data directory %s: "+
				"make it traversable (chmod o+x %s), run graft as a normal user, "+
				"or choose a data directory elsewhere (GRAFT_DATA_DIR)",
				a.name, a.uid, d, fi.Mode(), dataDir, d)
		}
	}
	return nil
}

// own gives dir and everything in it to the account, unless dir already
// belongs to it.
func (a *account) own(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == a.uid {
		return nil
	}
	err = filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, a.uid, a.gid)
	})
	if err != nil {
		return fmt.Errorf("give data directory %s to user %s: %w", dir, a.name, err)
	}
	return nil
}

func (a *account) chown(path string) error {
	if err := os.Lchown(path, a.uid, a.gid); err != nil {
		return fmt.Errorf("give %s to user %s: %w", path, a.name, err)
	}
	return nil
}

// sysProcAttr runs a child as the account (when set). The server runs in
// its own process group, so that a terminal's Ctrl-C reaches only graft,
// which then stops the server in order, and is stopped when graft dies.
func sysProcAttr(a *account, server bool) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: server}
	if a != nil {
		groups := make([]uint32, len(a.groups))
		for i, g := range a.groups {
			groups[i] = uint32(g)
		}
		attr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: groups}
	}
	if server {
		setParentDeathSignal(attr)
	}
	return attr
}

// processAlive reports whether a process with this pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
