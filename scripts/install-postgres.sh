#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, pg_ctl, postgres) exist; prints their folder.
set -euo pipefail
log() { printf '[postgres] %s\n' "$*" >&2; }

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ] && [ -x "$PG_BINDIR/initdb" ]; then echo "$PG_BINDIR"; return 0; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v initdb)"; return 0; fi
  return 1
}

if dir=$(find_bindir); then echo "$dir"; exit 0; fi

log "PostgreSQL server binaries are missing; installing Debian's postgresql package"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq postgresql >&2
# The package starts a cluster of its own; the tests run their own, so stop it.
$sudo service postgresql stop >/dev/null 2>&1 || true
dir=$(find_bindir) || { log "installation finished but initdb is still missing"; exit 1; }
echo "$dir"
