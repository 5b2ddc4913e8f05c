#!/usr/bin/env bash
# Builds the Temporal CLI (dev server + Web UI) from its Go module into .tools/, once.
#
# Why build: this project's machines reach package registries only, and the Go module proxy is one
# of them. v1.5.1 is the newest CLI release whose go.mod has no replace directive, so it is the
# newest one `go install pkg@version` accepts. GOTOOLCHAIN=local stops Go from trying to download a
# toolchain (which would fail here).
#
# Prints the path of the binary on its last line of stdout; progress goes to stderr.
set -euo pipefail

TEMPORAL_CLI_VERSION="v1.5.1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/.tools/temporal-${TEMPORAL_CLI_VERSION#v}"
bin="$dir/temporal"

installed_version() {
  # The CLI prints 0.0.0-DEV as its version when built by `go install`; the module version
  # embedded in the binary's build info is the reliable one.
  go version -m "$bin" 2>/dev/null | awk '$1 == "mod" && $2 == "github.com/temporalio/cli" { print $3 }'
}

if [ -x "$bin" ] && [ "$(installed_version)" = "$TEMPORAL_CLI_VERSION" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "setup-temporal: Go is not installed; it is needed once to build the Temporal CLI." >&2
  exit 1
fi

echo "setup-temporal: building Temporal CLI $TEMPORAL_CLI_VERSION into $dir (first time only; takes a few minutes)" >&2
mkdir -p "$dir"
start=$(date +%s)
# -x would be too loud; `go install -v` prints each package as it compiles, which is the progress.
GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$dir" \
  go install -v "github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}" 2>&1 |
  awk -v start="$start" '/[: ]/ { print > "/dev/stderr"; next } { n++; if (n % 25 == 0) { printf "setup-temporal: %d packages compiled (%ds)\n", n, systime() - start > "/dev/stderr"; fflush("/dev/stderr") } }'
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ] || [ ! -x "$bin" ]; then
  echo "setup-temporal: go install failed (exit $status)" >&2
  exit 1
fi
echo "setup-temporal: built $(installed_version) in $(( $(date +%s) - start ))s" >&2
echo "$bin"
