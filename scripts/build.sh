#!/usr/bin/env bash
# Configures and builds one build type into build/<dir>: ./scripts/build.sh Release release
# Uses ccache with paths relative to the checkout, so a fresh clone reuses earlier objects.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_type=${1:-Release}
dir=${2:-release}

export CCACHE_BASEDIR="$root"
export CCACHE_NOHASHDIR=true
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime

cmake -S "$root" -B "$root/build/$dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build "$root/build/$dir" -- -j "$(nproc)"
