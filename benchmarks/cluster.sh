#!/usr/bin/env bash
# Region benchmarks on the local Cassandra (issue 4's figures):
#
#   benchmarks/cluster.sh throughput   SDK load on one host, then on a 3-host
#                                      region (deploy/local/cluster.sh), same load
#   benchmarks/cluster.sh failover     SDK load on a 3-host region; SIGKILL node2
#                                      mid-run; time until node1 and node3 own
#                                      every shard; then restart node2 and time
#                                      until it owns shards again
#
# Results (bench JSON, plots, summaries) go to OUT (default
# benchmarks/results/<date>/cluster); node configs and logs to
# ${TMPDIR:-/tmp}/meridian-bench-cluster-<run>. Needs bin/meridian (make build) and a
# Cassandra on 127.0.0.1:9042 (deploy/cassandra/cassandra.sh start).
#
# Environment: BENCH_IN_FLIGHT (100), BENCH_DURATION (20s), SHARDS (16).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN="$ROOT/bin/meridian"
OUT=${OUT:-$ROOT/benchmarks/results/$(date -u +%Y-%m-%d)/cluster}
IN_FLIGHT=${BENCH_IN_FLIGHT:-100}
DURATION=${BENCH_DURATION:-20s}
SHARDS=${SHARDS:-16}
RUN=$(date -u +%Y%m%d-%H%M%S)
CLUSTER="$ROOT/deploy/local/cluster.sh"

die() { echo "cluster.sh: $*" >&2; exit 1; }
[[ -x "$BIN" ]] || die "$BIN missing: run make build"
(exec 3<>/dev/tcp/127.0.0.1/9042) 2>/dev/null || die "no Cassandra on 127.0.0.1:9042: deploy/cassandra/cassandra.sh start"
mkdir -p "$OUT"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

bench() { # name address [extra flags...]
	local name=$1 addr=$2
	shift 2
	"$BIN" bench --address "$addr" --worker sdk --in-flight "$IN_FLIGHT" --warmup 3s --duration "$DURATION" \
		--connect-timeout 60s --drain-timeout 30s --run-id "$RUN" --name "$name" --out-dir "$OUT" "$@"
}

# owners KEYSPACE: "shard owner" lines from the shard records.
owners() {
	"$BIN" cluster shards --keyspace "$1" --log-level never -o json |
		python3 -c 'import json,sys; [print(s.get("shard_id", s.get("id")), s.get("owner")) for s in json.load(sys.stdin)]'
}

single() {
	local ks="bench_single_${RUN//-/_}" cfg="${TMPDIR:-/tmp}/meridian-bench-single-$RUN.yaml" pid
	"$BIN" schema setup --keyspace "$ks" --log-level warn
	cat >"$cfg" <<YAML
cluster: {name: active, shards: $SHARDS}
frontend: {address: 127.0.0.1:17533}
metrics: {address: 127.0.0.1:17590}
log: {level: warn}
persistence:
  cassandra: {hosts: [127.0.0.1], port: 9042, keyspace: $ks}
YAML
	"$BIN" server start --config "$cfg" >"${TMPDIR:-/tmp}/meridian-bench-single-$RUN.log" 2>&1 &
	pid=$!
	bench single-host 127.0.0.1:17533 --metrics-url http://127.0.0.1:17590/metrics || true
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

region_up() {
	export MERIDIAN_CLUSTER_STATE="${TMPDIR:-/tmp}/meridian-bench-cluster-$RUN" MERIDIAN_CLUSTER_KEYSPACE="bench_region_${RUN//-/_}" MERIDIAN_CLUSTER_SHARDS=$SHARDS
	"$CLUSTER" up
	trap '"$CLUSTER" down || true' EXIT
	# Wait until every host owns shards.
	local deadline=$((SECONDS + 90))
	until [[ $(owners "$MERIDIAN_CLUSTER_KEYSPACE" | awk '{print $2}' | sort -u | grep -c '^node') == 3 ]]; do
		((SECONDS < deadline)) || die "the region did not spread its shards over 3 hosts in 90 s"
		sleep 0.5
	done
}

throughput() {
	single
	region_up
	bench three-hosts 127.0.0.1:7233 || true
	"$CLUSTER" down
	trap - EXIT
	"$BIN" bench report --title "cluster throughput, run $RUN" "$OUT"/single-host-"$RUN"-p0.json "$OUT"/three-hosts-"$RUN"-p0.json \
		>"$OUT/throughput-$RUN.md"
	echo "summary: $OUT/throughput-$RUN.md"
}

failover() {
	region_up
	local ks=$MERIDIAN_CLUSTER_KEYSPACE killed moved back
	bench failover 127.0.0.1:7233 --duration 40s &
	local bpid=$!
	sleep 15
	killed=$(now)
	"$CLUSTER" kill 2
	until ! owners "$ks" | grep -q ' node2$'; do sleep 0.1; done
	moved=$(now)
	echo "shards moved to node1/node3 $(elapsed "$killed" "$moved") s after SIGKILL of node2" | tee "$OUT/failover-$RUN.txt"
	wait "$bpid" || true
	local restarted
	restarted=$(now)
	"$CLUSTER" restart 2
	until owners "$ks" | grep -q ' node2$'; do sleep 0.1; done
	back=$(now)
	echo "node2 owned shards again $(elapsed "$restarted" "$back") s after its restart began" | tee -a "$OUT/failover-$RUN.txt"
	"$CLUSTER" down
	trap - EXIT
	"$BIN" bench report --title "failover, run $RUN" "$OUT"/failover-"$RUN"-p0.json >>"$OUT/failover-$RUN.txt"
	echo "summary: $OUT/failover-$RUN.txt"
}

case "${1:-}" in
throughput) throughput ;;
failover) failover ;;
*) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
