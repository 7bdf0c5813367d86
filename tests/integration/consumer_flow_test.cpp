// The consumer's prefetch stops at max_buffered_bytes (and max_buffered_records) of records
// waiting for poll(), and resumes as poll() takes them.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "integration/group_members.h"
#include "support/http_get.h"

using namespace sluice;

namespace {

// What the broker has sent to consumers from `topic`-0, from its metrics.
uint64_t bytes_sent(const test::broker_fixture& f, const std::string& topic) {
  const std::string key =
      "sluice_partition_bytes_out_total{topic=\"" + topic + "\",partition=\"0\"} ";
  auto body = test::http_get(f.broker->metrics_port(), "/metrics");
  auto at = body.find(key);
  if (at == std::string::npos) return 0;
  return std::stoull(body.substr(at + key.size()));
}

// Creates `topic` with `partitions` partitions and fills them in turn with `n` records of 1,000
// bytes in 16 KiB batches.
void fill(const test::broker_fixture& f, const std::string& topic, int n, int partitions = 1) {
  REQUIRE(client::admin(f.client()).create_topic(topic, partitions));
  auto pc = f.producer_config();
  pc.batch_size = 16 * 1024;
  client::producer producer(pc);
  for (int i = 0; i < n; ++i) {
    REQUIRE(producer.send(
        {.topic = topic, .partition = i % partitions, .value = std::string(1000, 'a' + i % 26)},
        [](const auto&) {}));
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
}

}  // namespace

TEST_CASE("prefetching stops at max_buffered_bytes and resumes as poll takes records",
          "[integration][consumer]") {
  test::broker_fixture f;
  fill(f, "flow", 2000);  // about 2 MB

  auto cc = f.consumer_config();
  cc.max_partition_fetch_bytes = 32 * 1024;
  cc.max_buffered_bytes = 128 * 1024;
  cc.max_buffered_records = 1'000'000;
  cc.max_poll_records = 10;
  // Fetching goes on below only if poll() wakes the paused fetcher as it makes room: otherwise
  // each of the dozen or so pauses lasts 20 s, past the 60 s the test allows.
  cc.fetch_max_wait = std::chrono::seconds(20);
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"flow", 0}}));
  std::vector<int64_t> offsets;
  const auto take = [&] {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    REQUIRE(records);
    for (const auto& r : records.value())
      offsets.push_back(r.offset);
  };
  take();  // fetching starts with the first poll

  // The buffer fills: 128 KiB plus at most the fetch that crossed it (and a batch over).
  REQUIRE(test::eventually([&] { return bytes_sent(f, "flow") >= cc.max_buffered_bytes; }));
  // Unbounded, the fetcher would take the whole 2 MB in far less than this.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const uint64_t held = bytes_sent(f, "flow");
  CHECK(held <= cc.max_buffered_bytes + cc.max_partition_fetch_bytes + 20 * 1024);

  // Polling drains the buffer and fetching goes on to the end, in order, nothing twice.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (offsets.size() < 2000 && std::chrono::steady_clock::now() < deadline)
    take();
  REQUIRE(offsets.size() == 2000);
  for (size_t i = 0; i < offsets.size(); ++i)
    REQUIRE(offsets[i] == static_cast<int64_t>(i));
  CHECK(bytes_sent(f, "flow") > held);
}

TEST_CASE("prefetching stops at max_buffered_records", "[integration][consumer]") {
  test::broker_fixture f;
  fill(f, "count", 2000);

  auto cc = f.consumer_config();
  cc.max_partition_fetch_bytes = 32 * 1024;  // about 32 records a fetch
  cc.max_buffered_records = 100;
  cc.max_poll_records = 10;
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"count", 0}}));
  REQUIRE(consumer.poll(std::chrono::milliseconds(200)));

  REQUIRE(test::eventually([&] { return bytes_sent(f, "count") >= 100 * 1000; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // 100 records of ~1 KiB, plus the fetch that crossed the line and the records polled.
  CHECK(bytes_sent(f, "count") <= 100 * 1000 + 32 * 1024 + 20 * 1024);
}

TEST_CASE("fetches take turns across partitions, so none waits behind another's backlog",
          "[integration][consumer]") {
  test::broker_fixture f;
  fill(f, "turns", 2000, 2);
  auto cc = f.consumer_config();
  cc.fetch_max_bytes = 32 * 1024;  // a fetch holds one partition's share
  cc.max_buffered_records = 64;
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"turns", 0}, {"turns", 1}}));
  std::map<int32_t, int> seen;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int total = 0;
  while (total < 400 && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    REQUIRE(records);
    for (const auto& r : records.value()) {
      ++seen[r.partition];
      ++total;
    }
  }
  REQUIRE(total >= 400);
  // Each partition holds 1,000 records: taking turns, both show up long before one is drained.
  CHECK(seen[0] >= 100);
  CHECK(seen[1] >= 100);
}
