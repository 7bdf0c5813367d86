#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "bench/sluice_bench/benches.h"
#include "bench/sluice_bench/progress.h"
#include "client/admin.h"
#include "client/consumer.h"
#include "client/errors.h"
#include "client/producer.h"

namespace sluice::bench {
namespace {

using clock = std::chrono::steady_clock;

int64_t since_epoch_ns(clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

result<run_report> run_e2e(const client::client_config& c, const e2e_options& o) {
  if (o.record_size < sizeof(int64_t)) {
    return make_error(client::errc::invalid_argument, "--record-size must be at least 8 for e2e");
  }
  if (o.rate <= 0 || o.seconds <= 0) {
    return make_error(client::errc::invalid_argument, "--rate and --seconds must be positive");
  }
  client::admin admin(c);
  if (!admin.describe_topic(o.topic)) SLUICE_TRY(admin.create_topic(o.topic, o.partitions));
  SLUICE_TRY(ends, admin.list_offsets(o.topic, client::offset_spec::latest));

  client::consumer_config cc;
  static_cast<client::client_config&>(cc) = c;
  cc.fetch_max_wait = std::chrono::milliseconds(100);
  client::consumer consumer(cc);
  std::vector<client::topic_partition> all;
  for (const auto& p : ends)
    all.push_back({o.topic, p.partition});
  SLUICE_TRY(consumer.assign(all));
  for (const auto& p : ends)
    SLUICE_TRY(consumer.seek({o.topic, p.partition}, p.offset));

  const auto total = static_cast<uint64_t>(o.rate * o.seconds);
  std::atomic<uint64_t> failed{0};
  std::thread sender([&] {
    client::producer_config pc;
    static_cast<client::client_config&>(pc) = c;
    pc.acks = o.acks;
    pc.linger = std::chrono::milliseconds(0);
    client::producer producer(pc);
    std::string value(o.record_size, 'x');
    const auto start = clock::now();
    for (uint64_t i = 0; i < total; ++i) {
      const auto intended =
          start + std::chrono::duration_cast<clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(i) / o.rate));
      std::this_thread::sleep_until(intended);
      const int64_t ns = since_epoch_ns(intended);
      std::memcpy(value.data(), &ns, sizeof ns);
      auto sent = producer.send({.topic = o.topic, .value = value}, [&failed](const auto& ack) {
        if (!ack) ++failed;
      });
      if (!sent) ++failed;
    }
    producer.close();
  });

  std::atomic<uint64_t> consumed{0};
  std::optional<progress_line> progress(std::in_place, "e2e", consumed, total);
  run_report report;
  report.mode = "e2e";
  report.latency_of = "intended send to consume";
  const auto start = clock::now();
  auto last_data = start;
  while (report.records + failed.load() < total &&
         clock::now() - last_data < std::chrono::seconds(10)) {
    auto records = consumer.poll(std::chrono::milliseconds(100));
    if (!records || records.value().empty()) continue;
    const auto now = clock::now();
    last_data = now;
    for (const auto& r : records.value()) {
      if (!r.value || r.value->size() < sizeof(int64_t)) continue;
      int64_t ns = 0;
      std::memcpy(&ns, r.value->data(), sizeof ns);
      report.latency.record(
          static_cast<uint64_t>(std::max<int64_t>(0, since_epoch_ns(now) - ns) / 1000));
      ++report.records;
      consumed.store(report.records, std::memory_order_relaxed);
      report.bytes += r.value->size();
    }
  }
  sender.join();
  progress.reset();
  report.seconds = std::chrono::duration<double>(clock::now() - start).count();
  report.failed = total - std::min(total, report.records);
  consumer.close();
  return report;
}

}  // namespace sluice::bench
