#!/usr/bin/env bash
# Run a local single-node Apache Cassandra 5.0 for Meridian development and
# tests, straight from Maven Central jars (no Docker, no tarball).
#
# See usage() below or docs/cassandra.md.
set -euo pipefail

readonly DEFAULT_VERSION="5.0.9"

usage() {
	cat <<'EOF'
Usage: deploy/cassandra/cassandra.sh COMMAND [OPTIONS]

Commands:
  start     fetch Cassandra (first time only), write config, start the node in
            the background and wait until it answers CQL. A no-op if the node
            is already running.
  stop      stop the node (SIGTERM, then SIGKILL after --stop-timeout s).
            With --wipe also delete its data directory.
  wipe      stop the node (if running) and delete its data directory.
  status    print "running" / "stopped"; exit 0 if running, 1 otherwise.
  fetch     only download the jars into the cache directory.
  nodetool  run Cassandra's nodetool against the node (needs --jmx-port at
            start): cassandra.sh nodetool --name NAME -- status
  help      show this text.

Options (flag, then the environment variable used when the flag is absent):
  --name NAME              MERIDIAN_CASSANDRA_NAME            default: meridian
  --cql-port PORT          MERIDIAN_CASSANDRA_CQL_PORT        default: 9042
  --storage-port PORT      MERIDIAN_CASSANDRA_STORAGE_PORT    default: 7000
  --ssl-storage-port PORT  MERIDIAN_CASSANDRA_SSL_STORAGE_PORT
                           default: storage port + 10000 (only opened when
                           legacy internode SSL is enabled, i.e. never here)
  --listen-address ADDR    MERIDIAN_CASSANDRA_LISTEN_ADDRESS  default: 127.0.0.1
  --jmx-port PORT          MERIDIAN_CASSANDRA_JMX_PORT        default: unset (no JMX)
  --data-dir DIR           MERIDIAN_CASSANDRA_DATA_DIR
                           default: $MERIDIAN_CACHE/cassandra/NAME/data
  --cache-dir DIR          MERIDIAN_CASSANDRA_CACHE_DIR (where the jars live)
                           default: $MERIDIAN_CACHE/cassandra/VERSION-libs
  --version VERSION        MERIDIAN_CASSANDRA_VERSION         default: 5.0.9
  --heap SIZE              MERIDIAN_CASSANDRA_HEAP            default: 768m
  --timeout SECONDS        MERIDIAN_CASSANDRA_TIMEOUT         default: 180
                           bound on waiting for CQL after start; on timeout
                           the last 50 log lines are printed, the node is
                           stopped and start exits 1
  --stop-timeout SECONDS   MERIDIAN_CASSANDRA_STOP_TIMEOUT    default: 60
  --unsafe-skip-sync       MERIDIAN_CASSANDRA_UNSAFE_SKIP_SYNC=1
                           adds -Dcassandra.skip_sync=true: Cassandra never
                           fsyncs. THROWAWAY TEST DATA ONLY: never use it for
                           durability tests or benchmarks. Off by default.
  --wipe                   (stop only) also delete the data directory.

Other environment:
  MERIDIAN_CACHE           base cache dir, default: $HOME/.cache/meridian
  JAVA_HOME                if set, $JAVA_HOME/bin/java is used (JDK 11 or 17)
  MERIDIAN_CASSANDRA_TMPDIR  java.io.tmpdir / jna.tmpdir (must allow exec),
                           default: <node dir>/tmp
  MERIDIAN_MAVEN_REPO_LOCAL  Maven local repository for the one-time download
                           (default: Maven's own, ~/.m2/repository)
  MERIDIAN_CASSANDRA_JVM_OPTS  extra JVM options, appended last

Node files live in $MERIDIAN_CACHE/cassandra/NAME/ (conf/, logs/, tmp/,
cassandra.pid). Logs: logs/system.log (Cassandra) and logs/stdout.log (JVM).

A second, independent node (for two-region tests):
  deploy/cassandra/cassandra.sh start --name region-b --cql-port 9043 --storage-port 7001
  deploy/cassandra/cassandra.sh stop  --name region-b
EOF
}

die() {
	echo "cassandra.sh: error: $*" >&2
	exit 1
}

log() {
	echo "cassandra.sh: $*" >&2
}

# ---------------------------------------------------------------- options

COMMAND="${1:-help}"
if [[ $# -gt 0 ]]; then shift; fi

NAME="${MERIDIAN_CASSANDRA_NAME:-meridian}"
CQL_PORT="${MERIDIAN_CASSANDRA_CQL_PORT:-9042}"
STORAGE_PORT="${MERIDIAN_CASSANDRA_STORAGE_PORT:-7000}"
SSL_STORAGE_PORT="${MERIDIAN_CASSANDRA_SSL_STORAGE_PORT:-}"
LISTEN_ADDRESS="${MERIDIAN_CASSANDRA_LISTEN_ADDRESS:-127.0.0.1}"
JMX_PORT="${MERIDIAN_CASSANDRA_JMX_PORT:-}"
DATA_DIR="${MERIDIAN_CASSANDRA_DATA_DIR:-}"
CACHE_DIR="${MERIDIAN_CASSANDRA_CACHE_DIR:-}"
VERSION="${MERIDIAN_CASSANDRA_VERSION:-$DEFAULT_VERSION}"
HEAP="${MERIDIAN_CASSANDRA_HEAP:-768m}"
TIMEOUT="${MERIDIAN_CASSANDRA_TIMEOUT:-180}"
STOP_TIMEOUT="${MERIDIAN_CASSANDRA_STOP_TIMEOUT:-60}"
UNSAFE_SKIP_SYNC="${MERIDIAN_CASSANDRA_UNSAFE_SKIP_SYNC:-0}"
WIPE=0
NODETOOL_ARGS=()

# Remember which options were given explicitly, so that stop/status/wipe can
# fall back to the settings the node was started with.
declare -A GIVEN=()

need_arg() {
	[[ $# -ge 2 && -n "$2" ]] || die "option $1 needs a value"
}

while [[ $# -gt 0 ]]; do
	opt="$1"
	val=""
	if [[ "$opt" == --*=* ]]; then
		val="${opt#*=}"
		opt="${opt%%=*}"
		set -- "$opt" "$val" "${@:2}"
	fi
	case "$opt" in
	--name) need_arg "$@"; NAME="$2"; GIVEN[name]=1; shift 2 ;;
	--cql-port) need_arg "$@"; CQL_PORT="$2"; GIVEN[cql]=1; shift 2 ;;
	--storage-port) need_arg "$@"; STORAGE_PORT="$2"; GIVEN[storage]=1; shift 2 ;;
	--ssl-storage-port) need_arg "$@"; SSL_STORAGE_PORT="$2"; GIVEN[ssl]=1; shift 2 ;;
	--listen-address) need_arg "$@"; LISTEN_ADDRESS="$2"; GIVEN[listen]=1; shift 2 ;;
	--jmx-port) need_arg "$@"; JMX_PORT="$2"; GIVEN[jmx]=1; shift 2 ;;
	--data-dir) need_arg "$@"; DATA_DIR="$2"; GIVEN[data]=1; shift 2 ;;
	--cache-dir) need_arg "$@"; CACHE_DIR="$2"; GIVEN[cache]=1; shift 2 ;;
	--version) need_arg "$@"; VERSION="$2"; GIVEN[version]=1; shift 2 ;;
	--heap) need_arg "$@"; HEAP="$2"; shift 2 ;;
	--timeout) need_arg "$@"; TIMEOUT="$2"; shift 2 ;;
	--stop-timeout) need_arg "$@"; STOP_TIMEOUT="$2"; shift 2 ;;
	--unsafe-skip-sync) UNSAFE_SKIP_SYNC=1; shift ;;
	--wipe) WIPE=1; shift ;;
	--) shift; NODETOOL_ARGS=("$@"); break ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; die "unknown option: $1" ;;
	esac
done

[[ "$NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]*$ ]] || die "--name must match [A-Za-z0-9][A-Za-z0-9_.-]*: '$NAME'"

BASE="${MERIDIAN_CACHE:-${HOME:?HOME is not set}/.cache/meridian}/cassandra"
NODE_DIR="$BASE/$NAME"
CONF_DIR="$NODE_DIR/conf"
LOG_DIR="$NODE_DIR/logs"
PID_FILE="$NODE_DIR/cassandra.pid"
NODE_ENV="$NODE_DIR/node.env"

# Settings of the node as last started (node.env). stop/status/wipe use them
# for whatever was not given as a flag, so "stop --name x" finds everything;
# start uses them when the node is already running. With "strict", a flag
# that contradicts the running node is an error.
load_node_env() { # [strict]
	local key value mine given
	[[ -f "$NODE_ENV" ]] || return 0
	while IFS='=' read -r key value; do
		case "$key" in
		CQL_PORT) mine=CQL_PORT given=cql ;;
		STORAGE_PORT) mine=STORAGE_PORT given=storage ;;
		LISTEN_ADDRESS) mine=LISTEN_ADDRESS given=listen ;;
		DATA_DIR) mine=DATA_DIR given=data ;;
		JMX_PORT) mine=JMX_PORT given=jmx ;;
		CACHE_DIR) mine=CACHE_DIR given=cache ;;
		*) continue ;;
		esac
		if [[ -z "${GIVEN[$given]:-}" ]]; then
			printf -v "$mine" '%s' "$value"
		elif [[ "${1:-}" == strict && "${!mine}" != "$value" ]]; then
			die "cassandra $NAME is already running with $key=$value (asked for ${!mine}); stop it first or pick another --name"
		fi
	done <"$NODE_ENV"
}

if [[ "$COMMAND" != start && "$COMMAND" != fetch ]]; then
	load_node_env
fi

DATA_DIR="${DATA_DIR:-$NODE_DIR/data}"
CACHE_DIR="${CACHE_DIR:-$BASE/$VERSION-libs}"
SSL_STORAGE_PORT="${SSL_STORAGE_PORT:-$((STORAGE_PORT + 10000))}"
TMP_DIR="${MERIDIAN_CASSANDRA_TMPDIR:-$NODE_DIR/tmp}"

is_port() { [[ "$1" =~ ^[0-9]+$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }
for p in CQL_PORT STORAGE_PORT SSL_STORAGE_PORT; do
	is_port "${!p}" || die "$p must be a TCP port number: '${!p}'"
done
[[ -z "$JMX_PORT" ]] || is_port "$JMX_PORT" || die "--jmx-port must be a TCP port number: '$JMX_PORT'"
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds: '$TIMEOUT'"
[[ "$STOP_TIMEOUT" =~ ^[0-9]+$ ]] || die "--stop-timeout must be a number of seconds: '$STOP_TIMEOUT'"
[[ "$HEAP" =~ ^[0-9]+[kKmMgG]$ ]] || die "--heap must look like 768m or 1g: '$HEAP'"
[[ "$VERSION" =~ ^5\.0\.[0-9]+$ ]] || die "--version must be a Cassandra 5.0.x release: '$VERSION'"
# Absolute paths: Cassandra's config takes URLs and the daemon has its own cwd.
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac }
DATA_DIR="$(abspath "$DATA_DIR")"
CACHE_DIR="$(abspath "$CACHE_DIR")"
TMP_DIR="$(abspath "$TMP_DIR")"

# ---------------------------------------------------------------- helpers

port_open() { # host port
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# Protocol-level probe: send a CQL v4 OPTIONS frame and expect a SUPPORTED
# (opcode 0x06) response frame. Works without cqlsh or a driver.
cql_ping() { # host port
	local reply
	reply="$(
		exec 2>/dev/null
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf '\x04\x00\x00\x01\x05\x00\x00\x00\x00' >&3
		timeout 5 head -c 9 <&3 | od -An -tx1 | tr -d ' \n'
	)" || return 1
	# header: version(0x84) flags stream(2) opcode length(4)
	[[ "${reply:0:2}" == "84" && "${reply:8:2}" == "06" ]]
}

# The pid from the pid file, if that process is alive and is our node.
running_pid() {
	local pid
	[[ -f "$PID_FILE" ]] || return 1
	pid="$(<"$PID_FILE")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a recycled pid: it must be a CassandraDaemon using our conf.
	if [[ -r "/proc/$pid/cmdline" ]]; then
		local cmd
		cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
		[[ "$cmd" == *CassandraDaemon* && "$cmd" == *"$CONF_DIR/cassandra.yaml"* ]] || return 1
	fi
	echo "$pid"
}

find_java() {
	if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
		JAVA="$JAVA_HOME/bin/java"
	elif command -v java >/dev/null 2>&1; then
		JAVA="$(command -v java)"
	else
		die "java not found. Cassandra 5.0 needs JDK 17 (or 11): install JDK 17, e.g. 'apt-get install openjdk-17-jdk-headless', or set JAVA_HOME"
	fi
	local line
	line="$("$JAVA" -version 2>&1 | grep -m1 -E 'version "' || true)"
	JAVA_MAJOR="$(sed -E 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/' <<<"$line")"
	read -r a b <<<"$JAVA_MAJOR"
	if [[ "$a" == 1 ]]; then JAVA_MAJOR="$b"; else JAVA_MAJOR="$a"; fi
	case "$JAVA_MAJOR" in
	11 | 17) ;;
	*) die "$JAVA is Java '${JAVA_MAJOR:-unknown}' ($line); Cassandra 5.0 runs only on Java 11 or 17: install JDK 17, e.g. 'apt-get install openjdk-17-jdk-headless', and set JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64" ;;
	esac
}

# ---------------------------------------------------------------- fetch

MARKER_NAME=".complete"

fetch_jars() {
	if [[ -f "$CACHE_DIR/$MARKER_NAME" ]]; then
		return 0
	fi
	mkdir -p "$(dirname "$CACHE_DIR")"
	# Serialize concurrent first starts (e.g. two regions started at once).
	local lock="$CACHE_DIR.lock"
	exec 9>"$lock"
	if ! flock -w 1800 9; then
		die "timed out waiting for another download ($lock)"
	fi
	if [[ -f "$CACHE_DIR/$MARKER_NAME" ]]; then
		exec 9>&-
		return 0
	fi
	command -v mvn >/dev/null 2>&1 ||
		die "mvn not found; it is needed once to download Cassandra $VERSION from Maven Central: install Maven, e.g. 'apt-get install maven'"

	log "downloading Apache Cassandra $VERSION and its runtime dependencies into $CACHE_DIR (one time)"
	local t0=$SECONDS work
	work="$(mktemp -d "$CACHE_DIR.tmp.XXXXXX")"
	FETCH_WORK="$work"
	trap 'rm -rf "${FETCH_WORK:-}"' EXIT
	cat >"$work/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.meridian.local</groupId>
  <artifactId>cassandra-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>$VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
	local mvn_args=(-B -q -f "$work/pom.xml" dependency:copy-dependencies
		-DincludeScope=runtime -DoutputDirectory="$work/lib")
	if [[ -n "${MERIDIAN_MAVEN_REPO_LOCAL:-}" ]]; then
		mvn_args+=("-Dmaven.repo.local=$MERIDIAN_MAVEN_REPO_LOCAL")
	fi
	if ! mvn "${mvn_args[@]}" >"$work/mvn.log" 2>&1; then
		tail -n 50 "$work/mvn.log" >&2
		rm -rf "$work"
		die "Maven could not download cassandra-all:$VERSION (log above)"
	fi
	compgen -G "$work/lib/cassandra-all-$VERSION.jar" >/dev/null ||
		{ rm -rf "$work"; die "cassandra-all-$VERSION.jar missing after download"; }
	compgen -G "$work/lib/jamm-*.jar" >/dev/null ||
		{ rm -rf "$work"; die "jamm jar missing after download"; }
	rm -rf "$CACHE_DIR"
	mv "$work/lib" "$CACHE_DIR"
	cp "$work/pom.xml" "$CACHE_DIR/.pom.xml"
	rm -rf "$work"
	FETCH_WORK=""
	trap - EXIT
	local n size
	n="$(find "$CACHE_DIR" -maxdepth 1 -name '*.jar' | wc -l)"
	size="$(du -sh "$CACHE_DIR" | cut -f1)"
	echo "cassandra-all $VERSION: $n jars, $size, fetched $(date -u +%FT%TZ)" >"$CACHE_DIR/$MARKER_NAME"
	log "downloaded $n jars ($size) in $((SECONDS - t0)) s"
	exec 9>&-
}

# ---------------------------------------------------------------- config

# JDK 11/17 module options from Cassandra 5.0's conf/jvm17-server.options;
# nodetool needs them too.
JDK_MODULE_OPTS=(
	-Djdk.attach.allowAttachSelf=true
	--add-exports java.base/jdk.internal.misc=ALL-UNNAMED
	--add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
	--add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
	--add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
	--add-exports java.sql/java.sql=ALL-UNNAMED
	--add-exports java.base/java.lang.ref=ALL-UNNAMED
	--add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
	--add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
	--add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
	--add-opens java.base/java.lang.module=ALL-UNNAMED
	--add-opens java.base/jdk.internal.loader=ALL-UNNAMED
	--add-opens java.base/jdk.internal.ref=ALL-UNNAMED
	--add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
	--add-opens java.base/jdk.internal.math=ALL-UNNAMED
	--add-opens java.base/jdk.internal.module=ALL-UNNAMED
	--add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
	--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
	--add-opens java.base/sun.nio.ch=ALL-UNNAMED
	--add-opens java.base/java.io=ALL-UNNAMED
	--add-opens java.base/java.lang.reflect=ALL-UNNAMED
	--add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
	--add-opens java.base/java.lang=ALL-UNNAMED
	--add-opens java.base/java.util=ALL-UNNAMED
	--add-opens java.base/java.nio=ALL-UNNAMED
	-Dio.netty.tryReflectionSetAccessible=true
)

write_config() {
	mkdir -p "$CONF_DIR" "$CONF_DIR/triggers" "$LOG_DIR" "$TMP_DIR" \
		"$DATA_DIR/data" "$DATA_DIR/commitlog" "$DATA_DIR/saved_caches" \
		"$DATA_DIR/hints" "$DATA_DIR/cdc_raw"

	# Only keys that exist in Cassandra 5.0's Config: it rejects unknown ones.
	cat >"$CONF_DIR/cassandra.yaml" <<EOF
# Generated by deploy/cassandra/cassandra.sh for node '$NAME'. Do not edit:
# it is rewritten on every start.
cluster_name: 'meridian-$NAME'
num_tokens: 1
initial_token: 0
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$LISTEN_ADDRESS:$STORAGE_PORT"

listen_address: $LISTEN_ADDRESS
rpc_address: $LISTEN_ADDRESS
storage_port: $STORAGE_PORT
ssl_storage_port: $SSL_STORAGE_PORT
start_native_transport: true
native_transport_port: $CQL_PORT

data_file_directories:
  - $DATA_DIR/data
commitlog_directory: $DATA_DIR/commitlog
saved_caches_directory: $DATA_DIR/saved_caches
hints_directory: $DATA_DIR/hints
cdc_raw_directory: $DATA_DIR/cdc_raw

# Durable by default: periodic fsync of the commit log every 10 s (the stock
# setting). Only --unsafe-skip-sync disables fsync altogether.
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 32MiB

storage_compatibility_mode: NONE
auto_bootstrap: false
auto_snapshot: false
snapshot_before_compaction: false
incremental_backups: false
hinted_handoff_enabled: true
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
dynamic_snitch: false
disk_failure_policy: stop
commit_failure_policy: stop

# Small footprint for a laptop / CI box with 2 cores.
concurrent_reads: 2
concurrent_writes: 2
concurrent_counter_writes: 2
concurrent_materialized_view_writes: 2
concurrent_compactors: 1
memtable_flush_writers: 1
memtable_heap_space: 64MiB
memtable_offheap_space: 64MiB
key_cache_size: 8MiB
counter_cache_size: 0MiB
row_cache_size: 0MiB
prepared_statements_cache_size: 8MiB
compaction_throughput: 64MiB/s
native_transport_max_threads: 32

# Generous timeouts: a loaded 2-core machine can pause for a while.
read_request_timeout: 10000ms
range_request_timeout: 20000ms
write_request_timeout: 10000ms
counter_write_request_timeout: 10000ms
cas_contention_timeout: 5000ms
truncate_request_timeout: 60000ms
request_timeout: 20000ms

audit_logging_options:
  enabled: false
EOF

	cat >"$CONF_DIR/logback.xml" <<EOF
<!-- Generated by deploy/cassandra/cassandra.sh; rewritten on every start. -->
<configuration scan="false">
  <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>$LOG_DIR/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>$LOG_DIR/system.log.%i.zip</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <logger name="com.datastax" level="WARN"/>
  <logger name="io.netty" level="WARN"/>
  <logger name="com.github.benmanes.caffeine" level="WARN"/>
  <logger name="org.apache.cassandra.gms.Gossiper" level="WARN"/>
  <logger name="org.apache.cassandra.service.StorageService" level="INFO"/>
  <!-- Config logs the whole effective configuration as one huge INFO line. -->
  <logger name="org.apache.cassandra.config.Config" level="WARN"/>
  <logger name="org.apache.cassandra.config.DatabaseDescriptor" level="WARN"/>
  <root level="INFO">
    <appender-ref ref="FILE"/>
  </root>
</configuration>
EOF

	# For nodetool: warnings to stderr only.
	cat >"$CONF_DIR/logback-tools.xml" <<'EOF'
<configuration scan="false">
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%-5level %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="STDERR"/></root>
</configuration>
EOF

	cat >"$NODE_ENV" <<EOF
NAME=$NAME
VERSION=$VERSION
CQL_PORT=$CQL_PORT
STORAGE_PORT=$STORAGE_PORT
SSL_STORAGE_PORT=$SSL_STORAGE_PORT
LISTEN_ADDRESS=$LISTEN_ADDRESS
DATA_DIR=$DATA_DIR
CACHE_DIR=$CACHE_DIR
JMX_PORT=$JMX_PORT
EOF
}

# ---------------------------------------------------------------- commands

wait_ready() { # pid t0
	local pid="$1" t0="$2" deadline=$(($2 + TIMEOUT))
	while :; do
		if ! kill -0 "$pid" 2>/dev/null; then
			dump_logs
			rm -f "$PID_FILE"
			die "cassandra $NAME exited during startup (logs above; $LOG_DIR)"
		fi
		if grep -q "Starting listening for CQL clients" "$LOG_DIR/system.log" 2>/dev/null &&
			port_open "$LISTEN_ADDRESS" "$CQL_PORT" && cql_ping "$LISTEN_ADDRESS" "$CQL_PORT"; then
			return 0
		fi
		if ((SECONDS >= deadline)); then
			dump_logs
			# Do not leak a half-started JVM (1+ GiB) into the next test run.
			WIPE=0 cmd_stop >&2
			die "cassandra $NAME did not answer CQL on $LISTEN_ADDRESS:$CQL_PORT within $TIMEOUT s (logs above; $LOG_DIR); it was stopped"
		fi
		sleep 1
	done
}

dump_logs() {
	local f shown=0
	for f in "$LOG_DIR/system.log" "$LOG_DIR/stdout.log"; do
		if [[ -s "$f" ]]; then
			echo "----- last 50 lines of $f -----" >&2
			tail -n 50 "$f" >&2
			shown=1
		fi
	done
	if [[ "$shown" == 0 ]]; then
		echo "----- no log output yet in $LOG_DIR -----" >&2
	fi
}

# One start/stop at a time per node: a second concurrent "start" waits for
# the first and then finds the node running. Fd 8 is closed in the daemon.
lock_node() {
	mkdir -p "$NODE_DIR"
	exec 8>"$NODE_DIR/.lock"
	flock -w "$((TIMEOUT + STOP_TIMEOUT + 60))" 8 ||
		die "timed out waiting for another start/stop of cassandra $NAME ($NODE_DIR/.lock)"
}

cmd_start() {
	local t0=$SECONDS pid
	lock_node
	if pid="$(running_pid)"; then
		load_node_env strict
		if port_open "$LISTEN_ADDRESS" "$CQL_PORT"; then
			echo "cassandra $NAME already running (pid $pid) on $LISTEN_ADDRESS:$CQL_PORT"
			return 0
		fi
		log "cassandra $NAME (pid $pid) is running but CQL is not up yet; waiting"
		wait_ready "$pid" "$t0"
		echo "cassandra $NAME ready on $LISTEN_ADDRESS:$CQL_PORT in $((SECONDS - t0)) s"
		return 0
	fi
	rm -f "$PID_FILE"

	find_java
	local p
	for p in "$CQL_PORT" "$STORAGE_PORT"; do
		if port_open "$LISTEN_ADDRESS" "$p"; then
			die "port $LISTEN_ADDRESS:$p is already in use (another Cassandra? check 'ss -ltnp | grep :$p'); pick other ports with --cql-port/--storage-port"
		fi
	done
	[[ "$CQL_PORT" != "$STORAGE_PORT" ]] || die "--cql-port and --storage-port must differ"

	fetch_jars
	# The default tmp dir is ours alone: drop native libraries that earlier
	# runs extracted (lz4, snappy, JNA use random names and never clean up).
	if [[ -z "${MERIDIAN_CASSANDRA_TMPDIR:-}" ]]; then
		rm -rf "$TMP_DIR"
	fi
	write_config

	local jamm
	jamm="$(find "$CACHE_DIR" -maxdepth 1 -name 'jamm-*.jar' | sort | tail -n 1)"
	[[ -n "$jamm" ]] || die "no jamm jar in $CACHE_DIR; delete it and start again to re-download"

	# The exec check JNA needs: its native library is extracted to tmpdir.
	if command -v findmnt >/dev/null 2>&1 &&
		findmnt -no OPTIONS -T "$TMP_DIR" 2>/dev/null | tr ',' '\n' | grep -qx noexec; then
		log "warning: $TMP_DIR is on a noexec filesystem; JNA will fail to load. Set MERIDIAN_CASSANDRA_TMPDIR to an exec-capable directory."
	fi

	local jvm=(
		-ea
		-Xms"$HEAP" -Xmx"$HEAP" -Xss256k
		-XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
		-XX:MaxGCPauseMillis=300 -XX:InitiatingHeapOccupancyPercent=70
		-XX:+ExitOnOutOfMemoryError -XX:+PerfDisableSharedMem
		-XX:+UseThreadPriorities -XX:+UseTLAB -XX:+ResizeTLAB
		-XX:StringTableSize=1000003
		"${JDK_MODULE_OPTS[@]}"
		-javaagent:"$jamm"
		-Djava.net.preferIPv4Stack=true
		-Djava.io.tmpdir="$TMP_DIR"
		-Djna.tmpdir="$TMP_DIR"
		-Dcassandra-foreground=yes
		-Dcassandra.config="file://$CONF_DIR/cassandra.yaml"
		-Dlogback.configurationFile="file://$CONF_DIR/logback.xml"
		-Dcassandra.logdir="$LOG_DIR"
		-Dcassandra.triggers_dir="$CONF_DIR/triggers"
		-Dcassandra.storagedir="$DATA_DIR"
		-Dcassandra.skip_wait_for_gossip_to_settle=0
		-Dcassandra.ring_delay_ms=1000
		-Dcassandra.superuser_setup_delay_ms=0
	)
	if [[ -n "$JMX_PORT" ]]; then
		# Local-only JMX; the RMI server shares the port (else it is random).
		jvm+=(-Dcassandra.jmx.local.port="$JMX_PORT"
			-Dcom.sun.management.jmxremote.rmi.port="$JMX_PORT")
	fi
	if [[ "$UNSAFE_SKIP_SYNC" == 1 || "$UNSAFE_SKIP_SYNC" == true ]]; then
		log "WARNING: --unsafe-skip-sync: no fsync at all; data of node $NAME is throwaway"
		jvm+=(-Dcassandra.skip_sync=true)
	fi
	if [[ -n "${MERIDIAN_CASSANDRA_JVM_OPTS:-}" ]]; then
		local extra
		read -r -a extra <<<"$MERIDIAN_CASSANDRA_JVM_OPTS"
		jvm+=("${extra[@]}")
	fi

	# Keep the previous run's log for post-mortems; the readiness check only
	# looks at this run's system.log.
	local f
	for f in system.log stdout.log; do
		if [[ -f "$LOG_DIR/$f" ]]; then mv -f "$LOG_DIR/$f" "$LOG_DIR/$f.prev"; fi
	done

	log "starting cassandra $NAME ($VERSION, java $JAVA_MAJOR, heap $HEAP) on $LISTEN_ADDRESS cql:$CQL_PORT storage:$STORAGE_PORT data:$DATA_DIR"
	# setsid: own session, so the node survives the calling shell / CI step.
	# The wrapper writes its own pid and execs java, so the pid is java's.
	(
		cd "$NODE_DIR"
		exec 8>&- 9>&-
		# shellcheck disable=SC2016 # expanded by the inner bash, on purpose
		exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
			"$JAVA" "${jvm[@]}" -cp "$CACHE_DIR/*" org.apache.cassandra.service.CassandraDaemon \
			</dev/null >"$LOG_DIR/stdout.log" 2>&1
	) &
	local i
	for ((i = 0; i < 50; i++)); do
		[[ -s "$PID_FILE" ]] && break
		sleep 0.1
	done
	[[ -s "$PID_FILE" ]] || die "cassandra $NAME did not start (no pid file; see $LOG_DIR/stdout.log)"
	pid="$(<"$PID_FILE")"

	wait_ready "$pid" "$t0"
	echo "cassandra $NAME ready on $LISTEN_ADDRESS:$CQL_PORT in $((SECONDS - t0)) s"
}

cmd_stop() {
	local pid
	if [[ -d "$NODE_DIR" ]]; then lock_node; fi
	if pid="$(running_pid)"; then
		log "stopping cassandra $NAME (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		local deadline=$((SECONDS + STOP_TIMEOUT))
		while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "cassandra $NAME did not exit within $STOP_TIMEOUT s; sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
		fi
		echo "cassandra $NAME stopped"
	else
		echo "cassandra $NAME not running"
	fi
	rm -f "$PID_FILE"
	if [[ "$WIPE" == 1 ]]; then
		wipe_data
	fi
}

wipe_data() {
	case "$DATA_DIR" in
	"" | / | "$HOME" | "$HOME/") die "refusing to wipe '$DATA_DIR'" ;;
	esac
	if [[ -d "$DATA_DIR" ]]; then
		rm -rf "$DATA_DIR"
		echo "cassandra $NAME data wiped ($DATA_DIR)"
	fi
}

cmd_nodetool() {
	running_pid >/dev/null || die "cassandra $NAME is not running"
	[[ -n "$JMX_PORT" ]] ||
		die "cassandra $NAME was started without JMX; restart it with --jmx-port PORT to use nodetool"
	find_java
	exec "$JAVA" -Xmx256m "${JDK_MODULE_OPTS[@]}" -Dcassandra.logdir="$LOG_DIR" \
		-Dlogback.configurationFile="file://$CONF_DIR/logback-tools.xml" \
		-cp "$CACHE_DIR/*" org.apache.cassandra.tools.NodeTool \
		-h "$LISTEN_ADDRESS" -p "$JMX_PORT" "${NODETOOL_ARGS[@]}"
}

cmd_status() {
	local pid
	if pid="$(running_pid)"; then
		load_node_env strict
		if port_open "$LISTEN_ADDRESS" "$CQL_PORT"; then
			echo "cassandra $NAME running (pid $pid) on $LISTEN_ADDRESS:$CQL_PORT"
		else
			echo "cassandra $NAME running (pid $pid), CQL not (yet) open on $LISTEN_ADDRESS:$CQL_PORT"
		fi
		return 0
	fi
	echo "cassandra $NAME stopped"
	return 1
}

case "$COMMAND" in
start) cmd_start ;;
stop) cmd_stop ;;
wipe) WIPE=1; cmd_stop ;;
status) cmd_status ;;
nodetool) cmd_nodetool ;;
fetch) fetch_jars; echo "jars in $CACHE_DIR" ;;
help | -h | --help) usage ;;
*) usage >&2; die "unknown command: $COMMAND" ;;
esac
