#!/usr/bin/env bash
# `npm test`: lint and format check, type check, then every test (unit, workflow against the real
# Temporal dev server, replay of recorded histories, end-to-end over HTTP against the sandbox).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The tests run the project's own Temporal binary; build it if this machine has none yet.
TEMPORAL_CLI_PATH="${TEMPORAL_CLI_PATH:-$(bash scripts/setup-temporal.sh | tail -n 1)}"
export TEMPORAL_CLI_PATH

echo "== lint (eslint + prettier)"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== type check"
npx tsc -p . --noEmit
echo "== workflow bundle"
npx tsx scripts/build-bundle.ts >/dev/null
echo "== tests"
# One file at a time: the workflow and end-to-end files each run their own Temporal server.
node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/unit/*.test.ts test/workflow/*.test.ts test/replay/*.test.ts test/e2e/*.test.ts
