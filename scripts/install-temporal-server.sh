#!/usr/bin/env bash
# Builds the real Temporal server (cmd/server) and its SQL schema tool (cmd/tools/sql) from source with
# `go install`, cached outside the repo, and prints the directory that holds both binaries:
#   $HOOKYARD_CACHE/temporal-server/<version>/bin/{server,sql}   (HOOKYARD_CACHE defaults to ~/.cache/hookyard)
# Idempotent: when both binaries exist it prints the directory at once. The first build takes about
# 6.5 minutes and 2 GB of memory on 2 cores; its wall time is written to <version>/build-seconds.
# v1.32.2 needs Go 1.27 and the module proxy serves that toolchain, so the script exports GOTOOLCHAIN.
# (v1.31.5 does not build here: one of its modules is refused by the proxy.) The CLI's dev server embeds
# server 1.32.0, so the dev server and this server speak the same version.
set -euo pipefail
version="${TEMPORAL_SERVER_VERSION:-v1.32.2}"
toolchain="${TEMPORAL_SERVER_GOTOOLCHAIN:-go1.27.3}"
cache="${HOOKYARD_CACHE:-$HOME/.cache/hookyard}"
dir="$cache/temporal-server/$version"
bin="$dir/bin"
log() { printf '[temporal-server] %s\n' "$*" >&2; }

if [ -x "$bin/server" ] && [ -x "$bin/sql" ]; then echo "$bin"; exit 0; fi
if ! command -v go >/dev/null 2>&1; then log "go is not installed; install Go >= 1.21 (it fetches $toolchain itself)"; exit 1; fi

mkdir -p "$bin"
exec 9>"$dir/.lock"
if ! flock -w 1800 9; then log "another build holds $dir/.lock"; exit 1; fi
if [ -x "$bin/server" ] && [ -x "$bin/sql" ]; then echo "$bin"; exit 0; fi

export GOTOOLCHAIN="$toolchain"
log "building go.temporal.io/server $version (cmd/server, cmd/tools/sql) with $toolchain; about 6.5 minutes"
start=$(date +%s)
GOBIN="$bin" nice -n 5 go install \
  "go.temporal.io/server/cmd/server@$version" \
  "go.temporal.io/server/cmd/tools/sql@$version" >&2
seconds=$(( $(date +%s) - start ))
echo "$seconds" > "$dir/build-seconds"
log "built in ${seconds}s into $bin"
echo "$bin"
