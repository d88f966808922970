package pgtest

import "errors"

// startPrivate starts a private cluster from the local installation and
// returns its admin URL.
func startPrivate() (string, error) {
	return "", errors.New("private cluster not implemented yet; set GRAFT_TEST_DATABASE_URL")
}
