#!/usr/bin/env bash
# Runs the jest suite against the real servers and ends with the line CI reads:
#   N passed, N failed[, N skipped]
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test/.runtime
out=test/.runtime/jest-results.json
rm -f "$out"

# Static checks count as tests: the typecheck and the lint rules of STYLE.md.
static_passed=0; static_failed=0
if [ $# -eq 0 ]; then
  for check in "npx tsc --noEmit" "npx eslint ."; do
    echo "[test] $check" >&2
    if $check; then static_passed=$((static_passed+1)); else static_failed=$((static_failed+1)); fi
  done
fi

npx jest --json --outputFile="$out" "$@"
code=$?
[ "$static_failed" -gt 0 ] && code=1
node -e '
  const fs = require("fs");
  let r;
  const [sp, sf] = [Number(process.argv[2]), Number(process.argv[3])];
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log(`${sp} passed, ${sf + 1} failed`); process.exit(0); }
  // A suite that failed to run counts as a failure even though it ran no test.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests + sp} passed, ${r.numFailedTests + broken + sf} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$out" "$static_passed" "$static_failed"
exit $code
