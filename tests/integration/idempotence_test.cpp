// An idempotent producer's retry after a lost response is answered with the original offsets
// and not written twice.
#include <catch2/catch.hpp>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "proto/batch_builder.h"
#include "support/bytes.h"
#include "support/raw_client.h"
#include "support/raw_requests.h"

using namespace sluice;

TEST_CASE("a retried batch whose response was lost is not written twice",
          "[integration][idempotence]") {
  test::broker_fixture f({"log.flush.policy=always"});
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("idem", 1));

  const auto pid = test::new_producer_id(f.broker->port());
  REQUIRE(pid);
  proto::batch_builder b({.producer_id = *pid, .producer_epoch = 0, .base_sequence = 0});
  for (int i = 0; i < 10; ++i)
    b.append(1000 + i, std::nullopt, test::as_bytes("r" + std::to_string(i)));
  const auto batch = b.build().value();

  {
    // The response to this request is lost: the connection goes before it is read.
    test::raw_client c(f.broker->port());
    auto data = batch;
    c.send_request(test::produce_request("idem", data.size()), data);
  }
  // The producer retries on a new connection with the same sequence numbers, until the first
  // attempt is visibly in the log.
  auto retry = [&] {
    test::raw_client c(f.broker->port());
    auto data = batch;
    c.send_request(test::produce_request("idem", data.size()), data);
    return c.read_response();
  };
  auto answer = retry();
  REQUIRE(answer);
  const auto& p = answer->produce().topics(0).partitions(0);
  CHECK(p.error().code() == v1::NONE);
  CHECK(p.base_offset() == 0);
  auto again = retry();
  REQUIRE(again);
  CHECK(again->produce().topics(0).partitions(0).base_offset() == 0);

  auto info = admin.describe_topic("idem");
  REQUIRE(info);
  CHECK(info.value().partitions[0].high_watermark == 10);
  auto records = test::consume_all(f.consumer_config(), {{"idem", 0}}, 10);
  CHECK(records.size() == 10);

  // A sequence gap is refused with the sequence expected.
  proto::batch_builder gap({.producer_id = *pid, .producer_epoch = 0, .base_sequence = 50});
  gap.append(1, std::nullopt, test::as_bytes("late"));
  auto gap_bytes = gap.build().value();
  test::raw_client c(f.broker->port());
  c.send_request(test::produce_request("idem", gap_bytes.size()), gap_bytes);
  auto refused = c.read_response();
  REQUIRE(refused);
  const auto& e = refused->produce().topics(0).partitions(0).error();
  CHECK(e.code() == v1::OUT_OF_ORDER_SEQUENCE_NUMBER);
  CHECK(e.message().find("expected 10") != std::string::npos);
}
