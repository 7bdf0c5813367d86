// Fetch responses of several hundred KiB are read with the socket's receive low-water mark
// raised (client/connection.cpp); every response after one still arrives at once.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "client/admin.h"
#include "integration/broker_fixture.h"

using namespace sluice;

TEST_CASE("a small fetch response right after a large one arrives without waiting",
          "[integration][consumer]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("big", 1));
  auto pc = f.producer_config();
  pc.batch_size = 1u << 20;
  pc.linger = std::chrono::milliseconds(500);
  client::producer producer(pc);
  // One batch of about 700 KB: a response larger than the reader's 256 KiB chunk, and not a
  // multiple of it.
  constexpr int big = 700;
  for (int i = 0; i < big; ++i)
    REQUIRE(producer.send({.topic = "big", .value = std::string(1000, 'a' + i % 26)},
                          [](const auto&) {}));
  producer.flush();
  REQUIRE(producer.failed() == 0);

  auto cc = f.consumer_config();
  // A reader stuck behind a stale low-water mark would only be freed by the request timing out.
  cc.request_timeout = std::chrono::seconds(120);
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"big", 0}}));
  using clock = std::chrono::steady_clock;
  std::vector<int64_t> offsets;
  auto poll_until = [&](size_t n, clock::duration within) {
    const auto deadline = clock::now() + within;
    while (offsets.size() < n && clock::now() < deadline) {
      auto records = consumer.poll(std::chrono::milliseconds(100));
      REQUIRE(records);
      for (const auto& r : records.value())
        offsets.push_back(r.offset);
    }
  };
  poll_until(big, std::chrono::seconds(20));
  REQUIRE(offsets.size() == big);

  // The consumer has caught up and long-polls; a record produced now comes in the next small
  // response, and the empty ones before it must not be held up either.
  REQUIRE(producer.send({.topic = "big", .value = "tail"}).get());
  const auto sent = clock::now();
  poll_until(big + 1, std::chrono::seconds(10));
  REQUIRE(offsets.size() == big + 1);
  CHECK(clock::now() - sent < std::chrono::seconds(5));
  for (size_t i = 0; i < offsets.size(); ++i)
    CHECK(offsets[i] == static_cast<int64_t>(i));
}
