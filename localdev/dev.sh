#!/usr/bin/env bash
# Runs pgrest-lambda locally against a throwaway PostgreSQL and Redis.
#
#   localdev/dev.sh               start PostgreSQL + Redis, load the sample
#                                 schema and event triggers, then run
#                                 ./localdev/cmd/serve in the foreground
#   localdev/dev.sh --lambda      same stack, but the API is the compiled
#                                 bootstrap under a local Lambda Runtime API
#                                 behind a local API Gateway
#                                 (./localdev/cmd/lambda), plus the listener
#                                 worker (./listenerworker/cmd/worker)
#   localdev/dev.sh --stack-only  same, but only PostgreSQL + Redis (run the
#                                 server yourself, e.g. under a debugger)
#   localdev/dev.sh stop          stop a stack left behind in .localdev/
#
# Ctrl-C or exit stops everything this script started. All state lives in
# .localdev/ (git-ignored) and the database is recreated on every start.
# .localdev/env holds `export` lines for psql, redis-cli and scripts, and
# localdev/env.json the same settings for `sam local start-api --env-vars`.
#
# Environment: LOCALDEV_PG_PORT (54329), LOCALDEV_REDIS_PORT (63799),
# PGRST_SERVER_PORT (3000); LOCALDEV_BIND (127.0.0.1), the address
# PostgreSQL and Redis listen on (0.0.0.0 lets containers reach them; trust
# auth, so only on a trusted network); LOCALDEV_ENV_HOST (127.0.0.1), the
# host written to localdev/env.json; with --lambda, LOCALDEV_API (http|rest)
# and LOCALDEV_LAMBDA_CONCURRENCY (4). Other PGRST_* variables pass through.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PG_PORT="${LOCALDEV_PG_PORT:-54329}"
REDIS_PORT="${LOCALDEV_REDIS_PORT:-63799}"
API_PORT="${PGRST_SERVER_PORT:-3000}"
DB_NAME=pgrest

STATE="$ROOT/.localdev"
PG_DIR_DEFAULT="$STATE/pg"
PG_DIR_FILE="$STATE/pg.dir" # where the data directory of the running stack is
REDIS_DIR="$STATE/redis"
REDIS_PIDFILE="$REDIS_DIR/redis.pid"
SERVE_BIN="$STATE/bin/serve"
SERVE_PIDFILE="$STATE/serve.pid"
WORKER_BIN="$STATE/bin/worker"
WORKER_PIDFILE="$STATE/worker.pid"
LAMBDA_BIN="$STATE/bin/lambda"
BOOTSTRAP_BIN="$STATE/bin/bootstrap"
ENV_JSON="$ROOT/localdev/env.json"
BIND="${LOCALDEV_BIND:-127.0.0.1}"
ENV_HOST="${LOCALDEV_ENV_HOST:-127.0.0.1}"
ENV_FILE="$STATE/env"

log() { printf 'localdev: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

mode=serve
case "${1:-}" in
  "") ;;
  --stack-only) mode=stack ;;
  --lambda) mode=lambda ;;
  stop) mode=stop ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

# initdb and postgres refuse to run as root: use the postgres OS user then.
as_pg() {
  if ((EUID == 0)); then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (: >"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Sends SIGTERM, then SIGKILL if the process is still there after $2 seconds.
stop_pid() {
  local pid=$1 timeout=${2:-10} i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "process $pid did not stop after ${timeout}s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Only signal a pid from a pidfile if it is still the program we started,
# not an unrelated process that reused the number.
pid_runs() {
  local pid=$1 pattern=$2
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"
}

stop_serve() {
  local pid pidfile
  for pidfile in "$SERVE_PIDFILE" "$WORKER_PIDFILE"; do
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    if pid_runs "$pid" "$STATE/bin/"; then
      log "stopping $(basename "$pidfile" .pid) (pid $pid)"
      stop_pid "$pid" 10
    fi
    rm -f "$pidfile"
  done
}

stop_postgres() {
  local dir
  dir="$(cat "$PG_DIR_FILE" 2>/dev/null || printf '%s' "$PG_DIR_DEFAULT")"
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    log "stopping PostgreSQL ($dir/data)"
    as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      log "pg_ctl stop failed; see $dir/postgres.log"
  fi
}

stop_redis() {
  local pid
  [[ -f "$REDIS_PIDFILE" ]] || return 0
  pid="$(cat "$REDIS_PIDFILE")"
  if pid_runs "$pid" redis-server; then
    log "stopping Redis (pid $pid)"
    stop_pid "$pid" 10
  fi
  rm -f "$REDIS_PIDFILE"
}

stop_stack() {
  stop_serve
  stop_postgres
  stop_redis
}

PG_BINDIR="$(bash scripts/ensure-deps.sh --pg-bindir)"
PSQL="$PG_BINDIR/psql"
[[ -x "$PSQL" ]] || PSQL=psql

if [[ "$mode" == stop ]]; then
  stop_stack
  exit 0
fi

if ((EUID == 0)) && ! command -v runuser >/dev/null 2>&1; then
  die "running as root needs runuser (util-linux) to start PostgreSQL as 'postgres'"
fi

# A stack from an earlier run may still be up (e.g. the terminal was closed).
stop_stack

for port in "$PG_PORT" "$REDIS_PORT" "$API_PORT"; do
  if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is already in use (set LOCALDEV_PG_PORT, LOCALDEV_REDIS_PORT or PGRST_SERVER_PORT)"
  fi
done

mkdir -p "$STATE/bin"

if [[ "$mode" == serve ]]; then
  command -v go >/dev/null 2>&1 || die "go is not installed"
  # Built before anything starts so a compile error leaves nothing running.
  # A real binary (rather than `go run`) gets the signals directly.
  log "building ./localdev/cmd/serve"
  go build -o "$SERVE_BIN" ./localdev/cmd/serve
fi
command -v go >/dev/null 2>&1 || die "go is not installed"
# Also writes localdev/env.json in every mode.
go build -o "$LAMBDA_BIN" ./localdev/cmd/lambda
if [[ "$mode" == lambda ]]; then
  # As `make build`, but for this machine's architecture.
  log "building the bootstrap (./functions/api, GOARCH=$(go env GOARCH)) and ./listenerworker/cmd/worker"
  CGO_ENABLED=0 GOOS=linux GOARCH="$(go env GOARCH)" go build -tags lambda.norpc \
    -trimpath -ldflags="-s -w" -o "$BOOTSTRAP_BIN" ./functions/api
  go build -o "$WORKER_BIN" ./listenerworker/cmd/worker
fi

child_pid=""
worker_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ -n "$worker_pid" ]]; then
    stop_pid "$worker_pid" 10
    wait "$worker_pid" 2>/dev/null || true
  fi
  if [[ -n "$child_pid" ]]; then
    stop_pid "$child_pid" 10
    wait "$child_pid" 2>/dev/null || true
  fi
  stop_stack
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- PostgreSQL ------------------------------------------------------------
# A fresh cluster every time keeps the sample data predictable.
pg_dir="$PG_DIR_DEFAULT"
rm -rf "$pg_dir"
mkdir -p "$pg_dir"
if ((EUID == 0)); then
  chown postgres:postgres "$pg_dir"
  chmod 700 "$pg_dir"
  # The postgres user must be able to reach the repository; if a parent
  # directory is private (e.g. under /root), keep the cluster in /tmp instead.
  if ! runuser -u postgres -- test -w "$pg_dir"; then
    rmdir "$pg_dir"
    pg_dir="$(mktemp -d "${TMPDIR:-/tmp}/pgrest-localdev-pg.XXXXXX")"
    chown postgres:postgres "$pg_dir"
    log "postgres cannot write under $STATE; using $pg_dir"
  fi
fi
printf '%s\n' "$pg_dir" >"$PG_DIR_FILE"

log "initialising PostgreSQL in $pg_dir/data"
if ! as_pg "$PG_BINDIR/initdb" -D "$pg_dir/data" -U postgres --auth=trust --no-sync \
  --no-instructions -E UTF8 --locale=C >"$STATE/initdb.log" 2>&1; then
  cat "$STATE/initdb.log" >&2
  die "initdb failed"
fi

# Unix sockets are off so nothing depends on /var/run/postgresql or on the
# length of the repository path; durability is pointless for a throwaway db.
if [[ "$BIND" != 127.0.0.1 ]]; then
  # Containers connect from other addresses: trust them too (throwaway data).
  printf 'host all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n' |
    as_pg tee -a "$pg_dir/data/pg_hba.conf" >/dev/null
  log "warning: LOCALDEV_BIND=$BIND: PostgreSQL and Redis accept anyone who can reach $BIND, without a password"
fi
log "starting PostgreSQL on $BIND:$PG_PORT"
if ! as_pg "$PG_BINDIR/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 30 \
  -o "-p $PG_PORT -c listen_addresses=$BIND -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null; then
  cat "$pg_dir/postgres.log" >&2 || true
  die "PostgreSQL did not start"
fi

# --- Redis -----------------------------------------------------------------
mkdir -p "$REDIS_DIR"
log "starting Redis on $BIND:$REDIS_PORT"
protected=yes
[[ "$BIND" == 127.0.0.1 ]] || protected=no
redis-server --port "$REDIS_PORT" --bind "$BIND" --protected-mode "$protected" --save '' --appendonly no \
  --dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --pidfile "$REDIS_PIDFILE" \
  --daemonize yes
for ((i = 0; ; i++)); do
  if redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && [[ -s "$REDIS_PIDFILE" ]]; then
    break
  fi
  ((i < 100)) || die "Redis did not start; see $REDIS_DIR/redis.log"
  sleep 0.05
done

# --- Database contents -----------------------------------------------------
admin_uri="postgresql://postgres@127.0.0.1:$PG_PORT/$DB_NAME"
# The scripts drop objects IF EXISTS; those NOTICEs are noise here.
export PGOPTIONS='-c client_min_messages=warning'
"$PSQL" -X -q -v ON_ERROR_STOP=1 "postgresql://postgres@127.0.0.1:$PG_PORT/postgres" \
  -c "CREATE DATABASE $DB_NAME"
log "loading localdev/sample_schema.sql"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$admin_uri" -f localdev/sample_schema.sql
log "installing infra/event_triggers.sql"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$admin_uri" -f infra/event_triggers.sql

cat >"$ENV_FILE" <<EOF
# Written by localdev/dev.sh; valid while that stack is running.
export PGRST_DB_URI='postgresql://authenticator@127.0.0.1:$PG_PORT/$DB_NAME'
export PGRST_DB_SCHEMAS='api'
export PGRST_DB_ANON_ROLE='web_anon'
export REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'
export PGRST_SERVER_PORT='$API_PORT'
# As the template's CacheListen (auto) on a direct connection: reads ask
# Redis only after a version notice.
export PGRST_CACHE_LISTEN='${PGRST_CACHE_LISTEN:-true}'
# Superuser connection for DDL and psql sessions.
export LOCALDEV_ADMIN_URI='$admin_uri'
EOF
unset PGOPTIONS
# shellcheck source=/dev/null
source "$ENV_FILE"
# For `sam local start-api --env-vars localdev/env.json` (see README).
PGRST_DB_URI="postgresql://authenticator@$ENV_HOST:$PG_PORT/$DB_NAME" \
  REDIS_URL="redis://$ENV_HOST:$REDIS_PORT/0" PGRST_LOG_LEVEL="${PGRST_LOG_LEVEL:-info}" \
  "$LAMBDA_BIN" -write-env-json "$ENV_JSON"

cat >&2 <<EOF
localdev: stack is up (state in .localdev/, variables in .localdev/env)
  psql "$admin_uri"
  redis-cli -p $REDIS_PORT
  sam local start-api --env-vars localdev/env.json --docker-network host
EOF

# --- Foreground process ----------------------------------------------------
# Run in the background and wait, so the traps fire as soon as a signal comes.
if [[ "$mode" == serve ]]; then
  log "API on http://localhost:$API_PORT (Ctrl-C stops everything)"
  "$SERVE_BIN" &
  child_pid=$!
  printf '%s\n' "$child_pid" >"$SERVE_PIDFILE"
elif [[ "$mode" == lambda ]]; then
  "$WORKER_BIN" &
  worker_pid=$!
  printf '%s\n' "$worker_pid" >"$WORKER_PIDFILE"
  log "API on http://localhost:$API_PORT: the bootstrap under a local Lambda Runtime API," \
    "${LOCALDEV_API:-http} API events, up to ${LOCALDEV_LAMBDA_CONCURRENCY:-4} containers (Ctrl-C stops everything)"
  "$LAMBDA_BIN" -bootstrap "$BOOTSTRAP_BIN" &
  child_pid=$!
  printf '%s\n' "$child_pid" >"$SERVE_PIDFILE"
else
  log "--stack-only: Ctrl-C stops PostgreSQL and Redis"
  sleep infinity &
  child_pid=$!
fi
wait "$child_pid"
