#!/usr/bin/env bash
# `npm run test:production`: the tests on the real Temporal server (not part of `npm test`).
# Builds the server from source first if it is not cached (scripts/install-temporal-server.sh,
# about 6.5 minutes on 2 idle cores), runs test/production/ with jest.production.config.js, and
# writes the results to docs/production-test.md. Extra arguments go to jest.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test/.runtime
rm -rf test/.runtime/production
out=test/.runtime/production-jest.json
rm -f "$out"

build_started=$(date +%s)
if ! bin=$(bash scripts/install-temporal-server.sh); then
  echo "[test:production] the Temporal server could not be built" >&2
  exit 1
fi
build_wall=$(( $(date +%s) - build_started ))

npx jest -c jest.production.config.js --json --outputFile="$out" "$@"
code=$?
node --import tsx test/production/write-report.ts "$out" "$bin" "$build_wall"
exit $code
