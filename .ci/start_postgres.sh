#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the comparison tests, and print the
# environment to use it:
#
#   eval "$(.ci/start_postgres.sh)"        # exports OPTUNA_QNAS_TEST_POSTGRES_URL (and _DIR)
#   ... run the tests ...
#   .ci/start_postgres.sh stop "$OPTUNA_QNAS_TEST_POSTGRES_DIR"
#
# Installs Debian's `postgresql` package if no server binaries are found. The cluster lives in
# a fresh temporary folder, trusts local connections (it listens on 127.0.0.1 only) and is
# deleted by `stop`. Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

log() { echo "start_postgres: $*" >&2; }

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

as_owner() {
    # initdb refuses to run as root: run the server as the `postgres` user when we are root.
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ "${1:-}" = "stop" ]; then
    dir="${2:?usage: $0 stop DIR}"
    bin="$(find_bin)"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    exit 0
fi

bin="$(find_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    log "no PostgreSQL server binaries; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bin="$(find_bin)"
fi
[ -x "$bin/initdb" ] || { log "cannot find initdb after installing postgresql"; exit 1; }

if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres
fi

port="${OPTUNA_QNAS_TEST_POSTGRES_PORT:-}"
if [ -z "$port" ]; then
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
fi
dir="$(mktemp -d /tmp/optuna-qnas-pg.XXXXXX)"
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"

log "initdb in $dir/data"
as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-instructions >&2
log "starting the server on 127.0.0.1:$port"
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >&2
as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres optuna_qnas_test >&2

echo "export OPTUNA_QNAS_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$port/optuna_qnas_test"
echo "export OPTUNA_QNAS_TEST_POSTGRES_DIR=$dir"
