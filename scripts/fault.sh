#!/usr/bin/env bash
# The fault suite's long forms: ./scripts/fault.sh [CYCLES] [-- crash-loop options]
#   1. the crash loop for CYCLES broker kills (default 200), then CYCLES power cuts (the
#      broker's unsynced writes dropped); each ends with the line
#        cycles=N acknowledged=N lost=N duplicated=N inconsistent=N
#   2. the disk-fault tests (a real full disk; EIO on fsync and on write);
#   3. load and hostile clients on a release build: 1,000 idle connections, 100 active clients,
#      fetches never read, a one-byte-a-second client, a connection churner; fails if the active
#      clients' p99 more than doubles or the broker's RSS grows past its request-memory budget.
# Steps 1 and 2 run under AddressSanitizer and UndefinedBehaviorSanitizer, as test.sh does.
# The exit status is non-zero unless every check passed. tests/fault/RESULTS.md holds figures.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${1:-200}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" Asan test
"$root/scripts/build.sh" Release release

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
echo "== crash loop: $cycles broker kills"
"$root/build/test/tests/sluice-crash-loop" --cycles "$cycles" "$@" || status=1
echo "== crash loop: $cycles power cuts"
"$root/build/test/tests/sluice-crash-loop" --cycles "$cycles" --power-loss "$@" || status=1
echo "== disk faults"
"$root/build/test/tests/fault_tests" "[disk],[eio]" || status=1
echo "== load and hostile clients"
"$root/build/release/tests/sluice-load" --idle 1000 --active 100 --seconds 10 \
  --max-latency-ratio 2 --within-budget || status=1
exit $status
