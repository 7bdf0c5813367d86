#!/usr/bin/env bash
# CPU seconds each side spends per GB moved, for the 1 KiB rows of compare.sh against the limits
# they are compared with: iperf3 over loopback (sender, receiver), fio's buffered 64 KiB writes,
# and sluice-bench producing (in 1 MiB batches, as compare.sh) then consuming 1,000,000 records
# of 1 KiB over 4 partitions (the client process, and the broker over the same interval).
# bench/cpu_per_gb.sh [ROUNDS]
# Run bench/compare.sh first (it installs fio and iperf3 and builds build/release).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-3}
bin="$root/build/release"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
make_workspace cpu
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks
hz=$(getconf CLK_TCK)

for ((round = 1; round <= rounds; round++)); do
  port=$(free_port)
  iperf3 --server --bind 127.0.0.1 --port "$port" >/dev/null 2>&1 &
  pids+=($!)
  wait_port "$port"
  iperf3 --client 127.0.0.1 --port "$port" --time 3 --json | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]; gb = e["sum_received"]["bytes"] / 1e9
s = e["sum_received"]["seconds"]; c = e["cpu_utilization_percent"]
print("iperf3          %5.0f MB/s  sender %.3f  receiver %.3f core-s/GB" %
      (gb * 1e3 / s, c["host_total"] / 100 * s / gb, c["remote_total"] / 100 * s / gb))'
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

  rm -rf "$work/fio"; mkdir -p "$work/fio"; sync
  fio --name=limit --rw=write --bs=64k --size=1G --ioengine=psync --fallocate=none \
    --create_on_open=1 --directory="$work/fio" --output-format=json 2>/dev/null | python3 -c '
import json, sys
j = json.load(sys.stdin)["jobs"][0]; w = j["write"]; gb = w["io_bytes"] / 1e9; s = w["runtime"] / 1e3
print("fio buffered    %5.0f MB/s  writer %.3f core-s/GB" %
      (w["bw_bytes"] / 1e6, (j["usr_cpu"] + j["sys_cpu"]) / 100 * s / gb))'
  rm -rf "$work/fio" "$work/data"; mkdir -p "$work/data"; sync

  port=$(free_port)
  "$bin/broker/sluiced" --data-dir "$work/data" --set "listen=127.0.0.1:$port" \
    --set metrics.listen= --set log.level=warn &
  broker=$!
  pids+=("$broker")
  wait_port "$port"
  for mode in produce consume; do
    args=(consume --topic t --records 1000000)
    [ "$mode" = produce ] && args=(produce --topic t --records 1000000 --record-size 1024 \
      --partitions 4 --acks 1 --batch-bytes 1048576)
    before=$(ticks "$broker")
    /usr/bin/time -f "%U %S" -o "$work/time" "$bin/bench/sluice-bench" \
      --broker "127.0.0.1:$port" --json "${args[@]}" >"$work/report"
    after=$(ticks "$broker")
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); u, s = map(float, open(sys.argv[2]).read().split())
gb = r["bytes"] / 1e9; broker = int(sys.argv[3]) / int(sys.argv[4])
print("sluice %-8s %5.0f MB/s  client %.3f  broker %.3f core-s/GB" %
      (sys.argv[5], r["mb_per_s"], (u + s) / gb, broker / gb))' \
      "$work/report" "$work/time" $((after - before)) "$hz" "$mode"
    sync  # the consume runs with nothing left to write back, as in compare.sh
  done
  kill "$broker"; wait "$broker" 2>/dev/null || true
done
