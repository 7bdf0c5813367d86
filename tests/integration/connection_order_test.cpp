// Requests leave a connection in the order they were made, also when most of them were made
// while it was still connecting: an idempotent producer's batches of one partition must reach
// the broker in sequence order, or the broker refuses them as out of order.
#include <catch2/catch.hpp>

#include "client/admin.h"
#include "client/connection.h"
#include "integration/broker_fixture.h"
#include "proto/batch_builder.h"
#include "support/bytes.h"
#include "support/raw_requests.h"

using namespace sluice;
namespace asio = client::asio;

TEST_CASE("calls made while a connection connects are written in call order",
          "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("order", 1));
  const auto pid = test::new_producer_id(f.broker->port());
  REQUIRE(pid);

  constexpr int rounds = 5;
  constexpr int per_round = 40;
  std::vector<std::vector<std::byte>> batches;
  for (int i = 0; i < rounds * per_round; ++i) {
    proto::batch_builder b({.producer_id = *pid, .producer_epoch = 0, .base_sequence = i});
    b.append(1000 + i, std::nullopt, test::as_bytes("r" + std::to_string(i)));
    batches.push_back(b.build().value());
  }

  std::vector<std::string> answers(batches.size());
  for (int round = 0; round < rounds; ++round) {
    // A fresh connection each round; the calls are made one event-loop turn apart, so some are
    // made before the connection is up, some while its first waiters are being woken, some after.
    asio::io_context io;
    client::connection conn(io.get_executor(), f.client());
    int pending = per_round;
    auto one = [&](int i) -> asio::awaitable<void> {
      auto r = co_await conn.call(test::produce_request("order", batches[i].size()), batches[i]);
      if (!r) {
        answers[i] = r.error().message;
      } else {
        const auto& p = r.value().meta.produce().topics(0).partitions(0);
        answers[i] = p.error().code() == v1::NONE ? "offset " + std::to_string(p.base_offset())
                                                  : p.error().message();
      }
      if (--pending == 0) conn.close();  // ends the connection's reader, and so io.run()
    };
    auto driver = [&]() -> asio::awaitable<void> {
      for (int i = round * per_round; i < (round + 1) * per_round; ++i) {
        asio::co_spawn(io, one(i), asio::detached);
        co_await asio::post(io, asio::use_awaitable);
      }
    };
    asio::co_spawn(io, driver(), asio::detached);
    io.run();
  }
  for (size_t i = 0; i < answers.size(); ++i) {
    INFO("call " << i);
    CHECK(answers[i] == "offset " + std::to_string(i));
  }
}
