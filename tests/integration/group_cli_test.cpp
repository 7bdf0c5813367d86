// `sluice group` list / describe / reset-offsets / delete against a real broker and a real
// group member, and the group metrics they agree with.
#include <signal.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "integration/group_members.h"
#include "support/http_get.h"
#include "support/process.h"

using namespace sluice;
using test::member_process;

namespace {

constexpr int64_t base_ms = 1'700'000'000'000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

test::process_result cli(const test::broker_fixture& f, std::vector<std::string> args) {
  args.insert(args.begin(), {test::sluice_cli_path(), "--broker", f.broker->address()});
  return test::run_process(args);
}

// Appends records `first`..`first + count - 1` to partitions 0 and 1 of "orders", record i
// stamped base_ms + i seconds.
void produce_stamped(const test::broker_fixture& f, int64_t first, int64_t count) {
  client::producer producer(f.producer_config());
  for (int64_t i = first; i < first + count; ++i) {
    for (int32_t p = 0; p < 2; ++p) {
      REQUIRE(
          producer.send({"orders", p, std::nullopt, test::value_of(p, i), {}, base_ms + i * 1000},
                        [](const auto&) {}));
    }
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
}

nlohmann::json describe_json(const test::broker_fixture& f) {
  auto r = cli(f, {"group", "describe", "g", "--format", "json"});
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

std::vector<int64_t> committed(const test::broker_fixture& f) {
  std::vector<int64_t> out;
  const auto d = describe_json(f);
  for (const auto& p : d["partitions"])
    out.push_back(p["committed_offset"].get<int64_t>());
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("groups are listed, described, reset and deleted from the CLI", "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", 2));
  produce_stamped(f, 0, 10);

  auto member = std::make_unique<member_process>(f, "orders", "g");
  REQUIRE(test::eventually([&] { return test::settled(admin, "g", {member.get()}); }));
  REQUIRE(test::eventually([&] { return test::all_committed(admin, "g", 2, 10); }));
  CHECK(has_line(cli(f, {"group", "list"}).out, "g\tstable\t1 members"));

  auto table = cli(f, {"group", "describe", "g"});
  CHECK(table.exit_code == 0);
  const std::string member_id = admin.describe_group("g").value().members.at(0).member_id;
  CHECK(table.out.find("group g: stable, epoch") != std::string::npos);
  CHECK(table.out.find(member_id) != std::string::npos);
  CHECK(table.out.find("LAG-TIME") != std::string::npos);
  CHECK(table.out.find("RECENT REBALANCES") != std::string::npos);

  // A group with members keeps its offsets and itself.
  auto refused = cli(f, {"group", "reset-offsets", "g", "--topic", "orders", "--to", "earliest"});
  CHECK(refused.exit_code != 0);
  CHECK(refused.err.find("group g has members") != std::string::npos);
  auto not_deleted = cli(f, {"group", "delete", "g"});
  CHECK(not_deleted.exit_code != 0);
  CHECK(not_deleted.err.find("NON_EMPTY_GROUP") != std::string::npos);

  // The member leaves; new records wait for the group.
  member->process().signal(SIGTERM);
  CHECK(member->process().wait() == 0);
  CHECK(has_line(cli(f, {"group", "list"}).out, "g\tempty\t0 members"));
  produce_stamped(f, 10, 5);
  auto d = describe_json(f);
  CHECK(d["state"] == "empty");
  CHECK(d["members"].empty());
  REQUIRE(d["partitions"].size() == 2);
  for (const auto& p : d["partitions"]) {
    CHECK(p["owner"] == "");
    CHECK(p["committed_offset"] == 10);
    CHECK(p["log_end_offset"] == 15);
    CHECK(p["lag"] == 5);
    // The oldest unconsumed record, offset 10, is stamped base_ms + 10 s.
    CHECK(p["lag_ms"].get<int64_t>() >= now_ms() - (base_ms + 10'000) - 60'000);
  }
  std::vector<std::string> causes;
  for (const auto& r : d["rebalances"])
    causes.push_back(r["cause"]);
  CHECK(causes == std::vector<std::string>{"join", "leave"});

  auto metrics = test::http_get(f.broker->metrics_port(), "/metrics");
  CHECK(has_line(metrics, "sluice_group_members{group=\"g\"} 0"));
  CHECK(has_line(metrics,
                 "sluice_group_lag_records{group=\"g\",topic=\"orders\",partition=\"0\"} 5"));
  CHECK(has_line(metrics, "sluice_group_rebalances_total{group=\"g\",cause=\"join\"} 1"));
  CHECK(has_line(metrics, "sluice_group_rebalances_total{group=\"g\",cause=\"leave\"} 1"));
  CHECK(metrics.find("sluice_group_rebalance_duration_seconds{group=\"g\"} ") != std::string::npos);
  CHECK(metrics.find("sluice_group_lag_seconds{group=\"g\",topic=\"orders\",partition=\"1\"} ") !=
        std::string::npos);

  // Resets: a dry run changes nothing; each form lands where it says.
  auto dry = cli(f, {"group", "reset-offsets", "g", "--topic", "orders", "--to",
                     "@" + std::to_string(base_ms + 3000), "--dry-run"});
  CHECK(dry.exit_code == 0);
  CHECK(has_line(dry.out, "orders\t0\t3\t(dry run)"));
  CHECK(committed(f) == std::vector<int64_t>{10, 10});
  const std::vector<std::pair<std::string, int64_t>> resets{
      {"earliest", 0},
      {"latest", 15},
      {"99", 15},
      {"@" + std::to_string(base_ms + 3000), 3},
      {"7", 7}};
  for (const auto& [to, want] : resets) {
    INFO("--to " << to);
    auto r = cli(f, {"group", "reset-offsets", "g", "--topic", "orders", "--to", to});
    CHECK(r.exit_code == 0);
    CHECK(committed(f) == std::vector<int64_t>{want, want});
  }
  auto bad = cli(f, {"group", "reset-offsets", "g", "--topic", "orders", "--to", "soon"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("soon") != std::string::npos);

  // A member that joins now starts at the reset offsets.
  member = std::make_unique<member_process>(f, "orders", "g");
  REQUIRE(test::eventually([&] { return test::all_committed(admin, "g", 2, 15); }));
  auto seen = test::consumed({member.get()});
  CHECK(seen[0] == std::multiset<int64_t>{7, 8, 9, 10, 11, 12, 13, 14});
  CHECK(seen[1] == std::multiset<int64_t>{7, 8, 9, 10, 11, 12, 13, 14});
  member->process().signal(SIGTERM);
  CHECK(member->process().wait() == 0);

  auto deleted = cli(f, {"group", "delete", "g"});
  CHECK(deleted.exit_code == 0);
  CHECK(deleted.out == "deleted group g\n");
  CHECK(cli(f, {"group", "list"}).out.find("g\t") == std::string::npos);
  auto gone = cli(f, {"group", "describe", "g"});
  CHECK(gone.exit_code != 0);
  CHECK(gone.err.find("group g does not exist") != std::string::npos);
}

TEST_CASE("describe shows the event time a group has consumed up to", "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", 2));
  produce_stamped(f, 0, 10);  // offsets 0..9 stamped base_ms + 0s..9s in both partitions
  {
    // Offset 10 of partition 0 arrives late: its event time is older than the partition's max.
    client::producer producer(f.producer_config());
    REQUIRE(
        producer.send({"orders", 0, std::nullopt, "late", {}, base_ms + 1000}, [](const auto&) {}));
    producer.flush();
    REQUIRE(producer.failed() == 0);
  }
  auto consumer_config = f.consumer_config();
  consumer_config.group_id = "g";
  client::consumer consumer(consumer_config);

  // Nothing consumed: no event time yet.
  REQUIRE(consumer.commit_sync({{{"orders", 1}, 0}}));
  auto none = admin.describe_group("g").value();
  CHECK(none.consumed_event_time == -1);
  CHECK(none.event_time_lag_ms == -1);

  REQUIRE(consumer.commit_sync({{{"orders", 0}, 4}, {{"orders", 1}, 7}}));
  auto d = admin.describe_group("g").value();
  REQUIRE(d.partitions.size() == 2);
  CHECK(d.partitions[0].max_timestamp == base_ms + 9000);
  CHECK(d.partitions[0].consumed_timestamp == base_ms + 3000);
  CHECK(d.partitions[0].event_time_lag_ms == 6000);
  CHECK(d.partitions[1].consumed_timestamp == base_ms + 6000);
  CHECK(d.partitions[1].event_time_lag_ms == 3000);
  CHECK(d.consumed_event_time == base_ms + 3000);
  CHECK(d.event_time_lag_ms == 6000);

  // The last record consumed, not the newest: the late record sets partition 0 back in time.
  REQUIRE(consumer.commit_sync({{{"orders", 0}, 11}, {{"orders", 1}, 10}}));
  auto json = describe_json(f);
  CHECK(json["partitions"][0]["consumed_timestamp"] == base_ms + 1000);
  CHECK(json["partitions"][0]["event_time_lag_ms"] == 8000);
  CHECK(json["partitions"][1]["event_time_lag_ms"] == 0);
  CHECK(json["consumed_event_time"] == base_ms + 1000);
  CHECK(json["event_time_lag_ms"] == 8000);
  auto table = cli(f, {"group", "describe", "g"});
  CHECK(table.out.find("CONSUMED-EVENT-TIME") != std::string::npos);
  CHECK(table.out.find("consumed event time 2023-11-14T22:13:21.000Z") != std::string::npos);
}
