#!/usr/bin/env bash
# The lab demo: the suite's main job run locally, the way a GitHub runner runs it. It installs
# what it needs (npm and Debian packages), starts the lab (the demo service in two slots behind
# nginx, watched by Prometheus) and a GitHub API stand-in, then runs the real deploy bundle:
# 1.1.0 goes through every canary step and is promoted, 1.2.0 (5% errors) is caught by the gate
# and rolled back, and 1.2.1 is switched blue-green under load. It prints each timeline and the
# figures, and writes a Markdown report to .lab/demo-report.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ -f actions/deploy/dist/index.js ] || npm run build
SHIPGATE_DEMO_MAIN=1 node --import ./scripts/typescript/register.mjs scripts/lab/deploy-demo.ts
