// The sales_per_minute example as a real process, SIGKILLed while it works and started again:
// every minute's result must be in the changelog exactly once with the total a run without
// crashes gives, and the late topic must hold exactly the too-late orders.
#include <signal.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "client/admin.h"
#include "client/streams/window_aggregator.h"
#include "integration/group_members.h"
#include "support/process.h"

using namespace sluice;

namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t lateness = 2 * minute;
constexpr int64_t t10 = 1'764'669'600'000;  // 2025-12-02T10:00:00Z

struct order {
  std::string id;
  int64_t time;
  int64_t cents;
};

// 400 orders over about 40 minutes of event time, mostly in order, some a little out of order
// (within the lateness) and every 23rd from 5 minutes back (too late, once the stream is past
// its first minutes).
std::vector<order> make_orders() {
  std::mt19937_64 rng(7);
  std::vector<order> out;
  for (int i = 0; i < 400; ++i) {
    int64_t time = t10 + i * 6'000 - static_cast<int64_t>(rng() % 60'000);
    if (i % 23 == 22) time -= 5 * minute;
    out.push_back({"o" + std::to_string(i), time, 100 + static_cast<int64_t>(rng() % 9'900)});
  }
  return out;
}

struct expectation {
  std::map<int64_t, std::pair<int64_t, int64_t>> minutes;  // start -> (orders, cents)
  std::set<std::string> late;
};

// What one uninterrupted run must produce, worked out directly: orders in produce order (one
// partition), the watermark the newest time so far minus the lateness.
expectation expected(const std::vector<order>& orders) {
  expectation out;
  int64_t newest = std::numeric_limits<int64_t>::min();
  for (const auto& o : orders) {
    newest = std::max(newest, o.time);
    const int64_t start = o.time - o.time % minute;
    if (start + minute <= newest - lateness) {
      out.late.insert(o.id);
      continue;
    }
    out.minutes[start].first += 1;
    out.minutes[start].second += o.cents;
  }
  // Only minutes the final watermark closed have results.
  std::erase_if(out.minutes, [&](const auto& m) { return m.first + minute > newest - lateness; });
  return out;
}

void produce(const test::broker_fixture& f, const std::vector<order>& orders, size_t from,
             size_t to) {
  client::producer producer(f.producer_config());
  for (size_t i = from; i < to; ++i) {
    const auto& o = orders[i];
    const std::string amount =
        std::to_string(o.cents / 100) + "." + std::to_string(100 + o.cents % 100).substr(1);
    REQUIRE(producer.send({"orders", 0, o.id, amount, {}, o.time}, [](const auto&) {}));
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
}

std::unique_ptr<test::child_process> start(const test::broker_fixture& f) {
  return std::make_unique<test::child_process>(
      std::vector<std::string>{SALES_PER_MINUTE_PATH, "run", "--broker", f.broker->address(),
                               "--lateness", "2m", "--batch-records", "1", "--batch-ms", "50"});
}

int64_t committed(client::admin& admin) {
  auto d = admin.describe_group("sales-per-minute");
  if (!d || d.value().partitions.empty()) return -1;
  return d.value().partitions[0].committed_offset;
}

}  // namespace

TEST_CASE("sales_per_minute killed mid-work and restarted changes no minute's total",
          "[integration][window][example]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", 1));
  const auto orders = make_orders();
  const auto want = expected(orders);
  REQUIRE(want.minutes.size() > 30);
  REQUIRE(want.late.size() > 10);

  // Four chunks, each produced while a fresh process runs and SIGKILLed once it has committed
  // half of it, so the kill lands among batches still being worked on. In the second chunk the
  // broker is SIGKILLed and restarted first, under the running example.
  const size_t chunk = orders.size() / 4;
  for (size_t i = 0; i < 4; ++i) {
    auto p = start(f);
    produce(f, orders, i * chunk, (i + 1) * chunk);
    if (i == 1) {
      const auto quarter = static_cast<int64_t>(i * chunk + chunk / 4);
      REQUIRE(test::eventually([&] { return committed(admin) >= quarter; }));
      f.broker->kill9();
      f.broker->restart();
    }
    const auto half = static_cast<int64_t>(i * chunk + chunk / 2);
    REQUIRE(test::eventually([&] { return committed(admin) >= half; }));
    p->signal(SIGKILL);
    WARN("killed at " << committed(admin) << " of " << (i + 1) * chunk);
    p->wait();
  }
  // The last run finishes the work and stops cleanly.
  auto p = start(f);
  REQUIRE(p->wait_for([](const std::string&, const std::string& err) {
    return err.find("sales_per_minute: started") != std::string::npos;
  }));
  REQUIRE(
      test::eventually([&] { return committed(admin) >= static_cast<int64_t>(orders.size()); }));
  p->signal(SIGTERM);
  const int status = p->wait();
  INFO(p->err());
  CHECK(status == 0);

  auto results = client::read_window_results(f.client(), "sales-per-minute.changelog");
  REQUIRE(results);
  std::map<int64_t, int> times_written;
  for (const auto& w : results.value()) {
    ++times_written[w.start_ms];
    int64_t n = 0, cents = 0, unreadable = 0;
    REQUIRE(std::sscanf(w.value.c_str(), "%ld %ld %ld", &n, &cents, &unreadable) == 3);
    INFO("minute " << (w.start_ms - t10) / minute);
    REQUIRE(want.minutes.count(w.start_ms));
    CHECK(std::make_pair(n, cents) == want.minutes.at(w.start_ms));
    CHECK(unreadable == 0);
  }
  CHECK(times_written.size() == want.minutes.size());
  for (const auto& [start, times] : times_written)
    CHECK(times == 1);

  // The late topic is at-least-once across a crash: a repeat carries the same source position.
  auto late_topic = client::admin(f.client()).describe_topic("orders.late");
  REQUIRE(late_topic);
  const auto late_end = late_topic.value().partitions.at(0).high_watermark;
  auto late =
      test::consume_all(f.consumer_config(), {{"orders.late", 0}}, static_cast<size_t>(late_end));
  REQUIRE(late.size() == static_cast<size_t>(late_end));
  std::map<std::string, std::set<std::string>> sources_of;  // order id -> source positions
  for (const auto& r : late)
    sources_of[*r.key].insert(*r.headers.back().second);
  std::set<std::string> late_ids;
  for (const auto& [id, sources] : sources_of) {
    late_ids.insert(id);
    INFO("late order " << id);
    CHECK(sources.size() == 1);
  }
  CHECK(late_ids == want.late);

  auto report =
      test::run_process({SALES_PER_MINUTE_PATH, "report", "--broker", f.broker->address()});
  CHECK(report.exit_code == 0);
  int64_t total_orders = 0;
  for (const auto& [start, m] : want.minutes)
    total_orders += m.first;
  CHECK(report.out.find("total  minutes " + std::to_string(want.minutes.size()) + "  orders " +
                        std::to_string(total_orders)) != std::string::npos);
}
