#!/usr/bin/env bash
# Runs every check graft has, from the repository root: gofmt, the console's
# build (console/, npm), go vet, the Go tests (against a real PostgreSQL:
# GRAFT_TEST_DATABASE_URL, else a private cluster from the local
# installation), the console's browser tests (Chromium at /usr/bin/chromium,
# or CHROMIUM; screenshots in results/console/), then Hasura's own test cases
# against a freshly started graft (go run ./test/compat: it builds graft and
# the runner, starts and removes its own PostgreSQL and grafts, and fails
# when a suite passes fewer cases than scripts/compat-floors records). Every
# step runs even after a failure; the script exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
start=$SECONDS
failed=()

step() {
	local name=$1
	shift
	printf '\n== %s (%ds)\n' "$name" $((SECONDS - start))
	"$@" || failed+=("$name")
}

check_gofmt() {
	local unformatted
	unformatted=$(gofmt -l cmd internal test) || return 1
	if [ -n "$unformatted" ]; then
		printf 'gofmt would change:\n%s\n' "$unformatted" >&2
		return 1
	fi
}

# console_build installs the console's npm packages (when the lock file
# changed) and builds it into internal/console/dist, where go:embed and
# internal/console's tests find it.
console_build() {
	command -v npm >/dev/null || { echo "npm not found: the console needs Node.js and npm" >&2; return 1; }
	(
		cd console || exit 1
		if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
			npm ci --no-audit --no-fund --loglevel=error || exit 1
		fi
		npm run --silent build -- --logLevel warn
	)
}

# console_browser_tests drives Debian's Chromium (playwright-core) against a
# graft built with the console; screenshots go to results/console/.
console_browser_tests() {
	(cd console && npm test --silent)
}

# ws_clients installs the npm websocket clients that test/ws drives
# (graphql-ws, subscriptions-transport-ws) when the lock file changed.
ws_clients() {
	command -v npm >/dev/null || { echo "npm not found: test/ws needs Node.js and npm" >&2; return 1; }
	(
		cd test/ws || exit 1
		if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
			npm ci --no-audit --no-fund --loglevel=error || exit 1
		fi
	)
}

# nhost_clients installs Nhost's npm clients that test/nhost drives
# (@nhost/nhost-js 4.x and 3.x, jsqr, pngjs) when the lock file changed.
nhost_clients() {
	command -v npm >/dev/null || { echo "npm not found: test/nhost needs Node.js and npm" >&2; return 1; }
	(
		cd test/nhost || exit 1
		if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
			npm ci --no-audit --no-fund --loglevel=error || exit 1
		fi
	)
}

step gofmt check_gofmt
step "console build" console_build
step "websocket clients" ws_clients
step "nhost clients" nhost_clients
step "go vet" go vet ./...
step "go test" go test -timeout 15m ./...
step "console browser tests" console_browser_tests
step "conformance" go run ./test/compat

if [ ${#failed[@]} -gt 0 ]; then
	printf '\nFAILED: %s (%ds)\n' "${failed[*]}" $((SECONDS - start)) >&2
	exit 1
fi
printf '\nall checks passed in %ds\n' $((SECONDS - start))
