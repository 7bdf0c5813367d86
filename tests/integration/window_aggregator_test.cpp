// The window aggregator against a real broker: windows by event time with out-of-order and late
// records, the late topic, the changelog, and restarts that must neither lose nor double-count.
#include <catch2/catch.hpp>

#include "client/admin.h"
#include "client/streams/window_aggregator.h"
#include "integration/group_members.h"

using namespace sluice;
using client::window_result;

namespace {

constexpr int64_t minute = 60'000;
constexpr int64_t t10 = 1'764'669'600'000;  // 2025-12-02T10:00:00Z

struct order {
  std::string id;
  int64_t time;
  int64_t cents;
};

void produce(const test::broker_fixture& f, const std::vector<order>& orders) {
  client::producer producer(f.producer_config());
  for (const auto& o : orders) {
    REQUIRE(producer.send({"orders", 0, o.id, std::to_string(o.cents), {}, o.time},
                          [](const auto&) {}));
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
}

// Topic "orders", one partition, holding `orders`.
void create_orders(const test::broker_fixture& f, const std::vector<order>& orders) {
  REQUIRE(client::admin(f.client()).create_topic("orders", 1));
  produce(f, orders);
}

// A minute's aggregate: "<orders> <cents>".
std::string add(std::string aggregate, const client::consumer_record& r) {
  int64_t n = 0, cents = 0;
  if (!aggregate.empty()) std::sscanf(aggregate.c_str(), "%ld %ld", &n, &cents);
  return std::to_string(n + 1) + " " + std::to_string(cents + std::stoll(*r.value));
}

client::window_aggregator_config config(const test::broker_fixture& f) {
  client::window_aggregator_config c;
  c.consumer = f.consumer_config();
  c.consumer.group_id = "minutes";
  c.topic = "orders";
  c.window = client::window_spec::tumbling(std::chrono::minutes(1));
  c.allowed_lateness = std::chrono::minutes(2);
  c.batch = {3, std::chrono::milliseconds(200)};
  c.key_of = [](const client::consumer_record&) { return std::string(); };  // one total
  return c;
}

// Runs `agg` until `done` holds, checking that the watermark never moves backwards.
void run_until(client::window_aggregator& agg, const std::function<bool()>& done) {
  int64_t watermark = agg.watermark();
  for (int i = 0; i < 200 && !done(); ++i) {
    auto n = agg.run_once(std::chrono::milliseconds(100));
    REQUIRE(n);
    CHECK(agg.watermark() >= watermark);
    watermark = agg.watermark();
  }
  REQUIRE(done());
}

std::vector<window_result> results(const test::broker_fixture& f) {
  auto r = client::read_window_results(f.client(), "minutes.changelog");
  REQUIRE(r);
  return r.value();
}

// In time and out of order: o1, o2, o3, o4, o6, o7. Too late: o5 (minute 10:00 closed when
// o4 moved the watermark to 10:02) and o8 (10:03 closed by o7's watermark, 10:07).
const std::vector<order> first_orders = {
    {"o1", t10 + 10'000, 100},     {"o2", t10 + 90'000, 200},     {"o3", t10 + 50'000, 300},
    {"o4", t10 + 4 * minute, 400}, {"o5", t10 + 20'000, 500},     {"o6", t10 + 150'000, 600},
    {"o7", t10 + 9 * minute, 700}, {"o8", t10 + 3 * minute, 800},
};
const std::vector<window_result> first_results = {
    {"", t10, t10 + minute, "2 400"},
    {"", t10 + minute, t10 + 2 * minute, "1 200"},
    {"", t10 + 2 * minute, t10 + 3 * minute, "1 600"},
    {"", t10 + 4 * minute, t10 + 5 * minute, "1 400"},
};

}  // namespace

TEST_CASE("windows by event time take out-of-order records, and late ones go to the late topic",
          "[integration][window]") {
  test::broker_fixture f(test::group_settings());
  create_orders(f, first_orders);

  auto c = config(f);
  client::window_aggregator agg(c, add);
  std::vector<window_result> emitted;
  agg.on_result([&](const window_result& w) { emitted.push_back(w); });
  REQUIRE(agg.start());
  run_until(agg, [&] { return emitted.size() == 4 && agg.late_records() == 2; });

  CHECK(emitted == first_results);
  CHECK(results(f) == first_results);
  CHECK(agg.watermark() == t10 + 7 * minute);
  CHECK(agg.open_windows() == 1);  // 10:09

  auto late = test::consume_all(f.consumer_config(), {{"orders.late", 0}}, 2);
  REQUIRE(late.size() == 2);
  CHECK(*late[0].key == "o5");
  CHECK(late[0].timestamp == t10 + 20'000);
  CHECK(late[0].headers.back() == client::header{"sluice.source", "orders/0/4"});
  CHECK(*late[1].key == "o8");
  auto late_topic = client::admin(f.client()).describe_topic("orders.late");
  REQUIRE(late_topic);
  CHECK(late_topic.value().partitions.at(0).high_watermark == 2);  // nothing else went there
}

TEST_CASE("a restart resumes from the changelog without losing or double-counting a window",
          "[integration][window]") {
  test::broker_fixture f(test::group_settings());
  create_orders(f, first_orders);
  auto c = config(f);
  c.consumer.session_timeout = std::chrono::milliseconds(1500);
  {
    client::window_aggregator agg(c, add);
    REQUIRE(agg.start());
    run_until(agg, [&] { return results(f).size() == 4 && agg.late_records() == 2; });
  }

  // As if it had crashed after writing its changelog but before committing: the group's
  // offsets go back to the start, so every order is consumed again. (Once the static member's
  // session has expired: until then only it may commit.)
  {
    auto cc = f.consumer_config();
    cc.group_id = "minutes";
    client::consumer rewind(cc);
    REQUIRE(test::eventually([&] { return rewind.commit_sync({{{"orders", 0}, 0}}).has_value(); }));
  }
  // o9 and o10 move the watermark past 10:09 and 10:10; o11 is late.
  produce(f, {{"o9", t10 + 12 * minute, 900},
              {"o10", t10 + 10 * minute + 1, 1000},
              {"o11", t10 + 5 * minute, 1100},
              {"o12", t10 + 20 * minute, 1200}});
  client::window_aggregator agg(c, add);
  std::vector<window_result> emitted;
  agg.on_result([&](const window_result& w) { emitted.push_back(w); });
  REQUIRE(agg.start());
  CHECK(agg.late_records() == 2);  // restored
  run_until(agg, [&] { return agg.late_records() == 3 && emitted.size() == 3; });

  auto expected = first_results;
  expected.push_back({"", t10 + 9 * minute, t10 + 10 * minute, "1 700"});
  expected.push_back({"", t10 + 10 * minute, t10 + 11 * minute, "1 1000"});
  expected.push_back({"", t10 + 12 * minute, t10 + 13 * minute, "1 900"});
  CHECK(results(f) == expected);
  CHECK(emitted == std::vector<window_result>(expected.end() - 3, expected.end()));
  auto late = test::consume_all(f.consumer_config(), {{"orders.late", 0}}, 3);
  REQUIRE(late.size() == 3);
  CHECK(*late[2].key == "o11");
}

TEST_CASE("a throwing aggregate fails the batch, which comes again and counts once",
          "[integration][window]") {
  test::broker_fixture f(test::group_settings());
  create_orders(f, first_orders);
  auto c = config(f);
  bool fail_o6 = true;
  client::window_aggregator agg(c, [&](std::string aggregate, const client::consumer_record& r) {
    if (fail_o6 && *r.key == "o6") throw std::runtime_error("no o6 today");
    return add(std::move(aggregate), r);
  });
  REQUIRE(agg.start());
  bool threw = false;
  for (int i = 0; i < 100 && !threw; ++i) {
    auto n = agg.run_once(std::chrono::milliseconds(100));
    if (!n) {
      CHECK(n.error().message == "a window aggregator callback threw: no o6 today");
      threw = true;
    }
  }
  REQUIRE(threw);
  fail_o6 = false;
  run_until(agg, [&] { return results(f).size() == 4 && agg.late_records() == 2; });
  CHECK(results(f) == first_results);
}

TEST_CASE("processing-time windows close as the clock moves, without new records",
          "[integration][window]") {
  test::broker_fixture f(test::group_settings());
  // Event times an hour apart: by event time each would be its own window, and none would close.
  create_orders(f,
                {{"o1", t10, 100}, {"o2", t10 + 60 * minute, 200}, {"o3", t10 - 60 * minute, 300}});

  auto c = config(f);
  c.processing_time = true;
  c.window = client::window_spec::tumbling(std::chrono::milliseconds(500));
  c.allowed_lateness = std::chrono::milliseconds(0);
  client::window_aggregator agg(c, add);
  std::vector<window_result> emitted;
  agg.on_result([&](const window_result& w) { emitted.push_back(w); });
  REQUIRE(agg.start());
  int64_t orders = 0, cents = 0;
  run_until(agg, [&] {
    orders = cents = 0;
    for (const auto& w : emitted) {
      int64_t n = 0, sum = 0;
      std::sscanf(w.value.c_str(), "%ld %ld", &n, &sum);
      orders += n;
      cents += sum;
    }
    return orders == 3 && agg.open_windows() == 0;
  });
  CHECK(cents == 600);
  CHECK(agg.late_records() == 0);
  CHECK(results(f) == emitted);
}

TEST_CASE("a window aggregator refuses a config it cannot run", "[integration][window]") {
  test::broker_fixture f;
  auto c = config(f);
  c.window = {minute, 2 * minute};
  client::window_aggregator hopping_gap(c, add);
  auto bad = hopping_gap.start();
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("longer than its size") != std::string::npos);

  auto missing = config(f);
  client::window_aggregator no_topic(missing, add);
  auto gone = no_topic.start();
  REQUIRE_FALSE(gone);
  CHECK(gone.error().message.find("input topic orders") != std::string::npos);

  // A changelog whose last record is not a checkpoint is refused, not restored from scratch.
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", 1));
  REQUIRE(admin.create_topic("minutes.changelog", 1));
  {
    client::producer producer(f.producer_config());
    REQUIRE(producer.send({.topic = "minutes.changelog", .value = "not a checkpoint"}).get());
  }
  client::window_aggregator foreign(config(f), add);
  auto refused = foreign.start();
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "restoring from changelog minutes.changelog: changelog minutes.changelog offset 0 is not "
        "a window checkpoint: was something else written to it?");

  auto no_group = config(f);
  no_group.consumer.group_id.clear();
  client::window_aggregator groupless(no_group, add);
  auto no_group_start = groupless.start();
  REQUIRE_FALSE(no_group_start);
  CHECK(no_group_start.error().message == "window aggregator needs a group id");
}
