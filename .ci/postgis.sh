#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the store tests.
#
#   eval "$(bash .ci/postgis.sh start)"   # prints export GRIDGOV_PG_DIR=... GRIDGOV_PG_DSN=...
#   bash .ci/postgis.sh restart           # the reconnect test bounces the server this way
#   bash .ci/postgis.sh down / up         # stop / start the server, keeping cluster and port
#   bash .ci/postgis.sh stop              # stops it and removes a temporary data directory
#
# The cluster lives in $GRIDGOV_PG_DIR (a new temporary directory when unset), listens on
# 127.0.0.1 only, on $GRIDGOV_PG_PORT (default 54329, or the next free port), with trust
# authentication: never point it at data you care about. Run as root, the server runs as the
# `postgres` user (runuser); run as anyone else, as that user. Only the export lines go to
# stdout, so `eval` sees nothing else.
set -euo pipefail

DB=gridgov_test
SUPERUSER=postgres

die() {
  echo "postgis.sh: $*" >&2
  exit 1
}

pg_bin() {
  # The newest installed server's binaries (Debian keeps them outside PATH).
  if [ -n "${PG_BIN:-}" ]; then
    echo "$PG_BIN"
    return
  fi
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    echo "$found"
  elif command -v initdb >/dev/null; then
    dirname "$(command -v initdb)"
  else
    die "no PostgreSQL server found (apt-get install postgresql-15 postgresql-15-postgis-3)"
  fi
}

as_owner() {
  # Run a server program as the cluster's owner: postgres when we are root.
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

need_dir() {
  [ -n "${GRIDGOV_PG_DIR:-}" ] || die "GRIDGOV_PG_DIR is not set (eval the output of 'start' first)"
  [ -f "$GRIDGOV_PG_DIR/data/PG_VERSION" ] || die "no cluster in $GRIDGOV_PG_DIR"
}

ctl() {
  local bin port
  bin=$(pg_bin)
  port=$(cat "$GRIDGOV_PG_DIR/port")
  as_owner "$bin/pg_ctl" -D "$GRIDGOV_PG_DIR/data" -l "$GRIDGOV_PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $GRIDGOV_PG_DIR" "$@" >&2
}

start() {
  local bin dir port user
  bin=$(pg_bin)
  if [ -n "${GRIDGOV_PG_DIR:-}" ]; then
    dir=$GRIDGOV_PG_DIR
    mkdir -p "$dir"
  else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/gridgov-pg.XXXXXX")
    touch "$dir/.temporary"  # stop removes it
  fi
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to own the server"
    chown postgres: "$dir"
    chmod 700 "$dir"
    as_owner test -w "$dir" || die "user postgres cannot write $dir (is a parent directory closed?)"
    user=postgres
  else
    user=$(id -un)
  fi
  export GRIDGOV_PG_DIR=$dir

  if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    die "a server is already running in $dir (bash .ci/postgis.sh stop)"
  fi
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/initdb" -D "$dir/data" -U "$SUPERUSER" --auth=trust -E UTF8 --locale=C \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed in $dir/data"; }
  fi

  port=${GRIDGOV_PG_PORT:-54329}
  local tries=0
  while ! port_free "$port"; do
    port=$((port + 1))
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || die "no free port from ${GRIDGOV_PG_PORT:-54329} on 127.0.0.1"
  done
  echo "$port" >"$dir/port"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir/port"

  ctl start || { tail -n 20 "$dir/server.log" >&2; die "the server did not start (log: $dir/server.log)"; }
  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$SUPERUSER")
  if ! "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE $DB" >&2
  fi
  "${psql[@]}" -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis" >&2 \
    || die "CREATE EXTENSION postgis failed (apt-get install postgresql-15-postgis-3)"
  echo "postgis.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') as $user in $dir, port $port" >&2
  echo "export GRIDGOV_PG_DIR=$dir"
  echo "export GRIDGOV_PG_DSN=postgresql://$SUPERUSER@127.0.0.1:$port/$DB"
}

stop() {
  [ -n "${GRIDGOV_PG_DIR:-}" ] || die "GRIDGOV_PG_DIR is not set: which cluster?"
  if [ -f "$GRIDGOV_PG_DIR/data/postmaster.pid" ]; then
    ctl -m fast stop
  fi
  if [ -f "$GRIDGOV_PG_DIR/.temporary" ]; then
    rm -rf -- "$GRIDGOV_PG_DIR"
  fi
}

restart() {
  need_dir
  ctl -m fast restart
}

down() {
  need_dir
  ctl -m fast stop
}

up() {
  need_dir
  ctl start
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  down) down ;;
  up) up ;;
  *) die "usage: bash .ci/postgis.sh start|stop|restart|down|up" ;;
esac
