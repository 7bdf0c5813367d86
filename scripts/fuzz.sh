#!/usr/bin/env bash
# ./scripts/fuzz.sh [SECONDS]: builds the libFuzzer targets of tests/fuzz with clang-14,
# AddressSanitizer and UndefinedBehaviorSanitizer into build/fuzz, and runs each for SECONDS
# (default 300), starting from its seed corpus tests/fuzz/corpus/<target> (which also holds the
# inputs of every crash found so far, so each run replays them first). New inputs collect in
# build/fuzz/corpus/<target> across runs of over 60 s; shorter runs (test.sh's) start from the
# seeds alone. A crash leaves its input in build/fuzz/crashes and fails the run.
# Prints one line per target: target=T seconds=S execs=N crashes=N
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-300}

"$root/scripts/install-deps.sh"
export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=true
build="$root/build/fuzz"
CXX=clang++-14 cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz >/dev/null
cmake --build "$build" -- -j "$(nproc)"

export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
mkdir -p "$build/crashes"
for target in frame_fuzz batch_reader_fuzz recovery_fuzz dispatch_fuzz; do
  work="$build/corpus/$target"
  if [ "$seconds" -le 60 ]; then
    # A short run starts from the seeds alone: replaying a corpus grown by long runs could take
    # longer than the run itself.
    work="$build/corpus-short/$target"
    rm -rf "$work"
  fi
  mkdir -p "$work"
  log="$build/$target.log"
  extra=()
  # dispatch_fuzz keeps one broker's state across inputs, so per-input leak checks would flag it
  # every time; the ASan test suite checks the broker for leaks.
  [ "$target" = dispatch_fuzz ] && extra=(-detect_leaks=0)
  if "$build/tests/fuzz/$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 -artifact_prefix="$build/crashes/$target-" "${extra[@]}" \
      "$work" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1; then
    crashes=0
  else
    crashes=1
    status=1
    tail -n 60 "$log" >&2
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  echo "target=$target seconds=$seconds execs=${execs:-0} crashes=$crashes"
done
rm -rf /dev/shm/sluice-*-fuzz-*  # scratch directories of targets that crashed
exit $status
