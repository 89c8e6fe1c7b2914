#!/usr/bin/env bash
# dynalite.sh runs a private, throwaway dynalite (a DynamoDB-protocol server on Node.js, in memory) for the
# DynamoDB catalog's contract tests (pkg/catalog/dynamostore) and the migration tool's test.
#
# Usage:
#   eval "$(scripts/dynalite.sh start)"   # prints: export CATALOG_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT
#   scripts/dynalite.sh stop
#   scripts/dynalite.sh status
#
# Only the export line goes to stdout, so `eval "$(...)"` is safe; progress and errors go to stderr and the
# server's output to $IMGPIPE_DYNALITE_DIR/dynalite.log.
#
# dynalite is installed with npm into $IMGPIPE_DYNALITE_DIR/npm the first time (about 10 s; Node.js >= 20 and
# npm must be on PATH, or apt-get installs them when run as root). Its data lives in memory and is gone when it
# stops. Tables stay CREATING for 50 ms rather than dynalite's default 500 ms: long enough that CreateTable's wait
# for ACTIVE is exercised, short enough that a table per test stays cheap.
#
# Environment:
#   IMGPIPE_DYNALITE_DIR   install/pid/log dir (default ${TMPDIR:-/tmp}/imgpipe-dynalite)
#   IMGPIPE_DYNALITE_PORT  preferred TCP port (default 4567; the next free one is used if taken)
set -euo pipefail

VERSION="4.0.0"
DIR="${IMGPIPE_DYNALITE_DIR:-${TMPDIR:-/tmp}/imgpipe-dynalite}"
PREFIX="$DIR/npm"
PIDFILE="$DIR/dynalite.pid"
PORTFILE="$DIR/port"
LOG="$DIR/dynalite.log"
PREFERRED_PORT="${IMGPIPE_DYNALITE_PORT:-4567}"
CLI="$PREFIX/node_modules/dynalite/cli.js"

log() { printf 'dynalite.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# node_ok reports whether a Node.js that dynalite 4 supports (>= 20) is on PATH.
node_ok() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
	local major
	major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || return 1
	[ "$major" -ge 20 ]
}

installed_version() {
	node -p "require('$PREFIX/node_modules/dynalite/package.json').version" 2>/dev/null || true
}

install() {
	if ! node_ok; then
		[ "$(id -u)" = 0 ] || die "Node.js >= 20 and npm are needed (and installing them needs root)"
		log "installing nodejs and npm with apt-get (log: $DIR/apt.log)"
		{
			DEBIAN_FRONTEND=noninteractive apt-get update &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm
		} >"$DIR/apt.log" 2>&1 || {
			tail -n 20 "$DIR/apt.log" >&2 || true
			die "apt-get install nodejs npm failed"
		}
		node_ok || die "Node.js $(node --version 2>/dev/null) is too old for dynalite $VERSION (needs >= 20)"
	fi
	if [ "$(installed_version)" = "$VERSION" ]; then
		return 0
	fi
	log "installing dynalite@$VERSION into $PREFIX (log: $DIR/npm.log)"
	mkdir -p "$PREFIX"
	# --ignore-scripts: the only install script is classic-level's native build, and dynalite keeps its data in
	# memory-level unless --path is given, so the native LevelDB binding is never loaded.
	npm install --prefix "$PREFIX" --no-audit --no-fund --ignore-scripts --no-save "dynalite@$VERSION" \
		>"$DIR/npm.log" 2>&1 || {
		tail -n 20 "$DIR/npm.log" >&2 || true
		die "npm install dynalite@$VERSION failed"
	}
	[ "$(installed_version)" = "$VERSION" ] || die "npm installed dynalite $(installed_version), want $VERSION"
}

port_in_use() {
	# Bash's /dev/tcp connects only if something is listening.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
	local p
	for ((p = PREFERRED_PORT; p < PREFERRED_PORT + 100; p++)); do
		if ! port_in_use "$p"; then
			echo "$p"
			return 0
		fi
	done
	die "no free port in $PREFERRED_PORT..$((PREFERRED_PORT + 99))"
}

# answers reports whether the server on $1 speaks DynamoDB: an unsigned ListTables is refused with a DynamoDB
# error body, which a stray HTTP server on the port would not send.
answers() {
	local body
	body="$(curl -s -m 2 -X POST "http://127.0.0.1:$1/" \
		-H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -d '{}' 2>/dev/null)" ||
		return 1
	case "$body" in *MissingAuthenticationToken* | *TableNames* | *UnrecognizedClient*) return 0 ;; esac
	return 1
}

running() {
	[ -s "$PIDFILE" ] && [ -s "$PORTFILE" ] || return 1
	kill -0 "$(cat "$PIDFILE")" 2>/dev/null || return 1
	answers "$(cat "$PORTFILE")"
}

print_endpoint() {
	printf 'export CATALOG_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:%s\n' "$(cat "$PORTFILE")"
}

start() {
	mkdir -p "$DIR"
	command -v curl >/dev/null 2>&1 || die "curl is needed to check that dynalite answers"
	install
	if running; then
		log "already running (pid $(cat "$PIDFILE"), port $(cat "$PORTFILE"))"
		print_endpoint
		return 0
	fi
	local port
	port="$(pick_port)"
	echo "$port" >"$PORTFILE"
	log "starting dynalite $VERSION on 127.0.0.1:$port (log: $LOG)"
	# Detached from this shell's stdout so that `eval "$(dynalite.sh start)"` does not wait for the server.
	setsid node "$CLI" --host 127.0.0.1 --port "$port" --createTableMs 50 --deleteTableMs 50 --updateTableMs 50 \
		</dev/null >>"$LOG" 2>&1 &
	echo $! >"$PIDFILE"
	local i
	for ((i = 0; i < 100; i++)); do
		if running; then
			log "ready (pid $(cat "$PIDFILE"))"
			print_endpoint
			return 0
		fi
		kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$LOG" >&2 || true
	die "dynalite did not answer within 10s"
}

stop() {
	if [ ! -s "$PIDFILE" ]; then
		log "not running"
		return 0
	fi
	local pid i
	pid="$(cat "$PIDFILE")"
	if ! kill -0 "$pid" 2>/dev/null; then
		log "not running (stale pid file)"
		rm -f "$PIDFILE"
		return 0
	fi
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid did not stop in 5s; sending SIGKILL"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
	log "stopped"
}

status() {
	if running; then
		log "running (pid $(cat "$PIDFILE"), port $(cat "$PORTFILE"))"
		print_endpoint
	else
		log "not running"
		return 1
	fi
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
