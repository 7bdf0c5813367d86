#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "bench/sluice_bench/benches.h"
#include "bench/sluice_bench/progress.h"
#include "client/admin.h"
#include "client/errors.h"
#include "client/producer.h"
#include "proto/compression.h"

namespace sluice::bench {
namespace {

using clock = std::chrono::steady_clock;

result<void> ensure_topic(client::admin& admin, const std::string& topic, int32_t partitions) {
  if (admin.describe_topic(topic)) return success();
  return admin.create_topic(topic, partitions);
}

// What one producer measured.
struct producer_run {
  histogram latency;
  uint64_t failed = 0;
};

// Acknowledged records across producers, for the progress line.
std::atomic<uint64_t> acked_total{0};

// One producer's share: `count` records, paced at `rate` records/s when set. Each record carries
// its intended send time as its timestamp, and its latency runs from there to the acknowledgement
// the producer stamps once per batch: one clock reading per record, as Kafka's perf test makes
// (System.currentTimeMillis), rather than one before the send, one for the producer's timestamp
// and one in the callback. Wall-clock time, so a clock step during a run shows in its latencies.
void produce_share(const client::producer_config& pc, const produce_options& o, uint64_t first,
                   uint64_t count, std::optional<double> rate, producer_run& out) {
  using wall = std::chrono::system_clock;
  client::producer producer(pc);
  client::producer_record r{.topic = o.topic, .value = std::string(o.record_size, 'x')};
  const auto start = wall::now();
  for (uint64_t i = 0; i < count; ++i) {
    wall::time_point intended;
    if (rate) {
      intended = start + std::chrono::duration_cast<wall::duration>(
                             std::chrono::duration<double>(static_cast<double>(i) / *rate));
      std::this_thread::sleep_until(intended);
    } else {
      intended = wall::now();
    }
    r.timestamp =
        std::chrono::duration_cast<std::chrono::milliseconds>(intended.time_since_epoch()).count();
    if (o.keys > 0) r.key = "key-" + std::to_string((first + i) % o.keys);
    auto sent = producer.send(r, [&out, intended](const auto& ack) {
      // On the producer's one network thread: `out` is this producer's alone.
      if (ack) {
        acked_total.fetch_add(1, std::memory_order_relaxed);
        const auto waited = std::max(ack.value().acked_at - intended, wall::duration::zero());
        out.latency.record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
      } else {
        ++out.failed;
      }
    });
    if (!sent) ++out.failed;
  }
  producer.close();
}

}  // namespace

result<run_report> run_produce(const client::client_config& c, const produce_options& o) {
  auto codec = proto::parse_codec(o.compression);
  if (!codec) {
    return make_error(
        client::errc::invalid_argument,
        "--compression is none, gzip, snappy, lz4 or zstd, not '" + o.compression + "'");
  }
  client::admin admin(c);
  SLUICE_TRY(ensure_topic(admin, o.topic, o.partitions));

  client::producer_config pc;
  static_cast<client::client_config&>(pc) = c;
  pc.acks = o.acks;
  pc.compression = *codec;
  pc.linger = std::chrono::milliseconds(o.linger_ms);
  pc.batch_size = o.batch_bytes;
  pc.max_request_size = std::max<size_t>(pc.max_request_size, o.batch_bytes * 4);

  const int k = std::max(1, o.producers);
  std::vector<producer_run> runs(static_cast<size_t>(k));
  std::vector<std::thread> threads;
  acked_total = 0;
  std::optional<progress_line> progress(std::in_place, "produce", acked_total, o.records);
  const auto start = clock::now();
  uint64_t first = 0;
  for (int i = 0; i < k; ++i) {
    const uint64_t share = o.records / k + (static_cast<uint64_t>(i) < o.records % k ? 1 : 0);
    std::optional<double> rate;
    if (o.rate) rate = *o.rate / k;
    threads.emplace_back(produce_share, std::cref(pc), std::cref(o), first, share, rate,
                         std::ref(runs[static_cast<size_t>(i)]));
    first += share;
  }
  for (auto& t : threads)
    t.join();
  progress.reset();
  run_report report;
  report.mode = "produce";
  report.seconds = std::chrono::duration<double>(clock::now() - start).count();
  report.latency_of = o.rate ? "intended send to ack" : "send to ack";
  for (const auto& r : runs) {
    report.latency.merge(r.latency);
    report.failed += r.failed;
  }
  report.records = report.latency.count();
  report.bytes = report.records * o.record_size;
  return report;
}

}  // namespace sluice::bench
