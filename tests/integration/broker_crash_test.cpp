// SIGKILL of the broker while an idempotent producer sends with acks=all under
// log.flush.policy=always; after a restart every acknowledged record is there exactly once.
#include <catch2/catch.hpp>
#include <mutex>
#include <set>

#include "client/admin.h"
#include "integration/broker_fixture.h"

using namespace sluice;

TEST_CASE("after SIGKILL and restart every acknowledged record is present exactly once",
          "[integration][crash]") {
  test::broker_fixture f({"log.flush.policy=always", "log.segment.bytes=65536"});
  client::admin(f.client()).create_topic("crash", 2).value();

  auto pc = f.producer_config();
  pc.delivery_timeout = std::chrono::seconds(120);
  pc.retry_backoff = std::chrono::milliseconds(50);
  pc.reconnect_backoff_max = std::chrono::milliseconds(200);
  pc.linger = std::chrono::milliseconds(2);
  client::producer producer(pc);

  std::mutex m;
  std::condition_variable cv;
  std::set<std::string> acked;
  uint64_t failures = 0;
  constexpr int total = 6000;
  auto send = [&](int i) {
    std::string v = "record-" + std::to_string(i);
    REQUIRE(producer.send({.topic = "crash", .key = std::to_string(i % 97), .value = v},
                          [&, v](const result<client::record_metadata>& r) {
                            std::lock_guard lock(m);
                            if (r)
                              acked.insert(v);
                            else
                              ++failures;
                            cv.notify_all();
                          }));
  };
  int i = 0;
  for (int round = 0; round < 3; ++round) {
    // Let some records be acknowledged, then kill the broker with more in flight.
    for (int n = 0; n < 1000; ++n)
      send(i++);
    {
      std::unique_lock lock(m);
      REQUIRE(cv.wait_for(lock, std::chrono::seconds(60),
                          [&] { return acked.size() >= static_cast<size_t>(i - 800); }));
    }
    for (int n = 0; n < 500; ++n)
      send(i++);
    f.broker->kill9();
    f.broker->restart();
  }
  while (i < total)
    send(i++);
  producer.flush();
  INFO("acknowledged " << acked.size() << ", failed " << failures);
  CHECK(failures == 0);

  auto records = test::consume_all(f.consumer_config(), {{"crash", 0}, {"crash", 1}}, total + 1,
                                   std::chrono::seconds(20));
  std::multiset<std::string> seen;
  for (const auto& r : records)
    seen.insert(*r.value);
  size_t duplicates = 0;
  for (const auto& v : seen)
    duplicates += seen.count(v) > 1;
  CHECK(duplicates == 0);
  size_t lost = 0;
  for (const auto& v : acked)
    lost += seen.count(v) == 0;
  CHECK(lost == 0);
  CHECK(acked.size() == total);
}
