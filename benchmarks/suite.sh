#!/bin/sh
# suite.sh is `make bench`: the standard benchmark suite against a freshly
# started dev server on a temporary, durable data directory (every write
# synced, as in production). It runs, one after another:
#
#   sdk-inflight100   Go SDK worker, one no-op activity, 100 in flight, 20 s
#   sdk-inflight1     Go SDK worker, one no-op activity, 1 in flight, 10 s
#   lean-inflight200  lean driver, one no-op activity, 200 in flight, 20 s
#   lean-ceiling-fake lean driver against the in-process fake server, 5 s:
#                     the bench tool's own ceiling on this machine
#
# and writes each run's JSON and SVG, the server's log and
# summary-RUNID.md into OUT_DIR (default benchmarks/results/<UTC date>).
# It takes about two minutes. docs/benchmarks.md explains the figures.
#
# Usage: benchmarks/suite.sh MERIDIAN_BINARY [OUT_DIR]
# Environment: BENCH_PORT (default 17233) and BENCH_METRICS_PORT (17290)
# for the server; BENCH_DRAIN_TIMEOUT (10s) bounds the wait for workflows
# still in flight at the end of a run.
set -eu

bin=${1:?usage: benchmarks/suite.sh MERIDIAN_BINARY [OUT_DIR]}
out=${2:-benchmarks/results/$(date -u +%Y-%m-%d)}
port=${BENCH_PORT:-17233}
mport=${BENCH_METRICS_PORT:-17290}
drain=${BENCH_DRAIN_TIMEOUT:-10s}
run_id=$(date -u +%Y%m%d-%H%M%S)

mkdir -p "$out"
data=$(mktemp -d "${TMPDIR:-/tmp}/meridian-bench-XXXXXX")
"$bin" server start-dev --ip 127.0.0.1 --port "$port" --metrics-port "$mport" \
	--data-dir "$data" --log-level warn >"$out/server-$run_id.log" 2>&1 &
server=$!
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

status=0
# bench NAME ARGS... runs one bench against the dev server; a failed run
# is reported at the end, after the others have run.
bench() {
	name=$1
	shift
	echo "== $name" >&2
	"$bin" bench --address "127.0.0.1:$port" --metrics-url "http://127.0.0.1:$mport/metrics" \
		--connect-timeout 30s --drain-timeout "$drain" \
		--run-id "$run_id" --name "$name" --out-dir "$out" "$@" || status=1
}

bench sdk-inflight100 --worker sdk --in-flight 100 --warmup 3s --duration 20s
bench sdk-inflight1 --worker sdk --in-flight 1 --warmup 2s --duration 10s
bench lean-inflight200 --worker lean --in-flight 200 --warmup 3s --duration 20s
echo "== lean-ceiling-fake" >&2
"$bin" bench --fake-server --worker lean --in-flight 200 --warmup 1s --duration 5s \
	--run-id "$run_id" --name lean-ceiling-fake --out-dir "$out" || status=1

files=""
for name in sdk-inflight100 sdk-inflight1 lean-inflight200 lean-ceiling-fake; do
	f="$out/$name-$run_id-p0.json"
	[ -f "$f" ] && files="$files $f"
done
# shellcheck disable=SC2086 # the file names have no spaces
"$bin" bench report --title "make bench, run $run_id" $files >"$out/summary-$run_id.md"
echo "summary: $out/summary-$run_id.md" >&2
exit "$status"
