#!/usr/bin/env bash
# The lab demo: the suite's main job run locally, the way a GitHub runner runs it. Today that is
# the promotion path's configuration stage: every environment rendered from environments/ by the
# env-config bundle, each compared with the next stage (development -> staging -> production),
# with outputs, exported variables, annotations and the job summary shown as GitHub would.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f actions/env-config/dist/index.js ] || npm run build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A demo value standing in for the repository secret that the workflow passes as env.
export DB_PASSWORD="demo-only-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

run_stage() {
  local environment=$1 compare_to=$2 dir="$work/$1"
  mkdir -p "$dir"
  : >"$dir/output"; : >"$dir/env"; : >"$dir/summary"; echo '{}' >"$dir/event.json"
  echo "=== env-config: $environment (compared with $compare_to) ==="
  local status=0
  env GITHUB_ACTIONS=true GITHUB_WORKSPACE="$PWD" GITHUB_OUTPUT="$dir/output" GITHUB_ENV="$dir/env" \
    GITHUB_STEP_SUMMARY="$dir/summary" GITHUB_EVENT_PATH="$dir/event.json" GITHUB_STATE="$dir/state" \
    INPUT_ENVIRONMENT="$environment" "INPUT_COMPARE-TO=$compare_to" "INPUT_EXPORT-ENV=true" \
    "INPUT_OUTPUT-FILE=$dir/config.json" node actions/env-config/dist/index.js >"$dir/log" 2>&1 || status=$?
  # The runner consumes ::add-mask:: commands instead of printing them; so does the demo.
  sed 's/^::add-mask::.*/[runner: a secret value was registered for masking]/' "$dir/log"
  echo "--- exit code $status; outputs (GITHUB_OUTPUT):"
  cat "$dir/output"
  echo "--- job summary (GITHUB_STEP_SUMMARY):"
  cat "$dir/summary"
  echo
}

run_stage development staging
run_stage staging production
run_stage production staging
echo "Rendered files were written under a temporary directory and removed; the secret appears above only as ***."
