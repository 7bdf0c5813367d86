#!/usr/bin/env bash
# Installs dependencies, builds Release, and starts the broker on its default config
# (configs/sluiced.properties: 127.0.0.1:9292, data in ./data, metrics on 127.0.0.1:9293).
# Extra arguments go to sluiced, e.g. ./scripts/run.sh --set log.flush.policy=always
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" Release release

cd "$root"
exec "$root/build/release/broker/sluiced" --config "$root/configs/sluiced.properties" "$@"
