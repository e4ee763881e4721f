#!/usr/bin/env bash
# with-cassandra.sh runs a command against a local Apache Cassandra node
# started by cassandra.sh, and stops the node afterwards:
#
#   deploy/cassandra/with-cassandra.sh go test ./persistence/cassandra/
#
# 1. starts node $MERIDIAN_CASSANDRA_NAME (default "test") on
#    127.0.0.1:$MERIDIAN_CASSANDRA_CQL_PORT (default 9042); a no-op if it
#    already runs;
# 2. runs the command with MERIDIAN_CASSANDRA=127.0.0.1:PORT exported;
# 3. stops the node, unless another with-cassandra.sh is still using it
#    (each run holds a shared lock; the last one out stops the node) or
#    MERIDIAN_CASSANDRA_KEEP=1;
# 4. exits with the command's exit status (1 if the node did not start).
#
# The node is stopped on failure and on Ctrl-C too. `make test` runs the
# tests through this script.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
name="${MERIDIAN_CASSANDRA_NAME:-test}"
port="${MERIDIAN_CASSANDRA_CQL_PORT:-9042}"
keep="${MERIDIAN_CASSANDRA_KEEP:-0}"

if [[ $# -eq 0 ]]; then
	echo "usage: $0 COMMAND [ARG...]" >&2
	exit 2
fi
command -v flock >/dev/null 2>&1 || { echo "with-cassandra.sh: flock(1) is required (util-linux)" >&2; exit 1; }

cache="${MERIDIAN_CACHE:-$HOME/.cache/meridian}/cassandra"
mkdir -p "$cache"
users_lock="$cache/$name.users.lock"
exec 7>"$users_lock"

stop_node() {
	trap - EXIT INT TERM
	if [[ "$keep" == 1 ]]; then
		echo "with-cassandra.sh: leaving cassandra $name running (MERIDIAN_CASSANDRA_KEEP=1)" >&2
		return
	fi
	# Trade the shared lock for an exclusive one: if another run still
	# holds a shared lock, it still needs the node.
	flock -u 7
	if flock -xn 7; then
		"$here/cassandra.sh" stop --name "$name" >&2 7>&- || true
		flock -u 7
	else
		echo "with-cassandra.sh: cassandra $name is still used by another run; leaving it running" >&2
	fi
}

# A stop in progress holds the lock exclusively; wait for it, then register.
flock -s 7
trap 'stop_node; exit 130' INT
trap 'stop_node; exit 143' TERM
trap stop_node EXIT

# Children never inherit fd 7: a daemon holding it would hold the lock.
if ! "$here/cassandra.sh" start --name "$name" --cql-port "$port" >&2 7>&-; then
	echo "with-cassandra.sh: could not start cassandra $name on 127.0.0.1:$port (see above)" >&2
	exit 1
fi

export MERIDIAN_CASSANDRA="127.0.0.1:$port"
"$@" 7>&-
rc=$?
stop_node
exit "$rc"
