// The micro-batch consumer against a real broker: batch boundaries, and commits that come only
// after the handler has returned successfully.
#include <catch2/catch.hpp>

#include "client/admin.h"
#include "client/errors.h"
#include "client/streams/micro_batch.h"
#include "integration/group_members.h"

using namespace sluice;

namespace {

std::optional<int64_t> committed(const test::broker_fixture& f, int32_t partition) {
  client::consumer_config c = f.consumer_config();
  c.group_id = "batches";
  client::consumer probe(c);
  return probe.committed({"events", partition}).value();
}

client::micro_batch_consumer make_consumer(const test::broker_fixture& f, size_t max_records,
                                           std::chrono::milliseconds max_wait) {
  auto c = f.consumer_config();
  c.group_id = "batches";
  return client::micro_batch_consumer(c, {max_records, max_wait});
}

}  // namespace

TEST_CASE("a micro-batch closes at max records or max wait, whichever comes first",
          "[integration][microbatch]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("events", 1));
  test::produce_rounds(f, "events", 1, 0, 25);

  auto batches = make_consumer(f, 10, std::chrono::milliseconds(300));
  REQUIRE(batches.consumer().assign({{"events", 0}}));
  std::vector<size_t> sizes;
  std::vector<int64_t> offsets;
  auto handler = [&](const std::vector<client::consumer_record>& batch) -> result<void> {
    sizes.push_back(batch.size());
    for (const auto& r : batch)
      offsets.push_back(r.offset);
    return success();
  };
  while (offsets.size() < 25) {
    auto n = batches.run_once(handler, std::chrono::seconds(10));
    REQUIRE(n);
    REQUIRE(n.value() > 0);
  }
  // Two full batches, then the last five once max_wait passed without a tenth.
  CHECK(sizes == std::vector<size_t>{10, 10, 5});
  for (int64_t i = 0; i < 25; ++i)
    CHECK(offsets[i] == i);
  CHECK(committed(f, 0) == 25);

  // Nothing more: the handler is not called with an empty batch.
  auto none = batches.run_once(handler, std::chrono::milliseconds(200));
  REQUIRE(none);
  CHECK(none.value() == 0);
  CHECK(sizes.size() == 3);
}

TEST_CASE("a micro-batch is committed only after its handler returns, and only on success",
          "[integration][microbatch]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("events", 2));
  test::produce_rounds(f, "events", 2, 0, 6);

  auto batches = make_consumer(f, 100, std::chrono::milliseconds(500));
  REQUIRE(batches.consumer().subscribe({"events"}));

  // A failing handler: nothing committed, and the same records come again.
  std::vector<int64_t> failed_offsets;
  auto failed = batches.run_once(
      [&](const std::vector<client::consumer_record>& batch) -> result<void> {
        for (const auto& r : batch)
          failed_offsets.push_back(r.partition * 100 + r.offset);
        return make_error(client::errc::invalid_argument, "sink unavailable");
      },
      std::chrono::seconds(30));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().message == "sink unavailable");
  REQUIRE_FALSE(failed_offsets.empty());
  CHECK(committed(f, 0) == std::nullopt);
  CHECK(committed(f, 1) == std::nullopt);

  // While the handler runs, the broker has the commits from before its batch; once it has
  // returned, the ones after it.
  std::vector<int64_t> seen;
  std::vector<std::optional<int64_t>> expected{std::nullopt, std::nullopt};
  for (int round = 0; seen.size() < 12; ++round) {
    REQUIRE(round < 20);  // 12 records come in far fewer batches
    std::vector<std::optional<int64_t>> next = expected;
    auto n = batches.run_once(
        [&](const std::vector<client::consumer_record>& batch) -> result<void> {
          CHECK(std::vector{committed(f, 0), committed(f, 1)} == expected);
          for (const auto& r : batch) {
            seen.push_back(r.partition * 100 + r.offset);
            next[r.partition] = std::max(next[r.partition].value_or(0), r.offset + 1);
          }
          return success();
        },
        std::chrono::seconds(30));
    REQUIRE(n);
    expected = next;
    CHECK(std::vector{committed(f, 0), committed(f, 1)} == expected);
  }
  // The failed batch's records came again, and every record was handled once.
  std::sort(seen.begin(), seen.end());
  CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105});
  CHECK(committed(f, 0) == 6);
  CHECK(committed(f, 1) == 6);
}
