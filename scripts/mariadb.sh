#!/usr/bin/env bash
# mariadb.sh runs a private, throwaway MariaDB server for the catalog's MySQL
# contract tests (pkg/catalog). It never touches the system's own MariaDB
# instance: the data dir, socket, pid file and port are all its own.
#
# Usage:
#   eval "$(scripts/mariadb.sh start)"   # prints: export CATALOG_TEST_MYSQL_DSN=...
#   scripts/mariadb.sh stop
#   scripts/mariadb.sh status
#
# Only the export line goes to stdout, so `eval "$(...)"` is safe; progress
# and errors go to stderr and the server's log to $IMGPIPE_MARIADB_DIR.
#
# Environment:
#   IMGPIPE_MARIADB_DIR   data/socket/log dir (default ${TMPDIR:-/tmp}/imgpipe-mariadb)
#   IMGPIPE_MARIADB_PORT  preferred TCP port (default 3307; the next free one is used if taken)
set -euo pipefail

# Debian keeps the server binaries in sbin, which a CI shell may not have on PATH.
export PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"

DIR="${IMGPIPE_MARIADB_DIR:-${TMPDIR:-/tmp}/imgpipe-mariadb}"
DATA="$DIR/data"
SOCK="$DIR/mariadb.sock"
PIDFILE="$DIR/mariadb.pid"
PORTFILE="$DIR/port"
LOG="$DIR/error.log"
PREFERRED_PORT="${IMGPIPE_MARIADB_PORT:-3307}"
DB_USER="imgpipe"
DB_PASS="imgpipe"

log() { printf 'mariadb.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

find_bin() {
	local b
	for b in "$@"; do
		if command -v "$b" >/dev/null 2>&1; then
			command -v "$b"
			return 0
		fi
	done
	return 1
}

# install makes sure the server, install-db and client tools exist. apt's
# postinst would start the distribution's own service on 3306; a temporary
# policy-rc.d forbids that (the usual container idiom) because this script
# only wants the binaries, and it removes the file again only if it made it.
install() {
	if find_bin mariadbd mysqld >/dev/null && find_bin mariadb-install-db mysql_install_db >/dev/null &&
		find_bin mariadb-admin mysqladmin >/dev/null && find_bin mariadb mysql >/dev/null; then
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "MariaDB is not installed and installing it needs root"
	log "installing mariadb-server with apt-get (log: $DIR/apt.log)"
	local made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		made_policy=1
	fi
	local rc=0
	{
		DEBIAN_FRONTEND=noninteractive apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
				mariadb-server mariadb-client
	} >"$DIR/apt.log" 2>&1 || rc=$?
	if [ -n "$made_policy" ]; then
		rm -f /usr/sbin/policy-rc.d
	fi
	if [ "$rc" != 0 ]; then
		tail -n 20 "$DIR/apt.log" >&2 || true
		die "apt-get install mariadb-server failed (exit $rc)"
	fi
}

# running reports whether the server recorded in $PIDFILE is alive and answers.
running() {
	[ -s "$PIDFILE" ] || return 1
	kill -0 "$(cat "$PIDFILE")" 2>/dev/null || return 1
	"$ADMIN" --no-defaults --socket="$SOCK" -uroot --connect-timeout=2 ping >/dev/null 2>&1
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

print_dsn() {
	printf "export CATALOG_TEST_MYSQL_DSN='%s:%s@tcp(127.0.0.1:%s)/'\n" "$DB_USER" "$DB_PASS" "$(cat "$PORTFILE")"
}

start() {
	mkdir -p "$DIR"
	install
	MARIADBD="$(find_bin mariadbd mysqld)"
	INSTALLDB="$(find_bin mariadb-install-db mysql_install_db)"
	ADMIN="$(find_bin mariadb-admin mysqladmin)"
	CLIENT="$(find_bin mariadb mysql)"

	if running; then
		log "already running (pid $(cat "$PIDFILE"), port $(cat "$PORTFILE"))"
		print_dsn
		return 0
	fi

	if [ ! -d "$DATA/mysql" ]; then
		log "initialising $DATA"
		rm -rf "$DATA"
		mkdir -p "$DATA"
		# --no-defaults keeps /etc/mysql/*.cnf (the system instance's settings) out of it.
		"$INSTALLDB" --no-defaults --datadir="$DATA" --user=root \
			--auth-root-authentication-method=normal --skip-test-db \
			>"$DIR/install-db.log" 2>&1 || {
			tail -n 20 "$DIR/install-db.log" >&2
			die "mariadb-install-db failed"
		}
	fi

	local port
	port="$(pick_port)"
	echo "$port" >"$PORTFILE"
	rm -f "$SOCK" "$PIDFILE"
	log "starting mariadbd on 127.0.0.1:$port (log: $LOG)"
	# stdin/stdout/stderr are detached so that `eval "$(mariadb.sh start)"`
	# does not wait for the server to exit before it sees end of output.
	# Durability settings are relaxed: this server only holds test data.
	setsid "$MARIADBD" --no-defaults \
		--user=root \
		--datadir="$DATA" \
		--socket="$SOCK" \
		--pid-file="$PIDFILE" \
		--log-error="$LOG" \
		--port="$port" \
		--bind-address=127.0.0.1 \
		--skip-name-resolve \
		--character-set-server=utf8mb4 \
		--collation-server=utf8mb4_unicode_ci \
		--innodb-buffer-pool-size=64M \
		--innodb-flush-log-at-trx-commit=2 \
		--max-connections=200 \
		</dev/null >>"$LOG" 2>&1 &

	local i
	for ((i = 0; i < 60; i++)); do
		if running; then
			break
		fi
		sleep 0.5
	done
	running || {
		tail -n 30 "$LOG" >&2 || true
		die "mariadbd did not answer within 30s"
	}

	# The tests create and drop a database per run, so the user needs global rights.
	# It is created for both host forms because --skip-name-resolve makes a TCP
	# client from loopback appear as 127.0.0.1 rather than localhost.
	"$CLIENT" --no-defaults --socket="$SOCK" -uroot <<-SQL
		CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
		CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
		GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
	SQL
	log "ready (pid $(cat "$PIDFILE"))"
	print_dsn
}

stop() {
	ADMIN="$(find_bin mariadb-admin mysqladmin)" || ADMIN=false
	if [ ! -s "$PIDFILE" ]; then
		log "not running"
		return 0
	fi
	local pid
	pid="$(cat "$PIDFILE")"
	if ! kill -0 "$pid" 2>/dev/null; then
		log "not running (stale pid file)"
		rm -f "$PIDFILE"
		return 0
	fi
	"$ADMIN" --no-defaults --socket="$SOCK" -uroot shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
	local i
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "pid $pid did not stop in 30s; sending SIGKILL"
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
	log "stopped"
}

status() {
	ADMIN="$(find_bin mariadb-admin mysqladmin)" || die "not installed"
	if running; then
		log "running (pid $(cat "$PIDFILE"), port $(cat "$PORTFILE"))"
		print_dsn
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
