#!/usr/bin/env bash
# Installs Sluice's build and test dependencies from Debian 12 packages.
# Idempotent: when every package is already installed it prints nothing and touches nothing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost-dev libboost-program-options-dev libboost-system-dev
  protobuf-compiler libprotobuf-dev
  libspdlog-dev libfmt-dev
  librocksdb-dev
  catch2
  liblz4-dev libzstd-dev libsnappy-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev
  clang-14 libclang-rt-14-dev  # libFuzzer targets (scripts/fuzz.sh)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq >/dev/null
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
