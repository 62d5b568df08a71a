#!/usr/bin/env bash
# Installs what the suite needs on a fresh machine: npm packages (from the lockfile) and the
# Debian packages the tests and the lab run for real. Idempotent: quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# `npm install` rather than `npm ci`: npm 11.19 leaves other platforms' optional bindings (of
# unrs-resolver, under jest) out of the lockfile and then refuses `npm ci` as out of sync. With a
# lockfile present, `npm install` still installs the locked versions.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm install --no-audit --no-fund
fi

# Debian packages the tests use: openssl makes the short-lived certificates of the https checks;
# Prometheus, Pushgateway, Alertmanager and nginx are the real servers of the lab and the tests;
# chromium opens the delivery-report dashboard headless; postgresql is the server migration-check
# proves migrations on (a throwaway cluster per run: its initdb and pg_ctl are found under
# /usr/lib/postgresql/<version>/bin, off PATH, and run as the postgres user when the tests run as root).
DEBIAN_PACKAGES=(openssl prometheus prometheus-pushgateway prometheus-alertmanager nginx chromium postgresql)
missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "setup: need root to install: ${missing[*]}" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
