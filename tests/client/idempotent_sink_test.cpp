// The idempotent sink: by position and by key, and through serialize/restore.
#include <catch2/catch.hpp>

#include "client/errors.h"
#include "client/streams/idempotent_sink.h"

using namespace sluice::client;

namespace {

consumer_record at(std::string topic, int32_t partition, int64_t offset) {
  consumer_record r;
  r.topic = std::move(topic);
  r.partition = partition;
  r.offset = offset;
  return r;
}

}  // namespace

TEST_CASE("a sink applies each position once, per partition", "[client][sink]") {
  idempotent_sink sink;
  CHECK(sink.first_time(at("t", 0, 5)));
  CHECK_FALSE(sink.first_time(at("t", 0, 5)));
  CHECK_FALSE(sink.first_time(at("t", 0, 3)));  // a replay from before
  CHECK(sink.first_time(at("t", 0, 6)));
  CHECK(sink.first_time(at("t", 1, 0)));  // another partition has its own positions
  CHECK(sink.first_time(at("u", 0, 0)));
  CHECK(sink.positions().at({"t", 0}) == 7);
  CHECK_FALSE(sink.seen(at("t", 0, 7)));
}

TEST_CASE("a sink applies each application key once", "[client][sink]") {
  idempotent_sink sink;
  CHECK(sink.first_time_key("order-1"));
  CHECK_FALSE(sink.first_time_key("order-1"));
  CHECK(sink.first_time_key("order-2"));
  sink.forget_keys();
  CHECK(sink.first_time_key("order-1"));
}

TEST_CASE("a sink's state survives serialize and restore", "[client][sink]") {
  idempotent_sink sink;
  CHECK(sink.first_time(at("t", 2, 41)));
  CHECK(sink.first_time_key(std::string("k\0ey", 4)));
  auto restored = idempotent_sink::restore(sink.serialize());
  REQUIRE(restored);
  CHECK(restored.value().seen(at("t", 2, 41)));
  CHECK_FALSE(restored.value().seen(at("t", 2, 42)));
  CHECK(restored.value().seen_key(std::string("k\0ey", 4)));
  CHECK_FALSE(restored.value().seen_key("k"));

  auto garbage = idempotent_sink::restore("\xff\xff\xff");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().message == "idempotent sink state does not parse");
}
