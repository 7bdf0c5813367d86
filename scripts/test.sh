#!/usr/bin/env bash
# Installs dependencies, builds with AddressSanitizer and UndefinedBehaviorSanitizer, runs every
# test through ctest, then each fuzz target for 30 s. The exit status is the test result.
# SLUICE_TEST_BUILD_TYPE=Debug|Release picks another build type.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_type=${SLUICE_TEST_BUILD_TYPE:-Asan}

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$build_type" test

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
ctest --test-dir "$root/build/test" --output-on-failure -j "$(nproc)" --timeout 600 || status=$?
# Each libFuzzer target for a short while over its corpus, which replays every crash found so far
# (./scripts/fuzz.sh SECONDS runs them longer). SLUICE_FUZZ_SECONDS=0 skips them.
fuzz_seconds=${SLUICE_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" -gt 0 ]; then
  "$root/scripts/fuzz.sh" "$fuzz_seconds" || status=$?
fi
exit $status
