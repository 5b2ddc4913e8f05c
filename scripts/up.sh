#!/usr/bin/env bash
# `npm start`: install what is missing, then bring up the whole engine (scripts/dev.ts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Dependencies: install when missing or when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm dependencies ..."
  npm install --no-audit --no-fund
fi

# The Temporal CLI is needed only when no remote cluster is configured.
if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  TEMPORAL_CLI_PATH="$(bash scripts/setup-temporal.sh | tail -n 1)"
  export TEMPORAL_CLI_PATH
fi

exec node --import tsx scripts/dev.ts
