#!/usr/bin/env bash
# Runs every check graft has, from the repository root: gofmt, go vet, the Go
# tests (against a real PostgreSQL: GRAFT_TEST_DATABASE_URL, else a private
# cluster from the local installation), then Hasura's own test cases against a
# freshly started graft (go run ./test/compat: it builds graft and the runner,
# starts and removes its own PostgreSQL and grafts, and fails when a suite
# passes fewer cases than scripts/compat-floors records). Every step runs even
# after a failure; the script exits non-zero if any failed.
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

step gofmt check_gofmt
step "go vet" go vet ./...
step "go test" go test -timeout 15m ./...
step "conformance" go run ./test/compat

if [ ${#failed[@]} -gt 0 ]; then
	printf '\nFAILED: %s (%ds)\n' "${failed[*]}" $((SECONDS - start)) >&2
	exit 1
fi
printf '\nall checks passed in %ds\n' $((SECONDS - start))
