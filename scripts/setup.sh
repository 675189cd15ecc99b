#!/usr/bin/env bash
# Installs what the project needs, idempotently and quickly when it is already there.
#   scripts/setup.sh --runtime   npm dependencies, the admin UI build and a Temporal CLI (npm start)
#   scripts/setup.sh --test      the above plus PostgreSQL and the Temporal test server (npm test)
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:---runtime}"
log() { printf '[setup] %s\n' "$*" >&2; }

# 1. npm dependencies, reinstalled only when package-lock.json changed.
stamp=node_modules/.hookyard-lock
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

# 1b. The admin UI (ui/ -> dist/admin-ui, served at /admin), rebuilt only when its sources or
# the lockfile changed.
ui_stamp=dist/admin-ui/.hookyard-ui
ui_want="$( (sha256sum package-lock.json; find ui -type f -not -name README.md -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1)"
if [ ! -f "$ui_stamp" ] || [ "$(cat "$ui_stamp")" != "$ui_want" ]; then
  log "building the admin UI"
  npm run --silent ui:build >&2
  echo "$ui_want" > "$ui_stamp"
fi

# 2. The Temporal CLI (dev server) and, for tests, the time-skipping test server.
bash scripts/install-temporal.sh >/dev/null

if [ "$mode" = "--test" ]; then
  # 3. PostgreSQL server binaries for the integration tests.
  bash scripts/install-postgres.sh
fi
