#!/usr/bin/env bash
# Runs graft from the repository root with its web console: builds the
# console (console/, with npm) when Node.js is installed and the build is
# missing or older than its sources, then runs graft with
# HASURA_GRAPHQL_ENABLE_CONSOLE=true unless that is set. Arguments go to
# graft (./scripts/run.sh serve --help). Without npm, graft still runs and
# /console explains how to build the console.
set -euo pipefail
cd "$(dirname "$0")/.."

# console_stale reports whether the built console is missing or older than
# any of its sources.
console_stale() {
	local built=internal/console/dist/console/index.html
	[ -f "$built" ] || return 0
	[ -n "$(find console/src console/index.html console/package.json console/package-lock.json console/vite.config.ts \
		-newer "$built" -print -quit)" ]
}

if command -v npm >/dev/null 2>&1; then
	if console_stale; then
		echo "building the console (console/, npm run build)" >&2
		(
			cd console
			if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
				npm ci --no-audit --no-fund --loglevel=error
			fi
			if ! out=$(npm run --silent build 2>&1); then
				printf '%s\n' "$out" >&2
				exit 1
			fi
		)
	fi
elif [ ! -f internal/console/dist/console/index.html ]; then
	echo "npm not found: graft runs without its console (/console says how to build it)" >&2
fi

export HASURA_GRAPHQL_ENABLE_CONSOLE="${HASURA_GRAPHQL_ENABLE_CONSOLE:-true}"
exec go run ./cmd/graft "$@"
