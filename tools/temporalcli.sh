#!/usr/bin/env bash
# temporalcli.sh installs the official `temporal` CLI (github.com/temporalio/cli,
# an external tool: Meridian never imports its code) at a pinned version and
# prints the binary's path on stdout:
#
#   tools/temporalcli.sh                  # install once, print the path
#   MERIDIAN_TEMPORAL_CLI=$(tools/temporalcli.sh) go test ./tests/temporalcli/
#
# The binary goes to ${MERIDIAN_CACHE:-~/.cache/meridian}/tools/temporal-<ver>/
# and is built with `go install` from the Go module proxy the first time
# (a few minutes on a small machine); later runs only print the path.
#
# The pin is v1.5.1, the newest release `go install ...@version` accepts:
# v1.9.1's go.mod has a replace directive (cliext => ./cliext), which
# `go install pkg@version` refuses. Any release talks to Meridian over the
# public API, so the pin does not need to match go.mod's go.temporal.io/api.
set -euo pipefail

version="${TEMPORAL_CLI_VERSION:-v1.5.1}"
go="${GO:-go}"
tools="${MERIDIAN_CACHE:-$HOME/.cache/meridian}/tools"
dir="$tools/temporal-$version"
bin="$dir/temporal"

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi

if ! command -v "$go" >/dev/null 2>&1; then
	echo "error: '$go' was not found in PATH." >&2
	echo "Installing the temporal CLI $version needs Go: install it from https://go.dev/dl/ (or set GO) and retry." >&2
	exit 1
fi

mkdir -p "$tools"
# One install at a time (concurrent `make test`s share the cache); the
# binary appears under its final name only once it is complete.
exec 9>"$tools/temporal-$version.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [[ ! -x "$bin" ]]; then
	echo "temporalcli.sh: installing github.com/temporalio/cli $version into $dir (once)" >&2
	tmp="$(mktemp -d "$tools/temporal-$version.XXXXXX")"
	trap 'rm -rf "$tmp"' EXIT
	if ! GOBIN="$tmp" "$go" install "github.com/temporalio/cli/cmd/temporal@$version" >&2; then
		echo "error: 'go install github.com/temporalio/cli/cmd/temporal@$version' failed (is the Go module proxy reachable?)" >&2
		exit 1
	fi
	mkdir -p "$dir"
	mv "$tmp/temporal" "$bin"
fi
exec 9>&-
echo "$bin"
