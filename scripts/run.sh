#!/usr/bin/env bash
# Installs dependencies, builds Release, and starts the main program on its default config.
# Until the broker daemon lands this is the storage benchmark; arguments are passed through.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" Release release

mkdir -p "$root/data"
exec "$root/build/release/bench/storage_bench" --dir "$root/data" "$@"
