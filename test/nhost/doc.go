// Package nhost tests graft's sign-in service with Nhost's official npm
// clients: @nhost/nhost-js 4.x and the legacy 3.x (NhostClient over
// @nhost/hasura-auth-js), as an existing Nhost app would use them
// (signin.md §13). clients_test.go starts graft with GRAFT_AUTH_ENABLED
// and no JWT configuration, and runs clients.test.mjs with node's test
// runner; `npm ci` in this directory installs the clients (scripts/test.sh
// and .ci/run do it).
package nhost
