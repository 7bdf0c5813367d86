// A fetch waiting at the log end is woken by an append instead of waiting out max_wait.
#include <catch2/catch.hpp>
#include <future>

#include "client/admin.h"
#include "integration/broker_fixture.h"

using namespace sluice;

TEST_CASE("a long-polling fetch wakes up when a record is appended", "[integration][fetch]") {
  for (std::string policy : {"interval", "always"}) {
    test::broker_fixture f({"log.flush.policy=" + policy});
    client::admin admin(f.client());
    REQUIRE(admin.create_topic("lp", 1));
    auto cc = f.consumer_config();
    cc.fetch_max_wait = std::chrono::seconds(20);  // far longer than the test takes
    client::consumer consumer(cc);
    REQUIRE(consumer.assign({{"lp", 0}}));
    REQUIRE(consumer.seek_to_end());
    // The consumer's fetch is parked at the log end before anything is produced.
    auto empty = consumer.poll(std::chrono::milliseconds(300));
    REQUIRE(empty);
    CHECK(empty.value().empty());

    client::producer producer(f.producer_config());
    const auto sent = std::chrono::steady_clock::now();
    REQUIRE(producer.send({.topic = "lp", .value = "wake up"}).get());
    std::vector<client::consumer_record> got;
    while (got.empty() && std::chrono::steady_clock::now() - sent < std::chrono::seconds(30)) {
      auto r = consumer.poll(std::chrono::seconds(30));
      REQUIRE(r);
      got = r.value();
    }
    const auto waited = std::chrono::steady_clock::now() - sent;
    INFO("policy " << policy);
    REQUIRE(got.size() == 1);
    CHECK(got[0].value == "wake up");
    // Woken by the append, not by the 20 s max_wait running out.
    CHECK(waited < std::chrono::seconds(10));
  }
}

TEST_CASE("fetching past the log end or below the log start is out of range",
          "[integration][fetch]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("oor", 1));
  client::producer producer(f.producer_config());
  REQUIRE(producer.send({.topic = "oor", .value = "a"}).get());
  auto cc = f.consumer_config();
  cc.auto_offset_reset = "none";
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"oor", 0}}));
  REQUIRE(consumer.seek({"oor", 0}, 50));
  // With reset "none" the out-of-range position parks the partition and poll reports it.
  result<std::vector<client::consumer_record>> r = std::vector<client::consumer_record>{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (r && std::chrono::steady_clock::now() < deadline)
    r = consumer.poll(std::chrono::milliseconds(200));
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("auto_offset_reset is none") != std::string::npos);
}
