#!/usr/bin/env python3
"""Turns bench/compare.sh's results (one JSON object per line, tagged with system and workload)
into the Markdown table and target checks, prints them, and with --update replaces the section
between the compare.sh markers in bench/RESULTS.md (appending it when the markers are absent)."""
import argparse
import json
import statistics
import sys

BEGIN = "<!-- compare.sh: begin -->"
END = "<!-- compare.sh: end -->"

THROUGHPUT_ROWS = [
    ("produce-100", "produce 100 B, acks=1", None),
    ("produce-1024", "produce 1 KiB, acks=1", "min(fio buffered, iperf3)"),
    ("durable-100", "durable produce 100 B", "fio fdatasync"),
    ("durable-1024", "durable produce 1 KiB", "fio fdatasync"),
    ("consume-100", "consume 100 B from the start", "iperf3"),
    ("consume-1024", "consume 1 KiB from the start", "iperf3"),
]


def load(path):
    by_key = {}
    for line in open(path):
        r = json.loads(line)
        by_key.setdefault((r["system"], r["workload"]), []).append(r)
    return by_key


def median(by_key, system, workload, field):
    runs = by_key.get((system, workload))
    return statistics.median(r[field] for r in runs) if runs else None


def limit_mb(by_key, name):
    fio_b = median(by_key, "fio", "buffered", "mb_per_s")
    fio_s = median(by_key, "fio", "fdatasync", "mb_per_s")
    net = median(by_key, "iperf3", "loopback", "mb_per_s")
    return {"min(fio buffered, iperf3)": min(fio_b, net), "fio fdatasync": fio_s,
            "iperf3": net, None: None}[name]


def rate(rps, mbps):
    return f"{rps / 1e6:.2f} M/s, {mbps:.0f} MB/s" if rps >= 1e6 else f"{rps / 1e3:.0f} k/s, {mbps:.0f} MB/s"


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "–"


def probe_lines(by_key):
    """The consume rows' data read again by bench/fetch_probe (no client library), if measured."""
    cells = []
    for size, label in (("100", "100 B"), ("1024", "1 KiB")):
        mb = median(by_key, "sluice", f"probe-{size}", "mb_per_s")
        if mb is not None:
            consume = median(by_key, "sluice", f"consume-{size}", "mb_per_s")
            cells.append(f"{label} {mb:.0f} MB/s (consume ÷ probe {ratio(consume, mb)})")
    if not cells:
        return []
    return ["", "The consume rows' data fetched again by `fetch_probe`, a client with nothing but a "
            "socket and the CRC check (medians): " + "; ".join(cells) + "."]


def tables(by_key):
    out = ["| workload | Sluice | Redis Streams | Sluice ÷ Redis | NATS JetStream | Sluice ÷ NATS "
           "| limit | Sluice ÷ limit |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, label, limit_name in THROUGHPUT_ROWS:
        cells = [label]
        ours = median(by_key, "sluice", key, "records_per_s")
        ours_mb = median(by_key, "sluice", key, "mb_per_s")
        cells.append(rate(ours, ours_mb))
        for peer in ("redis", "nats"):
            theirs = median(by_key, peer, key, "records_per_s")
            theirs_mb = median(by_key, peer, key, "mb_per_s")
            cells.append(rate(theirs, theirs_mb) + (" ¹" if peer == "nats" and key.startswith("durable") else ""))
            cells.append(ratio(ours, theirs))
        lim = limit_mb(by_key, limit_name)
        cells.append(f"{limit_name} {lim:.0f} MB/s" if lim else "–")
        cells.append(ratio(ours_mb, lim))
        out.append("| " + " | ".join(cells) + " |")
    for field, label in (("p50_ms", "p50"), ("p99_ms", "p99"), ("p999_ms", "p99.9")):
        ours = median(by_key, "sluice", "e2e", field)
        row = [f"e2e at 10,000 records/s, {label} (ms)", f"{ours:.2f}"]
        for peer in ("redis", "nats"):
            theirs = median(by_key, peer, "e2e", field)
            row += [f"{theirs:.2f}", ratio(theirs, ours) + " ²"]
        row += ["–", "–"]
        out.append("| " + " | ".join(row) + " |")
    return out


def rounds_table(by_key):
    """Each round's figure for Sluice's throughput and scale rows and the limits, to show the
    noise under the medians."""
    rows = [(f"Sluice {label}", ("sluice", key)) for key, label, _ in THROUGHPUT_ROWS]
    rows += [("Sluice produce 100 B to 10 partitions (scale)", ("sluice", "scale-10")),
             ("Sluice produce 100 B to 1,000 partitions (scale)", ("sluice", "scale-1000")),
             ("fio buffered", ("fio", "buffered")), ("fio fdatasync", ("fio", "fdatasync")),
             ("iperf3 loopback", ("iperf3", "loopback")),
             ("fetch_probe 100 B", ("sluice", "probe-100")),
             ("fetch_probe 1 KiB", ("sluice", "probe-1024"))]
    n = max(len(by_key.get(k, [])) for _, k in rows)
    out = ["| MB/s | " + " | ".join(f"round {i + 1}" for i in range(n)) + " |",
           "| --- |" + " --- |" * n]
    for label, k in rows:
        cells = [f"{r['mb_per_s']:.0f}" for r in by_key.get(k, [])]
        cells += ["–"] * (n - len(cells))
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return out


def targets(by_key):
    m = lambda s, w, f="records_per_s": median(by_key, s, w, f)
    checks = [
        ("produce 100 B ≥ 3 M records/s", m("sluice", "produce-100"), 3e6),
        ("produce 100 B ≥ 3× Redis", m("sluice", "produce-100") / m("redis", "produce-100"), 3),
        ("produce 1 KiB ≥ 60% of min(fio buffered, iperf3)",
         m("sluice", "produce-1024", "mb_per_s") / limit_mb(by_key, "min(fio buffered, iperf3)"), 0.6),
        ("produce 1 KiB ≥ 4× Redis", m("sluice", "produce-1024") / m("redis", "produce-1024"), 4),
        ("consume 1 KiB ≥ 80% of iperf3",
         m("sluice", "consume-1024", "mb_per_s") / limit_mb(by_key, "iperf3"), 0.8),
        ("consume 100 B ≥ 3× Redis", m("sluice", "consume-100") / m("redis", "consume-100"), 3),
        ("consume 1 KiB ≥ 3× Redis", m("sluice", "consume-1024") / m("redis", "consume-1024"), 3),
    ]
    for size, label in (("100", "100 B"), ("1024", "1 KiB")):
        checks.append((f"durable produce {label} ≥ 50% of fio fdatasync",
                       m("sluice", f"durable-{size}", "mb_per_s") / limit_mb(by_key, "fio fdatasync"), 0.5))
    for key, label, _ in THROUGHPUT_ROWS:
        checks.append((f"{label} ≥ 2× NATS", m("sluice", key) / m("nats", key), 2))
    lower = [
        ("e2e p99 ≤ 3 ms", m("sluice", "e2e", "p99_ms"), 3),
        ("e2e p99.9 ≤ 10 ms", m("sluice", "e2e", "p999_ms"), 10),
        ("idle broker with 1,000 partitions < 150 MiB RSS", m("sluice", "idle-rss-1000", "rss_mib"), 150),
    ]
    checks.append(("1,000 partitions ≥ 75% of 10-partition produce",
                   m("sluice", "scale-1000") / m("sluice", "scale-10"), 0.75))
    out = ["| target | measured | met |", "| --- | --- | --- |"]
    missed = 0
    for label, value, bound in checks:
        ok = value >= bound
        missed += not ok
        shown = f"{value / 1e6:.2f} M/s" if bound >= 1e6 else f"{value:.2f}"
        out.append(f"| {label} | {shown} | {'yes' if ok else '**no**'} |")
    for label, value, bound in lower:
        ok = value < bound if "RSS" in label else value <= bound
        missed += not ok
        out.append(f"| {label} | {value:.2f} | {'yes' if ok else '**no**'} |")
    return out, missed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    for flag in ("--machine", "--date", "--command", "--elapsed", "--rounds", "--records"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--update")
    a = ap.parse_args()
    by_key = load(a.results)
    target_lines, missed = targets(by_key)
    lines = [
        BEGIN,
        "## Sluice against Redis Streams, NATS JetStream and the machine's limits",
        "",
        f"Machine: {a.machine}; {a.date}",
        f"Command: `{a.command}` ({a.rounds} round(s), medians; {a.records} records per "
        f"throughput run; took {a.elapsed} s)",
        "",
        *tables(by_key),
        "",
        "Limits (medians): fio sequential 64 KiB writes buffered "
        f"{median(by_key, 'fio', 'buffered', 'mb_per_s'):.0f} MB/s, with fdatasync "
        f"{median(by_key, 'fio', 'fdatasync', 'mb_per_s'):.0f} MB/s; iperf3 over loopback "
        f"{median(by_key, 'iperf3', 'loopback', 'mb_per_s'):.0f} MB/s.",
        *probe_lines(by_key),
        "",
        "Each round (MB/s):",
        "",
        *rounds_table(by_key),
        "",
        "¹ nats-server 2.9 cannot fsync every write (`sync_interval` came in 2.10), so its "
        "durable rows run its default file store; they are not durable in the same sense.",
        "² Latency rows: the peer's latency ÷ Sluice's, so above 1 means Sluice is faster.",
        "",
        "Sluice's acks=1 produce rows use 1 MiB batches (`--batch-bytes 1048576`, as librdkafka's "
        "default `batch.size` and the OpenMessaging Benchmark's Kafka throughput settings); its "
        "durable and scale rows use the bench's default of 64 KiB, the size of fio's writes.",
        "",
        f"Targets (issue 5), {missed} missed:",
        "",
        *target_lines,
        END,
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if a.update:
        old = open(a.update).read()
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            new = head + text.rstrip("\n") + rest.split(END, 1)[1]
        else:
            new = old.rstrip("\n") + "\n\n" + text
        open(a.update, "w").write(new)


if __name__ == "__main__":
    sys.exit(main())
