#!/usr/bin/env bash
# Storage engine against the disk's own limit, in one run: storage_bench and fio alternate on the
# same directory, ROUNDS times each, and the medians and their ratio are printed as a Markdown
# table for bench/RESULTS.md.
#   bench/storage_compare.sh [ROUNDS] [DIR]
# fio writes the same batch size storage_bench appends, to a new file (no preallocation), with
# psync; buffered for `--flush os`, fdatasync after every write for `--flush always`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
rounds=${1:-5}
dir=${2:-$root/build/bench-data}

"$root/scripts/install-deps.sh"
if ! command -v fio >/dev/null; then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq fio >/dev/null
fi
"$root/scripts/build.sh" Release release >/dev/null
bench="$root/build/release/bench/storage_bench"
mkdir -p "$dir"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# fio MB/s (10^6 bytes) for one job: fio_run BS SIZE [extra fio flags...]
fio_run() {
  local bs=$1 size=$2; shift 2
  sync
  fio --name=sluice-baseline --rw=write --bs="$bs" --size="$size" --ioengine=psync \
      --fallocate=none --create_on_open=1 --directory="$dir" --output-format=json "$@" 2>/dev/null |
    field "['jobs'][0]['write']['bw_bytes']/1e6"
  rm -f "$dir"/sluice-baseline*
}

# One workload: name, storage_bench flags, total bytes, extra fio flags.
workload() {
  local name=$1 flags=$2 total=$3 fio_flags=$4
  local bs ours=() theirs=() records=()
  bs=$("$bench" $flags --total-bytes 16M --dir "$dir" --json | field "['batch_bytes']")
  for ((i = 0; i < rounds; i++)); do
    sync
    local out
    out=$("$bench" $flags --total-bytes "$total" --dir "$dir" --json)
    ours+=("$(echo "$out" | field "['disk_mb_per_s']")")
    records+=("$(echo "$out" | field "['records_per_s']")")
    theirs+=("$(fio_run "$bs" "$total" $fio_flags)")
  done
  local o t r
  o=$(printf '%s\n' "${ours[@]}" | median)
  t=$(printf '%s\n' "${theirs[@]}" | median)
  r=$(printf '%s\n' "${records[@]}" | median)
  printf '| %s | %s | %.0f | %.1f | %.1f | %.2f |\n' "$name" "$bs" "$r" "$o" "$t" \
    "$(python3 -c "print($o / $t)")"
}

echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -r); $(date -u +%Y-%m-%d)"
echo "Command: bench/storage_compare.sh $rounds; medians of $rounds alternating rounds"
echo
echo "| workload | write size (B) | records/s | storage_bench MB/s | fio MB/s | ratio |"
echo "| --- | --- | --- | --- | --- | --- |"
workload "100 B records, flush os (fio buffered)" "--record-size 100 --batch-bytes 16K --flush os" 1G ""
workload "1 KiB records, flush os (fio buffered)" "--record-size 1024 --batch-bytes 64K --flush os" 1G ""
workload "100 B records, flush always, 1 in flight (fio fdatasync)" "--record-size 100 --batch-bytes 16K --flush always --inflight 1" 64M "--fdatasync=1"
workload "100 B records, flush always, 8 in flight (fio fdatasync)" "--record-size 100 --batch-bytes 16K --flush always --inflight 8" 64M "--fdatasync=1"
rm -rf "$dir"
