#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis server binaries used by `make dev` and
# the integration tests are present, installing them with apt-get on Debian
# or Ubuntu when they are missing.
#
# Usage: scripts/ensure-deps.sh [--pg-bindir] [--node]
#   --pg-bindir  print the directory holding initdb/pg_ctl/postgres on stdout
#                (all other output goes to stderr so callers can capture it).
#   --node       also make sure node and npm are there (the postgrest-js tests
#                of `make test`), installing Debian's nodejs and npm if not.
set -euo pipefail

log() { printf 'ensure-deps: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

print_bindir=false
need_node=false
for arg in "$@"; do
  case "$arg" in
    --pg-bindir) print_bindir=true ;;
    --node) need_node=true ;;
    "") ;;
    *) die "unknown argument: $arg" ;;
  esac
done

# Debian keeps the server binaries out of PATH, under
# /usr/lib/postgresql/<major>/bin; PG_BINDIR wins when set.
pg_bindir() {
  local dir
  if [[ -n "${PG_BINDIR:-}" && -x "${PG_BINDIR}/initdb" ]]; then
    printf '%s\n' "$PG_BINDIR"
    return 0
  fi
  # PATH entries may be symlinks into the real bin directory.
  if command -v initdb >/dev/null 2>&1; then
    dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
    if [[ -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  fi
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$dir" && -x "$dir/initdb" ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  fi
  # Newest major version first.
  for dir in $(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
      printf '%s\n' "$dir"
      return 0
    fi
  done
  return 1
}

missing=()
pg_bindir >/dev/null || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)

# The server packages pull in their clients (psql, redis-cli).
packages=()
if ((${#missing[@]} > 0)); then
  packages+=(postgresql redis-server)
fi
if $need_node; then
  command -v node >/dev/null 2>&1 || { missing+=(nodejs); packages+=(nodejs); }
  command -v npm >/dev/null 2>&1 || { missing+=(npm); packages+=(npm); }
fi

if ((${#packages[@]} > 0)); then
  command -v apt-get >/dev/null 2>&1 ||
    die "missing ${missing[*]} and apt-get is not available; install them by hand"
  sudo_cmd=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 ||
      die "missing ${missing[*]}; run as root or install sudo"
    sudo_cmd=(sudo)
  fi
  log "installing ${missing[*]}"
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  # Services are not started here: dev.sh and the tests run their own
  # throwaway servers.
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${packages[@]}" >&2
fi

bindir="$(pg_bindir)" || die "PostgreSQL server binaries not found after install"
command -v redis-server >/dev/null 2>&1 || die "redis-server not found after install"
if $need_node; then
  command -v node >/dev/null 2>&1 || die "node not found after install"
  command -v npm >/dev/null 2>&1 || die "npm not found after install"
fi

# initdb and postgres refuse to run as root; the Debian package creates this user.
if ((EUID == 0)) && ! id -u postgres >/dev/null 2>&1; then
  die "running as root but there is no 'postgres' OS user to run PostgreSQL as"
fi

if $print_bindir; then
  printf '%s\n' "$bindir"
fi
