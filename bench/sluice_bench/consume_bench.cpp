#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "bench/sluice_bench/benches.h"
#include "bench/sluice_bench/progress.h"
#include "client/admin.h"
#include "client/consumer.h"
#include "client/errors.h"

namespace sluice::bench {
namespace {

using clock = std::chrono::steady_clock;

// Stops when `total` reaches `want`, or after 30 s without a record.
// The records and bytes of one poll: views (poll_views) or copies (poll, with `copy`).
result<std::pair<uint64_t, uint64_t>> poll_once(client::consumer& consumer, bool copy) {
  auto count = [](const auto& records) {
    uint64_t b = 0;
    for (const auto& r : records)
      b += (r.value ? r.value->size() : 0) + (r.key ? r.key->size() : 0);
    return std::pair<uint64_t, uint64_t>{records.size(), b};
  };
  const auto timeout = std::chrono::milliseconds(200);
  if (copy) {
    SLUICE_TRY(records, consumer.poll(timeout));
    return count(records);
  }
  SLUICE_TRY(views, consumer.poll_views(timeout));
  return count(views);
}

void consume_share(client::consumer& consumer, bool copy, uint64_t want,
                   std::atomic<uint64_t>& total, std::atomic<uint64_t>& bytes, histogram& latency) {
  auto last_data = clock::now();
  while (total.load() < want && clock::now() - last_data < std::chrono::seconds(30)) {
    const auto before = clock::now();
    auto polled = poll_once(consumer, copy);
    if (!polled || polled.value().first == 0) continue;
    last_data = clock::now();
    latency.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(last_data - before).count()));
    bytes += polled.value().second;
    total += polled.value().first;
  }
}

}  // namespace

result<run_report> run_consume(const client::client_config& c, const consume_options& o) {
  client::admin admin(c);
  SLUICE_TRY(topic, admin.describe_topic(o.topic));
  uint64_t held = 0;
  for (const auto& p : topic.partitions)
    held += static_cast<uint64_t>(p.high_watermark - p.log_start_offset);
  const uint64_t want = o.records.value_or(held);

  const int k = std::max(1, o.consumers);
  std::vector<std::unique_ptr<client::consumer>> consumers;
  for (int i = 0; i < k; ++i) {
    client::consumer_config cc;
    static_cast<client::client_config&>(cc) = c;
    cc.auto_offset_reset = "earliest";
    cc.group_id = o.group;
    cc.enable_auto_commit = !o.group.empty();
    auto consumer = std::make_unique<client::consumer>(cc);
    if (o.group.empty()) {
      std::vector<client::topic_partition> mine;
      for (const auto& p : topic.partitions) {
        if (p.partition % k == i) mine.push_back({o.topic, p.partition});
      }
      SLUICE_TRY(consumer->assign(mine));
      SLUICE_TRY(consumer->seek_to_beginning());
    } else {
      SLUICE_TRY(consumer->subscribe({o.topic}));
    }
    consumers.push_back(std::move(consumer));
  }

  std::atomic<uint64_t> total{0}, bytes{0};
  std::vector<histogram> latencies(static_cast<size_t>(k));
  std::vector<std::thread> threads;
  std::optional<progress_line> progress(std::in_place, "consume", total, want);
  const auto start = clock::now();
  for (int i = 0; i < k; ++i) {
    threads.emplace_back(consume_share, std::ref(*consumers[static_cast<size_t>(i)]), o.copy, want,
                         std::ref(total), std::ref(bytes),
                         std::ref(latencies[static_cast<size_t>(i)]));
  }
  for (auto& t : threads)
    t.join();
  progress.reset();
  run_report report;
  report.mode = "consume";
  report.seconds = std::chrono::duration<double>(clock::now() - start).count();
  report.latency_of = "poll returning records";
  for (const auto& h : latencies)
    report.latency.merge(h);
  report.records = total.load();
  report.bytes = bytes.load();
  for (auto& consumer : consumers)
    consumer->close();
  if (report.records < want) report.failed = want - report.records;
  return report;
}

}  // namespace sluice::bench
