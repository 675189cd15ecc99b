#!/usr/bin/env bash
# Runs the jest suite against the real servers and ends with the line CI reads:
#   N passed, N failed[, N skipped]
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p test/.runtime
out=test/.runtime/jest-results.json
rm -f "$out"
npx jest --json --outputFile="$out" "$@"
code=$?
node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 passed, 1 failed"); process.exit(0); }
  // A suite that failed to run counts as a failure even though it ran no test.
  const broken = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests + broken} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$out"
exit $code
