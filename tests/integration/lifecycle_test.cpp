// Start-up, metrics, and clean shutdown of the daemon.
#include <catch2/catch.hpp>
#include <filesystem>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "support/http_get.h"

using namespace sluice;

TEST_CASE("metrics are served in Prometheus text format", "[integration][metrics]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("m", 1));
  {
    client::producer producer(f.producer_config());
    for (int i = 0; i < 10; ++i)
      REQUIRE(producer.send({.topic = "m", .value = "v"}, [](const auto&) {}));
    producer.flush();
  }
  auto records = test::consume_all(f.consumer_config(), {{"m", 0}}, 10);
  REQUIRE(records.size() == 10);
  REQUIRE(f.broker->metrics_port() != 0);
  auto body = test::http_get(f.broker->metrics_port(), "/metrics");
  CHECK(body.starts_with("HTTP/1.0 200"));
  CHECK(body.find("text/plain; version=0.0.4") != std::string::npos);
  CHECK(body.find("sluice_partition_records_in_total{topic=\"m\",partition=\"0\"} 10\n") !=
        std::string::npos);
  CHECK(body.find("sluice_partition_records_out_total{topic=\"m\",partition=\"0\"} 10\n") !=
        std::string::npos);
  CHECK(body.find("sluice_partition_log_end_offset{topic=\"m\",partition=\"0\"} 10\n") !=
        std::string::npos);
  CHECK(body.find("sluice_request_latency_seconds_bucket{api=\"PRODUCE\",le=\"+Inf\"}") !=
        std::string::npos);
  CHECK(body.find("sluice_fsync_latency_seconds_count") != std::string::npos);
  CHECK(body.find("sluice_connections ") != std::string::npos);
  CHECK(test::http_get(f.broker->metrics_port(), "/other").starts_with("HTTP/1.0 404"));
}

TEST_CASE("SIGTERM shuts down cleanly and the next start scans nothing",
          "[integration][lifecycle]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("s", 2));
  {
    client::producer producer(f.producer_config());
    REQUIRE(producer.send({.topic = "s", .value = "kept"}).get());
  }
  CHECK(f.broker->terminate() == 0);
  CHECK(std::filesystem::exists(f.dir / "data" / ".clean_shutdown"));
  CHECK(f.broker->log().find("clean shutdown") != std::string::npos);
  // Exactly one "listening" line per start.
  f.broker->restart();
  auto log = f.broker->log();
  CHECK(log.find("after a clean shutdown") != std::string::npos);
  size_t lines = 0;
  for (size_t at = log.find("sluiced listening on"); at != std::string::npos;
       at = log.find("sluiced listening on", at + 1)) {
    ++lines;
  }
  CHECK(lines == 1);
  auto records = test::consume_all(f.consumer_config(), {{"s", 0}, {"s", 1}}, 1);
  REQUIRE(records.size() == 1);
  CHECK(records[0].value == "kept");
}
