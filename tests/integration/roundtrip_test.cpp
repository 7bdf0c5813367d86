// Records go through a real broker and come back unchanged, across partitions and with every
// codec; keyed records land where Kafka's partitioner puts them.
#include <catch2/catch.hpp>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "client/admin.h"
#include "client/partitioner.h"
#include "integration/broker_fixture.h"

using namespace sluice;

TEST_CASE("records round trip across partitions with every codec", "[integration][roundtrip]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("rt", 4));

  std::map<std::string, std::pair<int32_t, std::string>> expected;  // key -> partition, value
  for (auto codec : {proto::codec::none, proto::codec::gzip, proto::codec::snappy,
                     proto::codec::lz4, proto::codec::zstd}) {
    auto pc = f.producer_config();
    pc.compression = codec;
    pc.linger = std::chrono::milliseconds(20);
    client::producer producer(pc);
    for (int i = 0; i < 500; ++i) {
      std::string key = std::string(proto::codec_name(codec)) + "-" + std::to_string(i);
      std::string value = "value of " + key + std::string(i % 50, 'x');
      client::producer_record r{.topic = "rt",
                                .key = key,
                                .value = value,
                                .headers = {{"codec", std::string(proto::codec_name(codec))}}};
      REQUIRE(producer.send(std::move(r), [&, key](const result<client::record_metadata>& m) {
        REQUIRE(m);
        CHECK(m.value().partition == client::partition_for_key(key, 4));
        CHECK(m.value().offset >= 0);
      }));
      expected[key] = {client::partition_for_key(key, 4), value};
    }
    producer.flush();
    CHECK(producer.failed() == 0);
  }
  auto records = test::consume_all(f.consumer_config(),
                                   {{"rt", 0}, {"rt", 1}, {"rt", 2}, {"rt", 3}}, expected.size());
  REQUIRE(records.size() == expected.size());
  std::map<int32_t, int64_t> last_offset;
  for (const auto& r : records) {
    auto it = expected.find(*r.key);
    REQUIRE(it != expected.end());
    CHECK(r.partition == it->second.first);
    CHECK(r.value == it->second.second);
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].first == "codec");
    CHECK(r.key->starts_with(*r.headers[0].second));
    // In order within a partition.
    if (last_offset.count(r.partition)) CHECK(r.offset > last_offset[r.partition]);
    last_offset[r.partition] = r.offset;
  }

  // The same records through poll_views(), whose views outlive the consumer that made them.
  std::map<std::pair<int32_t, int64_t>, const client::consumer_record*> by_position;
  for (const auto& r : records)
    by_position[{r.partition, r.offset}] = &r;
  std::vector<client::record_views> held;
  size_t viewed = 0;
  {
    client::consumer viewer(f.consumer_config());
    REQUIRE(viewer.assign({{"rt", 0}, {"rt", 1}, {"rt", 2}, {"rt", 3}}));
    REQUIRE(viewer.seek_to_beginning());
    for (int i = 0; i < 600 && viewed < expected.size(); ++i) {
      auto views = viewer.poll_views(std::chrono::milliseconds(200));
      REQUIRE(views);
      viewed += views.value().size();
      held.push_back(std::move(views).value());
    }
  }
  REQUIRE(viewed == expected.size());
  for (const auto& views : held) {
    for (const auto& v : views) {
      const auto copy = v.to_record();
      const auto* want = by_position.at({v.partition, v.offset});
      CHECK(copy.topic == "rt");
      CHECK(copy.key == want->key);
      CHECK(copy.value == want->value);
      CHECK(copy.timestamp == want->timestamp);
      CHECK(copy.headers == want->headers);
    }
  }
}

TEST_CASE("Kafka's key partitioner gives Kafka's partitions", "[integration][roundtrip]") {
  // Values from Kafka's own test suite (UtilsTest.testMurmur2).
  CHECK(client::murmur2("21") == -973932308);
  CHECK(client::murmur2("foobar") == -790332482);
  CHECK(client::murmur2("a-little-bit-long-string") == -985981536);
  CHECK(client::murmur2("a-little-bit-longer-string") == -1486304829);
  CHECK(client::murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == -58897971);
  CHECK(client::murmur2("abc") == 479470107);
}

TEST_CASE("keyless records fill a batch on one partition, then move to the next",
          "[integration][roundtrip]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("sticky", 4));
  auto pc = f.producer_config();
  pc.batch_size = 1024;
  pc.linger = std::chrono::milliseconds(60'000);  // batches go when full (or on flush)
  client::producer producer(pc);
  const std::string value(100, 'v');

  // Sent as fast as the producer takes them: full batches, one partition after another.
  constexpr int n = 400;
  std::vector<int32_t> partition_of(n, -1);
  for (int i = 0; i < n; ++i) {
    REQUIRE(producer.send({.topic = "sticky", .value = value},
                          [&partition_of, i](const result<client::record_metadata>& m) {
                            if (m) partition_of[static_cast<size_t>(i)] = m.value().partition;
                          }));
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
  std::map<int32_t, int> per_partition;
  std::vector<int> runs{1};  // lengths of the runs of records sent to one partition
  for (int i = 0; i < n; ++i) {
    REQUIRE(partition_of[static_cast<size_t>(i)] >= 0);
    ++per_partition[partition_of[static_cast<size_t>(i)]];
    if (i == 0) continue;
    if (partition_of[static_cast<size_t>(i)] == partition_of[static_cast<size_t>(i) - 1]) {
      ++runs.back();
    } else {
      CHECK(partition_of[static_cast<size_t>(i)] ==
            (partition_of[static_cast<size_t>(i) - 1] + 1) % 4);
      runs.push_back(1);
    }
  }
  REQUIRE(per_partition.size() == 4);
  for (const auto& [p, count] : per_partition) {
    INFO("partition " << p);
    CHECK(count >= n / 4 - 10);
    CHECK(count <= n / 4 + 10);
  }
  // Every run but the last is one full batch: as many ~110-byte records as fit in 1 KiB.
  runs.pop_back();
  REQUIRE(runs.size() >= 30);
  for (int r : runs) {
    CHECK(r >= 7);
    CHECK(r <= 9);
  }

  // Sent one at a time, each batch goes on linger's or flush's account: the next record needs a
  // new batch, so it goes to the next partition.
  std::vector<int32_t> one_by_one;
  for (int i = 0; i < 8; ++i) {
    auto sent = producer.send(client::producer_record{.topic = "sticky", .value = value});
    producer.flush();
    auto m = sent.get();
    REQUIRE(m);
    one_by_one.push_back(m.value().partition);
  }
  for (size_t i = 1; i < one_by_one.size(); ++i)
    CHECK(one_by_one[i] == (one_by_one[i - 1] + 1) % 4);
}

TEST_CASE("a batch the sticky partitioner leaves full goes without waiting for linger",
          "[integration][roundtrip]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("left", 2));
  auto pc = f.producer_config();
  pc.batch_size = 1024;
  pc.linger = std::chrono::milliseconds(600'000);
  client::producer producer(pc);
  const std::string value(100, 'v');
  std::vector<std::future<result<client::record_metadata>>> first_batch;
  for (int i = 0; i < 8; ++i)  // 8 of these fill a 1 KiB batch
    first_batch.push_back(producer.send(client::producer_record{.topic = "left", .value = value}));
  auto next = producer.send(client::producer_record{.topic = "left", .value = value});
  std::set<int32_t> partitions;
  for (auto& sent : first_batch) {
    REQUIRE(sent.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    auto m = sent.get();
    REQUIRE(m);
    partitions.insert(m.value().partition);
  }
  REQUIRE(partitions.size() == 1);
  // The ninth record opened a batch on the other partition, which waits for linger (or flush).
  CHECK(next.wait_for(std::chrono::milliseconds(200)) == std::future_status::timeout);
  producer.flush();
  auto m = next.get();
  REQUIRE(m);
  CHECK(m.value().partition != *partitions.begin());
}

TEST_CASE("an acknowledgement carries when it arrived, once for its whole batch",
          "[integration][roundtrip]") {
  using wall = std::chrono::system_clock;
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("acked", 1));
  auto pc = f.producer_config();
  pc.linger = std::chrono::milliseconds(50);
  client::producer producer(pc);
  std::mutex mu;
  std::condition_variable all_acked;
  // acked_at (unset for a failed send), the callback's now; checked here, not on the producer's
  // thread, where a failed REQUIRE would throw into the producer.
  std::vector<std::pair<std::optional<wall::time_point>, wall::time_point>> acked;
  const auto sent = wall::now();
  for (int i = 0; i < 10; ++i) {
    REQUIRE(producer.send(client::producer_record{.topic = "acked", .value = "v"},
                          [&](const result<client::record_metadata>& m) {
                            std::optional<wall::time_point> at;
                            if (m) at = m.value().acked_at;
                            std::lock_guard lock(mu);
                            acked.emplace_back(at, wall::now());
                            all_acked.notify_all();
                          }));
  }
  {  // not flushed: the batch goes when its linger is up
    std::unique_lock lock(mu);
    REQUIRE(all_acked.wait_for(lock, std::chrono::seconds(20), [&] { return acked.size() == 10; }));
  }
  for (const auto& [at, seen] : acked) {
    REQUIRE(at);
    CHECK(*at == *acked[0].first);   // one batch, one reading
    CHECK(*at >= sent + pc.linger);  // read at the ack, not at the send
    CHECK(*at <= seen);
  }
}

TEST_CASE("records sent to two topics in turn are acknowledged each with its own metadata",
          "[integration][roundtrip]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("left", 1));
  REQUIRE(admin.create_topic("right", 3));
  auto pc = f.producer_config();
  pc.linger = std::chrono::milliseconds(20);
  client::producer producer(pc);
  std::vector<std::future<result<client::record_metadata>>> acks;
  for (int i = 0; i < 60; ++i) {
    // "right" has three partitions: a partition that exists on "right" only would be refused if
    // the producer took the topics for one another.
    client::producer_record r{.topic = i % 2 == 0 ? "left" : "right",
                              .partition = i % 2 == 0 ? 0 : 2,
                              .value = std::to_string(i),
                              .timestamp = 1'000'000 + i};
    acks.push_back(producer.send(r));
  }
  producer.flush();
  int64_t next_left = 0, next_right = 0;
  for (int i = 0; i < 60; ++i) {
    auto m = acks[static_cast<size_t>(i)].get();
    REQUIRE(m);
    const bool left = i % 2 == 0;
    CHECK(m.value().topic == (left ? "left" : "right"));
    CHECK(m.value().partition == (left ? 0 : 2));
    CHECK(m.value().offset == (left ? next_left++ : next_right++));
    CHECK(m.value().timestamp == 1'000'000 + i);
  }
}

TEST_CASE("a producer reports unknown topics and partitions at once", "[integration][roundtrip]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("two", 2));
  client::producer producer(f.producer_config());
  auto unknown = producer.send({.topic = "nope", .value = "x"}, [](const auto&) {});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message.find("UNKNOWN_TOPIC_OR_PARTITION") != std::string::npos);
  CHECK(unknown.error().message.find("nope") != std::string::npos);
  auto bad_partition =
      producer.send({.topic = "two", .partition = 5, .value = "x"}, [](const auto&) {});
  REQUIRE_FALSE(bad_partition);
  CHECK(bad_partition.error().message.find("partitions 0..1") != std::string::npos);
}

TEST_CASE("a batch over max.message.bytes is refused with the limit", "[integration][roundtrip]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("small", 1, {{"max.message.bytes", "1000"}}));
  client::producer producer(f.producer_config());
  auto result = producer.send({.topic = "small", .value = std::string(5000, 'x')}).get();
  REQUIRE_FALSE(result);
  CHECK(result.error().message.find("MESSAGE_TOO_LARGE") != std::string::npos);
  CHECK(result.error().message.find("max.message.bytes=1000") != std::string::npos);
}
