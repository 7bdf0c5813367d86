// Requests leave a connection in the order they were made, also when most of them were made
// while it was still connecting: an idempotent producer's batches of one partition must reach
// the broker in sequence order, or the broker refuses them as out of order.
#include <catch2/catch.hpp>

#include "client/admin.h"
#include "client/connection.h"
#include "integration/broker_fixture.h"
#include "proto/batch_builder.h"
#include "support/bytes.h"
#include "support/raw_client.h"

using namespace sluice;
namespace asio = client::asio;

namespace {

int64_t new_producer_id(uint16_t port) {
  test::raw_client c(port);
  v1::RequestMeta init;
  init.mutable_header()->set_api_key(v1::INIT_PRODUCER_ID);
  init.mutable_init_producer_id();
  c.send_request(init);
  auto resp = c.read_response();
  REQUIRE(resp);
  return resp->init_producer_id().producer_id();
}

v1::RequestMeta produce_request(const std::string& topic, size_t bytes) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::PRODUCE);
  auto* req = meta.mutable_produce();
  req->set_acks(-1);
  req->set_timeout_ms(10'000);
  auto* t = req->add_topics();
  t->set_name(topic);
  auto* p = t->add_partitions();
  p->set_partition(0);
  p->set_data_offset(0);
  p->set_data_length(static_cast<uint32_t>(bytes));
  return meta;
}

}  // namespace

TEST_CASE("calls made while a connection connects are written in call order",
          "[integration][client]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("order", 1));
  const int64_t pid = new_producer_id(f.broker->port());

  constexpr int rounds = 5;
  constexpr int per_round = 40;
  std::vector<std::vector<std::byte>> batches;
  for (int i = 0; i < rounds * per_round; ++i) {
    proto::batch_builder b({.producer_id = pid, .producer_epoch = 0, .base_sequence = i});
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
      auto r = co_await conn.call(produce_request("order", batches[i].size()), batches[i]);
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
