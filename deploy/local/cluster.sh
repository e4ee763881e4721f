#!/usr/bin/env bash
# A region of three hosts on this machine: three `meridian server start`
# processes with membership on loopback, on one Cassandra keyspace.
#
#   deploy/local/cluster.sh up          build bin/meridian, start Cassandra if
#                                       needed, set up the keyspace, start nodes 1-3
#   deploy/local/cluster.sh down        stop every node (SIGTERM: they leave the ring)
#   deploy/local/cluster.sh kill N      SIGKILL node N (a crash)
#   deploy/local/cluster.sh restart N   start node N again (stopping it first if it runs)
#   deploy/local/cluster.sh status      which nodes run, and their addresses
#
# Node i (1-3): frontend 127.0.0.1:723(3+i-1), internal gRPC 127.0.0.1:733(3+i-1),
# gossip 127.0.0.1:794(6+i-1). Configs, logs and pid files live in the state dir.
#
# Environment:
#   MERIDIAN_CLUSTER_STATE   state dir, default ${TMPDIR:-/tmp}/meridian-cluster-$USER
#   MERIDIAN_CLUSTER_KEYSPACE  keyspace, default meridian_local
#   MERIDIAN_CLUSTER_SHARDS  history shards of a new keyspace, default 16
#   MERIDIAN_CLUSTER_PARTITIONS  matching partitions per task queue, default 4
#   MERIDIAN_CASSANDRA_NAME, MERIDIAN_CASSANDRA_CQL_PORT  as for
#                            deploy/cassandra/cassandra.sh (default meridian, 9042)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN="$ROOT/bin/meridian"
STATE=${MERIDIAN_CLUSTER_STATE:-${TMPDIR:-/tmp}/meridian-cluster-${USER:-$(id -un)}}
KEYSPACE=${MERIDIAN_CLUSTER_KEYSPACE:-meridian_local}
SHARDS=${MERIDIAN_CLUSTER_SHARDS:-16}
PARTITIONS=${MERIDIAN_CLUSTER_PARTITIONS:-4}
CQL_PORT=${MERIDIAN_CASSANDRA_CQL_PORT:-9042}
NODES=(1 2 3)

frontend_addr() { echo "127.0.0.1:$((7233 + $1 - 1))"; }
rpc_addr() { echo "127.0.0.1:$((7333 + $1 - 1))"; }
gossip_addr() { echo "127.0.0.1:$((7946 + $1 - 1))"; }

die() { echo "cluster.sh: $*" >&2; exit 1; }

check_node() {
	[[ "${1:-}" =~ ^[123]$ ]] || die "want a node number 1, 2 or 3, got '${1:-}'"
}

pid_of() {
	local f="$STATE/node$1.pid"
	[[ -f "$f" ]] || return 1
	local pid
	pid=$(cat "$f")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

write_config() {
	local i=$1 seeds="" j
	for j in "${NODES[@]}"; do
		[[ $j == "$i" ]] && continue
		seeds+="${seeds:+, }$(gossip_addr "$j")"
	done
	cat >"$STATE/node$i.yaml" <<YAML
# Written by deploy/local/cluster.sh: node $i of a 3-host local region.
cluster:
  name: active
  shards: $SHARDS
frontend:
  address: $(frontend_addr "$i")
log:
  level: info
  format: json
namespaces: [default]
membership:
  node_name: node$i
  bind_address: $(gossip_addr "$i")
  seeds: [$seeds]
  rpc_address: $(rpc_addr "$i")
  join_timeout: 5s
matching:
  partitions: $PARTITIONS
persistence:
  cassandra:
    hosts: [127.0.0.1]
    port: $CQL_PORT
    keyspace: $KEYSPACE
YAML
}

build() {
	echo "building $BIN"
	(cd "$ROOT" && go build -o bin/meridian ./cmd/meridian)
}

cassandra_up() {
	if "$ROOT/deploy/cassandra/cassandra.sh" status >/dev/null 2>&1; then
		return
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$CQL_PORT") 2>/dev/null; then
		echo "a Cassandra already answers on 127.0.0.1:$CQL_PORT; using it"
		return
	fi
	"$ROOT/deploy/cassandra/cassandra.sh" start
}

start_node() {
	local i=$1
	if pid=$(pid_of "$i"); then
		echo "node$i already running (pid $pid)"
		return
	fi
	# up writes fresh configs; restart reuses the node's (same keyspace).
	[[ -f "$STATE/node$i.yaml" ]] || write_config "$i"
	"$BIN" server start --config "$STATE/node$i.yaml" >>"$STATE/node$i.log" 2>&1 &
	echo $! >"$STATE/node$i.pid"
	echo "node$i started (pid $!): frontend $(frontend_addr "$i"), log $STATE/node$i.log"
}

wait_frontend() {
	local i=$1 deadline=$((SECONDS + 60))
	local port=$((7233 + i - 1))
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		pid_of "$i" >/dev/null || { tail -n 20 "$STATE/node$i.log" >&2; die "node$i exited; log above"; }
		((SECONDS < deadline)) || die "node$i: frontend not up after 60s; see $STATE/node$i.log"
		sleep 0.2
	done
}

stop_node() {
	local i=$1 sig=${2:-TERM} pid
	if ! pid=$(pid_of "$i"); then
		rm -f "$STATE/node$i.pid"
		return
	fi
	kill -s "$sig" "$pid"
	local deadline=$((SECONDS + 20))
	while kill -0 "$pid" 2>/dev/null; do
		if ((SECONDS >= deadline)); then
			kill -s KILL "$pid" 2>/dev/null || true
		fi
		sleep 0.1
	done
	rm -f "$STATE/node$i.pid"
	echo "node$i stopped (SIG$sig)"
}

cmd=${1:-help}
case "$cmd" in
up)
	mkdir -p "$STATE"
	build
	cassandra_up
	"$BIN" schema setup --port "$CQL_PORT" --keyspace "$KEYSPACE"
	for i in "${NODES[@]}"; do write_config "$i"; done
	for i in "${NODES[@]}"; do start_node "$i"; done
	for i in "${NODES[@]}"; do wait_frontend "$i"; done
	echo "region up: frontends $(frontend_addr 1) $(frontend_addr 2) $(frontend_addr 3)"
	;;
down)
	for i in "${NODES[@]}"; do stop_node "$i"; done
	;;
kill)
	check_node "${2:-}"
	stop_node "$2" KILL
	;;
restart)
	check_node "${2:-}"
	mkdir -p "$STATE"
	[[ -x "$BIN" ]] || build
	stop_node "$2"
	start_node "$2"
	wait_frontend "$2"
	;;
status)
	for i in "${NODES[@]}"; do
		if pid=$(pid_of "$i"); then
			echo "node$i running (pid $pid) frontend $(frontend_addr "$i") rpc $(rpc_addr "$i") gossip $(gossip_addr "$i")"
		else
			echo "node$i stopped"
		fi
	done
	;;
help | -h | --help)
	sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	die "unknown command '$cmd' (up, down, kill N, restart N, status)"
	;;
esac
