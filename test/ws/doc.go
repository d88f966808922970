// Package ws tests graft's websockets with the real npm clients:
// graphql-ws 6.x (protocol graphql-transport-ws) and
// subscriptions-transport-ws 0.11 (Apollo's graphql-ws). clients_test.go
// starts graft with JWT authentication and runs clients.test.mjs with
// node's test runner; `npm ci` in this directory installs the clients
// (scripts/test.sh and .ci/run do it).
package ws
