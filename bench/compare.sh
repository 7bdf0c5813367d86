#!/usr/bin/env bash
# Sluice against its peers and the machine's limits, in one run on 127.0.0.1:
#   bench/compare.sh [ROUNDS]        (default 1; each figure is the median of ROUNDS runs)
# Each system runs on a fresh data dir per workload: 1,000,000 records of 100 B and of 1 KiB,
# produced batched (acks=1) and durably (acks=all, fsync on every write), consumed from the
# start, and an end-to-end latency run at 10,000 records/s. Peers: Redis 7 Streams and NATS
# JetStream 2.9 through the small C clients in bench/peers/; limits: fio and iperf3. Writes the
# table into bench/RESULTS.md between the compare.sh markers and prints it. Stops everything it
# started, also on failure or Ctrl-C.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-1}
records=${COMPARE_RECORDS:-1000000}
e2e_seconds=${COMPARE_E2E_SECONDS:-10}
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
make_workspace compare
results="$work/results.jsonl"

log() { echo "compare: $*" >&2; }

install_tools() {
  "$root/scripts/install-deps.sh"
  local need=() p
  for p in redis-server nats-server libnats-dev libhiredis-dev fio iperf3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    local sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
  # Debian starts packaged servers where it can; this script runs its own on free ports.
  "$root/scripts/build.sh" Release release >/dev/null
  mkdir -p "$root/build/peers"
  cc -O2 -Wall -o "$root/build/peers/redis_bench" "$root/bench/peers/redis_bench.c" -lhiredis -lpthread
  cc -O2 -Wall -o "$root/build/peers/nats_bench" "$root/bench/peers/nats_bench.c" -lnats -lpthread
}

# start_server NAME COMMAND...: runs it in the background on a fresh data dir $dir; sets $server.
start_server() {
  local name=$1; shift
  "$@" >"$work/$name.log" 2>&1 &
  server=$!
  pids+=("$server")
}

stop_server() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$dir"
}

# fresh_dir NAME: an empty data dir $dir, after writing back what earlier runs left dirty in the
# page cache, so that no run is throttled by another's writeback.
fresh_dir() {
  dir="$work/data-$1"
  rm -rf "$dir"
  mkdir -p "$dir"
  sync
}

# Between producing a topic and consuming it: writes back what the produce left dirty, so that
# the consume row measures reading a filled log, not reading while the kernel writes it out (the
# limits it is compared with run with nothing to write back, too).
settle() { sync; }

# record SYSTEM WORKLOAD JSON: appends one result line.
record() {
  python3 -c 'import json,sys; r=json.loads(sys.argv[3]); r.update(system=sys.argv[1], workload=sys.argv[2]); print(json.dumps(r))' \
    "$1" "$2" "$3" >>"$results"
}

# --- Sluice ---------------------------------------------------------------------------------
sluice_start() {  # sluice_start TAG [--set key=value...]
  local tag=$1; shift
  fresh_dir "sluice-$tag"
  port=$(free_port)
  start_server "sluice-$tag" "$root/build/release/broker/sluiced" --data-dir "$dir" \
    --set "listen=127.0.0.1:$port" --set metrics.listen= --set log.level=warn "$@"
  wait_port "$port"
}

sluice_bench() { "$root/build/release/bench/sluice-bench" --broker "127.0.0.1:$port" --json "$@"; }

run_sluice() {
  local size
  for size in 100 1024; do
    sluice_start "b$size"
    # Batched for throughput: 1 MiB batches, as librdkafka's default batch.size and OMB's Kafka
    # throughput driver. The durable rows keep 64 KiB batches, the size of fio's fdatasync writes.
    record sluice "produce-$size" "$(sluice_bench produce --topic t --records "$records" \
      --record-size "$size" --partitions 4 --acks 1 --batch-bytes 1048576)"
    settle
    record sluice "consume-$size" "$(sluice_bench consume --topic t --records "$records")"
    # The same read by a client with nothing but a socket and the CRC check (bench/fetch_probe.cpp):
    # what the broker serves, apart from the client library's cost.
    record sluice "probe-$size" "$("$root/build/release/bench/fetch_probe" --broker "127.0.0.1:$port" \
      --topic t --partitions 4 --bytes $((records * size)))"
    stop_server
    sluice_start "d$size" --set log.flush.policy=always
    record sluice "durable-$size" "$(sluice_bench produce --topic t --records "$records" \
      --record-size "$size" --partitions 4 --acks all)"
    stop_server
  done
  sluice_start e2e
  record sluice e2e "$(sluice_bench e2e --topic t --rate 10000 --seconds "$e2e_seconds" \
    --record-size 100 --acks 1)"
  stop_server
}

# 1,000 partitions against 10: produce throughput, then the idle broker's resident memory.
run_scale() {
  local parts
  for parts in 10 1000; do
    sluice_start "scale$parts"
    record sluice "scale-$parts" "$(sluice_bench produce --topic t --records "$records" \
      --record-size 100 --partitions "$parts" --acks 1)"
    if [ "$parts" = 1000 ]; then
      sleep 5  # idle: let the flusher and the allocator settle
      record sluice idle-rss-1000 \
        "{\"rss_mib\": $(awk '/VmRSS/ {print $2 / 1024}' "/proc/$server/status")}"
    fi
    stop_server
  done
}

# --- Redis Streams ---------------------------------------------------------------------------
redis_start() {  # redis_start TAG FSYNC
  fresh_dir "redis-$1"
  port=$(free_port)
  start_server "redis-$1" redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
    --appendonly yes --appendfsync "$2" --daemonize no
  wait_port "$port"
}

redis_bench() { "$root/build/peers/redis_bench" "$1" --port "$port" "${@:2}"; }

run_redis() {
  local size
  for size in 100 1024; do
    redis_start "b$size" everysec
    record redis "produce-$size" "$(redis_bench produce --records "$records" --record-size "$size")"
    settle
    record redis "consume-$size" "$(redis_bench consume --records "$records" --record-size "$size")"
    stop_server
    redis_start "d$size" always
    record redis "durable-$size" "$(redis_bench produce --records "$records" --record-size "$size")"
    stop_server
  done
  redis_start e2e everysec
  record redis e2e "$(redis_bench e2e --rate 10000 --seconds "$e2e_seconds" --record-size 100)"
  stop_server
}

# --- NATS JetStream --------------------------------------------------------------------------
# nats-server 2.9 has no fsync-per-write setting (sync_interval arrived in 2.10): its file store
# writes through the page cache and syncs on its own schedule, so its "durable" rows run the
# same configuration as its batched rows and are marked as such in the table.
nats_start() {
  fresh_dir "nats-$1"
  port=$(free_port)
  printf 'listen: 127.0.0.1:%s\njetstream { store_dir: "%s" }\n' "$port" "$dir" >"$work/nats-$1.conf"
  start_server "nats-$1" nats-server -c "$work/nats-$1.conf"
  wait_port "$port"
}

nats_bench() { "$root/build/peers/nats_bench" "$1" --port "$port" "${@:2}"; }

run_nats() {
  local size
  for size in 100 1024; do
    nats_start "b$size"
    record nats "produce-$size" "$(nats_bench produce --records "$records" --record-size "$size")"
    settle
    record nats "consume-$size" "$(nats_bench consume --records "$records" --record-size "$size")"
    stop_server
    nats_start "d$size"
    record nats "durable-$size" "$(nats_bench produce --records "$records" --record-size "$size")"
    stop_server
  done
  nats_start e2e
  record nats e2e "$(nats_bench e2e --rate 10000 --seconds "$e2e_seconds" --record-size 100)"
  stop_server
}

# --- Limits ----------------------------------------------------------------------------------
# fio at the durable rows' batch size (64 KiB): buffered, and with fdatasync after every write.
# Buffered, 64 KiB is also fio's steadiest and fastest size here (1 MiB writes ran 0.8-5.9 GB/s).
fio_mb() {
  fresh_dir fio
  fio --name=limit --rw=write --bs=64k --size="$1" --ioengine=psync --fallocate=none \
    --create_on_open=1 --directory="$dir" --output-format=json "${@:2}" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["write"]["bw_bytes"]/1e6)'
  rm -rf "$dir"
}

run_limits() {
  record fio buffered "{\"mb_per_s\": $(fio_mb 1G)}"
  record fio fdatasync "{\"mb_per_s\": $(fio_mb 256M --fdatasync=1)}"
  fresh_dir iperf3
  port=$(free_port)
  start_server iperf3 iperf3 --server --bind 127.0.0.1 --port "$port"
  wait_port "$port"  # (a probe connection would end a --one-off server)
  local mb
  mb=$(iperf3 --client 127.0.0.1 --port "$port" --time 5 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/8e6)')
  stop_server
  record iperf3 loopback "{\"mb_per_s\": $mb}"
}

# --------------------------------------------------------------------------------------------
install_tools
started=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
  log "round $round of $rounds: limits";  run_limits
  log "round $round of $rounds: sluice";  run_sluice
  log "round $round of $rounds: redis";   run_redis
  log "round $round of $rounds: nats";    run_nats
  log "round $round of $rounds: scale";   run_scale
done
elapsed=$(($(date +%s) - started))

# The congestion control is part of the machine: BBR paces loopback traffic, which bounds iperf3
# and every system here alike.
congestion=$(sysctl -n net.ipv4.tcp_congestion_control 2>/dev/null || echo unknown)
machine="$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), Linux $(uname -r), TCP congestion control $congestion"
python3 "$root/bench/compare_report.py" "$results" \
  --machine "$machine" --date "$(date -u +%Y-%m-%d)" \
  --command "bench/compare.sh $rounds" --elapsed "$elapsed" --rounds "$rounds" \
  --records "$records" --update "$root/bench/RESULTS.md"
