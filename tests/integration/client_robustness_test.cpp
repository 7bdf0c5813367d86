// Regression tests from review: pipelining under load, several batches of one partition in one
// request, a batch that fails for good, closing from a callback, calls after close, and
// clients that abandon long-polling fetches; a consumer retrying ListOffsets.
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "support/raw_client.h"

using namespace sluice;

TEST_CASE("many concurrent requests on one connection all get their own answers",
          "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("busy", 8));
  auto pc = f.producer_config();
  pc.batch_size = 512;  // many small batches, several requests in flight
  pc.linger = std::chrono::milliseconds(0);
  client::producer producer(pc);
  std::mutex m;
  std::set<std::pair<int32_t, int64_t>> offsets;
  std::vector<std::string> errors;
  auto worker = [&](int id) {
    for (int i = 0; i < 3000; ++i) {
      auto queued = producer.send(
          {.topic = "busy", .key = std::to_string(id * 100000 + i), .value = std::string(100, 'x')},
          [&](const result<client::record_metadata>& r) {
            std::lock_guard lock(m);
            if (r) {
              offsets.insert({r.value().partition, r.value().offset});
            } else {
              errors.push_back(r.error().message);
            }
          });
      REQUIRE(queued);
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  producer.flush();
  INFO((errors.empty() ? std::string() : errors.front()));
  CHECK(errors.empty());
  CHECK(offsets.size() == 6000);  // every record its own offset
}

TEST_CASE("several batches of one partition in one request get their own offsets",
          "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("one", 1));
  auto pc = f.producer_config();
  pc.batch_size = 200;
  pc.linger = std::chrono::milliseconds(50);
  client::producer producer(pc);
  std::vector<std::future<result<client::record_metadata>>> futures;
  for (int i = 0; i < 40; ++i)
    futures.push_back(producer.send({.topic = "one", .value = std::string(60, 'a' + i % 26)}));
  producer.flush();
  std::vector<int64_t> got;
  for (auto& fu : futures) {
    auto r = fu.get();
    REQUIRE(r);
    got.push_back(r.value().offset);
  }
  for (size_t i = 0; i < got.size(); ++i)
    CHECK(got[i] == static_cast<int64_t>(i));
}

TEST_CASE("a batch refused for good fails alone, and later records still go",
          "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("strict", 1, {{"max.message.bytes", "2000"}}));
  auto pc = f.producer_config();
  pc.linger = std::chrono::milliseconds(20);
  client::producer producer(pc);
  auto small_before = producer.send({.topic = "strict", .value = "small"});
  auto big = producer.send({.topic = "strict", .value = std::string(20'000, 'x')});
  producer.flush();
  auto big_result = big.get();
  REQUIRE_FALSE(big_result);
  CHECK(big_result.error().message.find("MESSAGE_TOO_LARGE") != std::string::npos);
  CHECK(small_before.get());
  // The sequence gap the refused batch left does not block the partition: the producer starts
  // a new epoch.
  for (int i = 0; i < 5; ++i) {
    auto after = producer.send({.topic = "strict", .value = "after " + std::to_string(i)}).get();
    REQUIRE(after);
  }
  auto records = test::consume_all(f.consumer_config(), {{"strict", 0}}, 6);
  REQUIRE(records.size() == 6);
  CHECK(records[0].value == "small");
  CHECK(records[5].value == "after 4");
}

TEST_CASE("close from a delivery callback, then destruction, is safe", "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("cb", 1));
  std::promise<void> called;
  {
    client::producer producer(f.producer_config());
    REQUIRE(producer.send({.topic = "cb", .value = "x"}, [&](const auto&) {
      producer.close();
      called.set_value();
    }));
    called.get_future().wait();
    CHECK_FALSE(producer.send({.topic = "cb", .value = "refused"}, [](const auto&) {}));
  }
  SUCCEED("destroyed without a sanitizer report");
}

TEST_CASE("calls after close fail instead of hanging", "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("c", 1));
  client::consumer consumer(f.consumer_config());
  REQUIRE(consumer.assign({{"c", 0}}));
  consumer.close();
  auto r = consumer.seek_to_end();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("closed") != std::string::npos);
  client::producer producer(f.producer_config());
  producer.close();
  CHECK_FALSE(producer.send({.topic = "c", .value = "late"}, [](const auto&) {}));
}

TEST_CASE("clients that abandon long-polling fetches free their connections",
          "[integration][client]") {
  test::broker_fixture f({"max.connections=2"});
  REQUIRE(client::admin(f.client()).create_topic("idle", 1));
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      test::raw_client c(f.broker->port());
      v1::RequestMeta meta;
      meta.mutable_header()->set_api_key(v1::FETCH);
      auto* fetch = meta.mutable_fetch();
      fetch->set_max_wait_ms(4'000'000'000u);
      fetch->set_min_bytes(1);
      auto* t = fetch->add_topics();
      t->set_name("idle");
      auto* p = t->add_partitions();
      p->set_partition(0);
      p->set_fetch_offset(0);
      c.send_request(meta);
    }  // both hang up while their fetches wait
  }
  // A new client gets in: the broker dropped the abandoned sessions.
  bool admitted = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!admitted && std::chrono::steady_clock::now() < deadline) {
    test::raw_client c(f.broker->port());
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::API_VERSIONS);
    meta.mutable_api_versions();
    c.send_request(meta);
    auto resp = c.read_response(nullptr, std::chrono::seconds(5));
    admitted = resp && resp->header().error().code() == v1::NONE;
  }
  CHECK(admitted);
}

TEST_CASE("a consumer whose ListOffsets finds the broker down tries again after retry_backoff",
          "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("back", 1));
  {
    client::producer producer(f.producer_config());
    for (int i = 0; i < 3; ++i)
      REQUIRE(producer.send({.topic = "back", .value = "v" + std::to_string(i)}, [](auto&) {}));
    producer.flush();
    REQUIRE(producer.failed() == 0);
  }
  REQUIRE(f.broker->terminate() == 0);

  auto cc = f.consumer_config();
  // Retrying only after fetch_max_wait would take 30 s, past the 10 s allowed below.
  cc.fetch_max_wait = std::chrono::seconds(30);
  cc.retry_backoff = std::chrono::milliseconds(50);
  cc.reconnect_backoff_max = std::chrono::milliseconds(100);
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"back", 0}}));
  // The first poll starts the fetch loop, whose ListOffsets is refused at once.
  auto none = consumer.poll(std::chrono::milliseconds(200));
  REQUIRE(none);
  CHECK(none.value().empty());

  f.broker->restart();
  std::vector<client::consumer_record> got;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(100));
    REQUIRE(records);
    for (auto& r : records.value())
      got.push_back(std::move(r));
  }
  REQUIRE(got.size() == 3);
  CHECK(*got[0].value == "v0");
  CHECK(*got[2].value == "v2");
}
