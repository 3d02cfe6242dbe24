#!/usr/bin/env bash
# Local, project-private PostgreSQL cluster for tests/benchmarks (no Docker).
#
#   deploy/local/pg.sh up      start (initdb on first use), create databases; no-op if running
#   deploy/local/pg.sh down    stop (pg_ctl stop -m fast); keeps data; no-op if not running
#   deploy/local/pg.sh status  exit 0 if running, 3 if not
#   deploy/local/pg.sh env     print `export WW_PG_...` lines (eval-able)
#   deploy/local/pg.sh reset   stop and delete the cluster (all data)
#   deploy/local/pg.sh psql [ARGS...]  psql as superuser ww over the unix socket
#
# Env: WW_STATE_DIR (default <repo>/var), WW_PG_PORT (default 55432).
set -euo pipefail

# shellcheck source=_lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/_lib.sh"

# The cluster lives in <state>/pg, unless the postgres user cannot reach that folder (a
# checkout under a private 0700 directory, as mktemp -d makes): then in /var/tmp. The
# choice is written down once, so every later up/env/down/status agrees on it.
PG_LOCATION_FILE="$WW_STATE_DIR_RESOLVED/pg.location"
if [ -n "${WW_PG_DIR:-}" ]; then
  PG_DIR="$WW_PG_DIR"
elif [ -f "$PG_LOCATION_FILE" ]; then
  PG_DIR="$(cat "$PG_LOCATION_FILE")"
else
  PG_DIR="$WW_STATE_DIR_RESOLVED/pg"
  if [ "$(id -u)" = 0 ] && ! { id postgres >/dev/null 2>&1 \
      && runuser -u postgres -- test -x "$WW_REPO_ROOT" 2>/dev/null; }; then
    PG_DIR="/var/tmp/ww-pg-$(printf '%s' "$WW_STATE_DIR_RESOLVED" | sha1sum | cut -c1-12)"
  fi
fi
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_PORT_FILE="$PG_DIR/port"
PG_SOCK_FILE="$PG_DIR/socket_dir"
PG_USER=ww
PG_PASSWORD=ww
PG_DATABASES=(ww_intake ww_triage ww_coaching ww_starters ww_bench)
DEFAULT_PG_PORT=55432

# ---------------------------------------------------------------------------------------
find_pg_bin() {
  local d best="" ver
  # An existing cluster must be run by the major version that created it.
  if [ -f "$PG_DATA/PG_VERSION" ]; then
    ver="$(cat "$PG_DATA/PG_VERSION")"
    if [ -x "/usr/lib/postgresql/$ver/bin/initdb" ]; then
      printf '%s' "/usr/lib/postgresql/$ver/bin"; return 0
    fi
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] || continue
    if [ -z "$best" ] || [ "$(basename "$(dirname "$d")")" -gt "$(basename "$(dirname "$best")")" ] 2>/dev/null; then
      best="$d"
    fi
  done
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
    best="$(dirname "$(command -v initdb)")"
  fi
  printf '%s' "$best"
}

ensure_pg_installed() {
  PG_BIN="$(find_pg_bin)"
  if [ -z "$PG_BIN" ]; then
    ww_is_root || ww_die "PostgreSQL server binaries not found and not root: apt-get install -y postgresql"
    ww_log "pg: installing Debian's postgresql package (initdb not found) ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    PG_BIN="$(find_pg_bin)"
    [ -n "$PG_BIN" ] || ww_die "postgresql installed but initdb still not found"
  fi
}

# The OS user that owns and runs the cluster: 'postgres' when we are root (initdb and
# postgres refuse to run as root), otherwise whoever runs this script.
setup_run_user() {
  if ww_is_root; then
    RUN_USER=postgres
    if ! id -u postgres >/dev/null 2>&1; then
      useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
  else
    RUN_USER="$(id -un)"
  fi
}

# as_pg CMD...: run CMD as the cluster owner, from a cwd that user can read.
as_pg() {
  if ww_is_root; then
    (cd "$PG_DIR" && runuser -u "$RUN_USER" -- "$@")
  else
    (cd "$PG_DIR" && "$@")
  fi
}

# Unix socket path length is limited (~107 bytes); fall back to /tmp for deep state dirs.
socket_dir() {
  local d="$PG_DIR/sock"
  if [ $(( ${#d} + 16 )) -gt 100 ]; then
    d="/tmp/ww-pg-$(printf '%s' "$PG_DIR" | sha1sum | cut -c1-12)"
  fi
  printf '%s' "$d"
}

is_running() {
  [ -f "$PG_DATA/PG_VERSION" ] || return 1
  [ -n "${PG_BIN:-}" ] || PG_BIN="$(find_pg_bin)"
  [ -n "$PG_BIN" ] || return 1
  setup_run_user
  as_pg "$PG_BIN/pg_ctl" status -D "$PG_DATA" >/dev/null 2>&1
}

# Port of the running cluster (postmaster.pid line 4), else the remembered/default one.
current_port() {
  local p=""
  if [ -f "$PG_DATA/postmaster.pid" ] && is_running; then
    p="$(sed -n 4p "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  fi
  if [ -z "$p" ] && [ -f "$PG_PORT_FILE" ]; then p="$(cat "$PG_PORT_FILE")"; fi
  [ -n "$p" ] || p="${WW_PG_PORT:-$DEFAULT_PG_PORT}"
  printf '%s' "$p"
}

current_socket_dir() {
  if [ -f "$PG_SOCK_FILE" ]; then cat "$PG_SOCK_FILE"; else socket_dir; fi
}

psql_admin() { # psql_admin DB ARGS...
  local db="$1"; shift
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$(current_socket_dir)" -p "$(current_port)" \
    -U "$PG_USER" -d "$db" "$@"
}

write_conf() { # write_conf PORT SOCKDIR  (our settings live in an included file)
  local port="$1" sock="$2"
  cat >"$PG_DATA/ww_local.conf" <<EOF
# Managed by deploy/local/pg.sh - rewritten on every 'up'.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
max_connections = 200
shared_buffers = 128MB
# Crash safety stays ON (fsync, full_page_writes default); tests rely on it.
fsync = on
synchronous_commit = on
full_page_writes = on
password_encryption = 'scram-sha-256'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_messages = warning
log_connections = off
log_disconnections = off
timezone = 'UTC'
EOF
  if ww_is_root; then chown "$RUN_USER": "$PG_DATA/ww_local.conf"; fi
  grep -q "^include_if_exists = 'ww_local.conf'" "$PG_DATA/postgresql.conf" ||
    printf "\n# deploy/local/pg.sh\ninclude_if_exists = 'ww_local.conf'\n" >>"$PG_DATA/postgresql.conf"
}

do_initdb() {
  local pwfile="$PG_DIR/.pwfile"
  ww_log "pg: initdb $PG_DATA ($("$PG_BIN/postgres" --version | awk '{print $3}'))"
  rm -rf "$PG_DATA"
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  if ww_is_root; then chown "$RUN_USER": "$pwfile"; fi
  chmod 600 "$pwfile"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" --pwfile="$pwfile" \
    --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; rm -f "$pwfile"; ww_die "initdb failed"; }
  rm -f "$pwfile"
  # Loopback only: local socket trusted (admin), TCP needs the password.
  cat >"$PG_DATA/pg_hba.conf" <<EOF
# Managed by deploy/local/pg.sh
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  trust
host    all       all   127.0.0.1/32   scram-sha-256
EOF
  if ww_is_root; then chown "$RUN_USER": "$PG_DATA/pg_hba.conf"; fi
}

ensure_databases() {
  local db
  psql_admin postgres -c "ALTER ROLE $PG_USER WITH SUPERUSER LOGIN PASSWORD '$PG_PASSWORD'" >/dev/null
  for db in "${PG_DATABASES[@]}"; do
    if [ "$(psql_admin postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
      psql_admin postgres -c "CREATE DATABASE $db OWNER $PG_USER" >/dev/null
    fi
  done
}

lock_state() { # serialize up/down/reset against concurrent invocations
  exec 9>"$PG_DIR/.lock"
  flock -w 180 9 || ww_die "pg: could not lock $PG_DIR/.lock"
}

# ---------------------------------------------------------------------------------------
cmd_up() {
  local t0=$SECONDS port sock wanted
  ensure_pg_installed
  setup_run_user
  ww_init_state_dir
  mkdir -p "$PG_DIR"
  if [ "$PG_DIR" != "$WW_STATE_DIR_RESOLVED/pg" ] && [ -z "${WW_PG_DIR:-}" ]; then
    printf '%s' "$PG_DIR" >"$PG_LOCATION_FILE"
  fi
  if ww_is_root; then chown "$RUN_USER": "$PG_DIR"; fi
  chmod 755 "$PG_DIR"   # data/ itself is 0700; this lets any user read port/socket_dir
  if ww_is_root && ! runuser -u "$RUN_USER" -- test -w "$PG_DIR"; then
    ww_die "user '$RUN_USER' cannot write $PG_DIR (a parent dir is not traversable?); set WW_STATE_DIR to e.g. /var/tmp/ww"
  fi
  lock_state

  if is_running; then
    ensure_databases
    ww_info "pg: already running on 127.0.0.1:$(current_port)"
    return 0
  fi

  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    if [ -d "$PG_DATA" ] && [ -n "$(ls -A "$PG_DATA" 2>/dev/null)" ]; then
      ww_die "pg: $PG_DATA is not empty but is no cluster (partly deleted?); run '$0 reset'"
    fi
    do_initdb
  elif [ ! -f "$PG_DATA/postgresql.conf" ] || [ ! -f "$PG_DATA/global/pg_control" ]; then
    ww_die "pg: cluster in $PG_DATA is damaged (files missing - was $WW_STATE_DIR_RESOLVED deleted while in use?); run '$0 reset'"
  fi

  # Port: explicit WW_PG_PORT > remembered > default; move on if busy (not by us: we are down).
  if [ -n "${WW_PG_PORT:-}" ]; then wanted="$WW_PG_PORT"
  elif [ -f "$PG_PORT_FILE" ]; then wanted="$(cat "$PG_PORT_FILE")"
  else wanted="$DEFAULT_PG_PORT"; fi
  port="$(ww_pick_port "$wanted")"
  [ "$port" = "$wanted" ] || ww_log "pg: port $wanted is busy, using $port"
  printf '%s\n' "$port" >"$PG_PORT_FILE"

  sock="$(socket_dir)"
  mkdir -p "$sock"
  if ww_is_root; then chown "$RUN_USER": "$sock"; fi
  chmod 700 "$sock"
  printf '%s\n' "$sock" >"$PG_SOCK_FILE"
  write_conf "$port" "$sock"

  if ! as_pg "$PG_BIN/pg_ctl" start -D "$PG_DATA" -l "$PG_LOG" -w -t 60 >/dev/null 9>&-; then
    tail -n 30 "$PG_LOG" >&2 || true
    ww_die "pg: pg_ctl start failed (log: $PG_LOG)"
  fi
  local deadline=$((SECONDS + 60))
  until "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; do
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$PG_LOG" >&2 || true
      ww_die "pg: not ready after 60s (log: $PG_LOG)"
    fi
    sleep 0.2
  done
  ensure_databases
  ww_info "pg: up on 127.0.0.1:$port (data $PG_DATA, $((SECONDS - t0))s)"
}

cmd_down() {
  if [ -d "$PG_DIR" ]; then lock_state; fi
  if ! is_running; then
    ww_info "pg: not running"
    return 0
  fi
  as_pg "$PG_BIN/pg_ctl" stop -D "$PG_DATA" -m fast -w -t 60 >/dev/null
  ww_info "pg: stopped"
}

cmd_status() {
  if is_running; then
    ww_log "pg: running on 127.0.0.1:$(current_port)"
    return 0
  fi
  ww_log "pg: not running"
  return 3
}

cmd_env() {
  local port
  port="$(current_port)"
  cat <<EOF
export WW_PG_HOST=127.0.0.1
export WW_PG_PORT=$port
export WW_PG_USER=$PG_USER
export WW_PG_PASSWORD=$PG_PASSWORD
export WW_TEST_PG_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/
EOF
}

cmd_reset() {
  cmd_down
  local sock
  sock="$(current_socket_dir)"
  rm -rf "$PG_DIR"
  rm -f "$PG_LOCATION_FILE"
  case "$sock" in /tmp/ww-pg-*) rm -rf "$sock" ;; esac
  ww_log "pg: state deleted ($PG_DIR)"
}

cmd_psql() {
  ensure_pg_installed
  setup_run_user
  is_running || ww_die "pg: not running (run: $0 up)"
  psql_admin "${1:-postgres}" "${@:2}"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  reset) cmd_reset ;;
  psql) shift; cmd_psql "$@" ;;
  *) echo "usage: $0 up|down|status|env|reset|psql [DB [ARGS...]]" >&2; exit 2 ;;
esac
