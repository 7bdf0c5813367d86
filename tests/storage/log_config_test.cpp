#include "storage/log_config.h"

#include <catch2/catch.hpp>

#include "storage/errc.h"

using namespace sluice::storage;

TEST_CASE("topic config overrides apply on top of defaults", "[storage][config]") {
  auto c = apply_topic_config({}, {{"retention.ms", "1000"},
                                   {"cleanup.policy", "compact"},
                                   {"message.timestamp.type", "LogAppendTime"},
                                   {"segment.bytes", "4096"}});
  REQUIRE(c);
  CHECK(c.value().retention_ms == 1000);
  CHECK(c.value().cleanup_compact);
  CHECK_FALSE(c.value().cleanup_delete);
  CHECK(c.value().timestamp_type == sluice::proto::timestamp_type::log_append_time);
  CHECK(c.value().segment_bytes == 4096);
  CHECK(topic_config_value(c.value(), "cleanup.policy") == "compact");
  CHECK(topic_config_value(c.value(), "retention.ms") == "1000");
}

TEST_CASE("an unknown topic config key is named in the error", "[storage][config]") {
  auto c = apply_topic_config({}, {{"retenton.ms", "1"}});
  REQUIRE_FALSE(c);
  CHECK(c.error().code == errc::invalid_config);
  CHECK(c.error().message.find("'retenton.ms'") != std::string::npos);
  CHECK(c.error().message.find("retention.ms") != std::string::npos);
}

TEST_CASE("bad topic config values say what is expected", "[storage][config]") {
  auto not_number = apply_topic_config({}, {{"retention.ms", "soon"}});
  REQUIRE_FALSE(not_number);
  CHECK(not_number.error().message.find("retention.ms=soon") != std::string::npos);
  CHECK(not_number.error().message.find("integer") != std::string::npos);

  auto too_small = apply_topic_config({}, {{"segment.bytes", "10"}});
  REQUIRE_FALSE(too_small);
  CHECK(too_small.error().message.find("from 1024") != std::string::npos);

  auto policy = apply_topic_config({}, {{"cleanup.policy", "shred"}});
  REQUIRE_FALSE(policy);
  CHECK(policy.error().message.find("delete, compact or compact,delete") != std::string::npos);

  auto ts = apply_topic_config({}, {{"message.timestamp.type", "EventTime"}});
  REQUIRE_FALSE(ts);
  CHECK(ts.error().message.find("CreateTime or LogAppendTime") != std::string::npos);
}

TEST_CASE("topic names follow Kafka's rules", "[storage][config]") {
  CHECK(validate_topic_name("orders.v2_eu-west"));
  CHECK(validate_topic_name(std::string(249, 'a')));
  auto empty = validate_topic_name("");
  CHECK(empty.error().code == errc::invalid_topic_name);
  CHECK(validate_topic_name(std::string(250, 'a')).error().message.find("249") !=
        std::string::npos);
  CHECK_FALSE(validate_topic_name("."));
  CHECK_FALSE(validate_topic_name(".."));
  auto slash = validate_topic_name("a/b");
  REQUIRE_FALSE(slash);
  CHECK(slash.error().message.find("contains '/'") != std::string::npos);
  CHECK_FALSE(validate_topic_name("with space"));
}
