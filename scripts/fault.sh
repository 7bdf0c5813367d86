#!/usr/bin/env bash
# The fault suite's long forms: ./scripts/fault.sh [CYCLES] [-- crash-loop options]
# Builds with AddressSanitizer and UndefinedBehaviorSanitizer (as test.sh does) and runs the crash
# loop for CYCLES broker kills (default 200). `-- --power-loss` runs the power-loss variant, where
# each kill also drops the broker's unsynced writes. Its last line is
#   cycles=N acknowledged=N lost=N duplicated=N inconsistent=N
# and the exit status is non-zero unless every check passed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${1:-200}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" Asan test

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$root/build/test/tests/sluice-crash-loop" --cycles "$cycles" "$@"
