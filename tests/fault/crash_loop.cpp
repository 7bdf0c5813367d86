// sluice-crash-loop [--cycles N] [--seed S] [--rate R] [--power-loss]: the fault suite's crash
// loop. Idempotent producers (acks=all) write to a broker under log.flush.policy=always while a
// consumer group consumes and commits; the broker is SIGKILLed at random moments (and now and
// then a consumer) and restarted, cycle after cycle. With --power-loss the broker loses power
// instead: every write it had not fsynced is dropped, or partly kept with holes, through
// storage's fault-injection layer (the offsets store, RocksDB, is not under that layer). At the
// end the producers' acknowledgements, the consumers' output and the log are checked against
// each other (fault/checker.h). The last line printed is
//   cycles=N acknowledged=N lost=N duplicated=N inconsistent=N
// and the exit status is 0 only when every check passed.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <random>

#include "client/admin.h"
#include "client/consumer.h"
#include "fault/checker.h"
#include "fault/workload.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

using namespace sluice;
using namespace sluice::fault;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* topic = "crash-loop";
constexpr const char* group = "crash-loop-group";

struct options {
  int cycles = 200;
  uint64_t seed = std::random_device{}();
  int partitions = 4;
  int producers = 2;
  int consumers = 2;
  double rate = 2000;  // records/s per producer
  bool power_loss = false;
};

client::client_config client_config(const test::broker_process& broker) {
  client::client_config c;
  c.broker = broker.address();
  c.request_timeout = std::chrono::seconds(10);
  c.reconnect_backoff_max = std::chrono::milliseconds(200);
  return c;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  while (!condition()) {
    if (clock_type::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

uint64_t total_acknowledged(const std::vector<std::unique_ptr<producer_worker>>& producers) {
  uint64_t n = 0;
  for (const auto& p : producers)
    n += p->acknowledged_count();
  return n;
}

// The whole log, read once from the beginning up to `ends`.
std::vector<observed> read_log(const client::client_config& c,
                               const std::map<int32_t, int64_t>& ends) {
  client::consumer_config cc;
  static_cast<client::client_config&>(cc) = c;
  cc.auto_offset_reset = "earliest";
  client::consumer consumer(cc);
  std::vector<client::topic_partition> tps;
  for (const auto& [p, _] : ends)
    tps.push_back({topic, p});
  (void)consumer.assign(tps);
  (void)consumer.seek_to_beginning();
  std::vector<observed> out;
  auto done = [&] {
    for (const auto& [p, end] : ends) {
      auto pos = consumer.position({topic, p});
      if (!pos || *pos < end) return false;
    }
    return true;
  };
  const auto deadline = clock_type::now() + std::chrono::seconds(60);
  while (!done() && clock_type::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    if (!records) continue;
    for (const auto& r : records.value())
      out.push_back({r.partition, r.offset, r.value.value_or("")});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Kill the broker under load, cycle after cycle, and check nothing was lost."};
  app.add_option("--cycles", o.cycles, "broker kills")->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "seed of the kill schedule (printed)");
  app.add_option("--rate", o.rate, "records/s per producer")->check(CLI::PositiveNumber);
  app.add_flag("--power-loss", o.power_loss,
               "cut the power instead of SIGKILL: the broker's unsynced writes are dropped");
  CLI11_PARSE(app, argc, argv);
  std::fprintf(stderr, "crash-loop: seed %llu\n", static_cast<unsigned long long>(o.seed));
  std::mt19937_64 rng(o.seed);

  test::temp_dir dir;
  std::vector<std::string> settings{"log.flush.policy=always", "log.segment.bytes=262144",
                                    "group.consumer.heartbeat.interval.ms=200"};
  if (o.power_loss) settings.emplace_back("test.fault.injection=true");
  test::broker_process broker(dir / "data", settings);
  const auto c = client_config(broker);
  if (auto made = client::admin(c).create_topic(topic, o.partitions); !made) {
    std::fprintf(stderr, "crash-loop: %s\n", made.error().message.c_str());
    return 2;
  }

  client::producer_config pc;
  static_cast<client::client_config&>(pc) = c;
  pc.acks = -1;
  pc.linger = std::chrono::milliseconds(2);
  pc.retry_backoff = std::chrono::milliseconds(50);
  pc.delivery_timeout = std::chrono::seconds(120);
  std::vector<std::unique_ptr<producer_worker>> producers;
  for (int i = 0; i < o.producers; ++i) {
    pc.client_id = "crash-loop-w" + std::to_string(i);
    producers.push_back(
        std::make_unique<producer_worker>(pc, topic, "w" + std::to_string(i), o.rate));
  }
  std::vector<std::unique_ptr<consumer_process>> consumers, killed;
  for (int i = 0; i < o.consumers; ++i)
    consumers.push_back(std::make_unique<consumer_process>(broker.address(), topic, group));

  std::uniform_int_distribution<int> run_ms(20, 400);
  std::uniform_int_distribution<int> percent(0, 99);
  for (int cycle = 1; cycle <= o.cycles; ++cycle) {
    // Each cycle makes progress before the next kill, so no cycle kills an idle broker.
    const uint64_t before = total_acknowledged(producers);
    if (!wait_until([&] { return total_acknowledged(producers) > before; },
                    std::chrono::seconds(60))) {
      std::fprintf(stderr, "crash-loop: no acknowledgement for 60 s in cycle %d\n", cycle);
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(run_ms(rng)));
    if (o.power_loss) {
      broker.power_cut();
    } else {
      broker.kill9();
    }
    std::unique_ptr<consumer_process>* victim = nullptr;
    if (percent(rng) < 25) {
      victim = &consumers[static_cast<size_t>(percent(rng)) % consumers.size()];
      (*victim)->kill9();
      killed.push_back(std::move(*victim));
    }
    broker.restart();
    if (victim) *victim = std::make_unique<consumer_process>(broker.address(), topic, group);
    if (cycle % 10 == 0 || cycle == o.cycles) {
      std::fprintf(stderr, "crash-loop: cycle %d, %llu acknowledged\n", cycle,
                   static_cast<unsigned long long>(total_acknowledged(producers)));
    }
  }

  history h;
  uint64_t failed = 0;
  for (auto& p : producers) {
    p->stop();
    auto acked = p->acknowledged();
    h.acknowledged.insert(h.acknowledged.end(), acked.begin(), acked.end());
    failed += p->failed_count();
    for (const auto& reason : p->failures())
      std::fprintf(stderr, "crash-loop: a send failed: %s\n", reason.c_str());
  }
  client::admin admin(c);
  auto described = admin.describe_topic(topic);
  if (!described) {
    std::fprintf(stderr, "crash-loop: %s\n", described.error().message.c_str());
    return 2;
  }
  for (const auto& p : described.value().partitions)
    h.log_end[p.partition] = p.high_watermark;

  // The group catches up: every partition committed at its log end.
  auto caught_up = [&] {
    auto g = admin.describe_group(group);
    if (!g || g.value().partitions.size() != h.log_end.size()) return false;
    for (const auto& p : g.value().partitions) {
      if (p.committed_offset != h.log_end[p.partition]) return false;
    }
    return true;
  };
  if (!wait_until(caught_up, std::chrono::seconds(120)))
    std::fprintf(stderr, "crash-loop: the group did not catch up within 120 s\n");
  for (auto& m : consumers)
    m->stop();
  for (const auto* set : {&consumers, &killed}) {
    for (const auto& m : *set) {
      auto printed = m->printed();
      h.consumed.insert(h.consumed.end(), printed.begin(), printed.end());
    }
  }
  if (auto g = admin.describe_group(group)) {
    for (const auto& p : g.value().partitions) {
      if (p.committed_offset >= 0) h.committed[p.partition] = p.committed_offset;
    }
  }
  h.final_log = read_log(c, h.log_end);

  const verdict v = check(h);
  std::fprintf(stderr,
               "crash-loop: failed sends %llu, log records %zu, consumed %zu, misordered %llu, "
               "overcommitted %llu, unseen %llu\n",
               static_cast<unsigned long long>(failed), h.final_log.size(), h.consumed.size(),
               static_cast<unsigned long long>(v.misordered),
               static_cast<unsigned long long>(v.overcommitted),
               static_cast<unsigned long long>(v.unseen));
  std::printf("cycles=%d acknowledged=%llu lost=%llu duplicated=%llu inconsistent=%llu\n", o.cycles,
              static_cast<unsigned long long>(v.acknowledged),
              static_cast<unsigned long long>(v.lost),
              static_cast<unsigned long long>(v.duplicated),
              static_cast<unsigned long long>(v.inconsistent));
  return v.ok() ? 0 : 1;
}
