// Malformed and oversize frames from a raw socket: the sender gets an error and loses its
// connection; the broker goes on serving everyone else.
#include <catch2/catch.hpp>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "proto/byte_order.h"
#include "support/raw_client.h"

using namespace sluice;

namespace {

void check_still_serving(test::broker_fixture& f) {
  REQUIRE(f.broker->running());
  client::admin admin(f.client());
  auto topics = admin.list_topics();
  REQUIRE(topics);
  client::producer producer(f.producer_config());
  REQUIRE(producer.send({.topic = "ok", .value = "still here"}).get());
}

std::vector<std::byte> prefix(uint32_t length) {
  std::vector<std::byte> b(4);
  proto::store_be<uint32_t>(b.data(), length);
  return b;
}

}  // namespace

TEST_CASE("malformed and oversize frames close one connection, never the broker",
          "[integration][bad-input]") {
  test::broker_fixture f({"socket.request.max.bytes=1048576"});
  REQUIRE(client::admin(f.client()).create_topic("ok", 1));

  SECTION("a frame over socket.request.max.bytes") {
    test::raw_client c(f.broker->port());
    c.send_bytes(prefix(2'000'000'000));
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->header().error().code() == v1::INVALID_REQUEST);
    CHECK(resp->header().error().message().find("over the limit of 1048576") != std::string::npos);
    CHECK(c.closed_by_broker());
  }
  SECTION("a frame too short for its meta length") {
    test::raw_client c(f.broker->port());
    c.send_bytes(prefix(2));
    CHECK(c.closed_by_broker());
  }
  SECTION("meta that is not protobuf") {
    test::raw_client c(f.broker->port());
    auto frame = prefix(4 + 6);
    auto meta_len = prefix(6);
    frame.insert(frame.end(), meta_len.begin(), meta_len.end());
    for (int i = 0; i < 6; ++i)
      frame.push_back(std::byte{0xFF});
    c.send_bytes(frame);
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->header().error().code() == v1::INVALID_REQUEST);
    CHECK(c.closed_by_broker());
  }
  SECTION("a string field that is not UTF-8") {
    test::raw_client c(f.broker->port());
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::METADATA);
    meta.mutable_metadata()->add_topics("\xff\xfe");
    c.send_request(meta);
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->header().error().code() == v1::INVALID_REQUEST);
    CHECK(c.closed_by_broker());
    // Protobuf's own complaint goes to the broker log at debug level, not around it to stderr
    // once per request: a client could flood the log with it.
    CHECK(f.broker->log().find("libprotobuf") == std::string::npos);
  }
  SECTION("a meta_length past the frame") {
    test::raw_client c(f.broker->port());
    auto frame = prefix(8);
    auto meta_len = prefix(1000);
    frame.insert(frame.end(), meta_len.begin(), meta_len.end());
    frame.resize(frame.size() + 4);
    c.send_bytes(frame);
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->header().error().message().find("meta_length") != std::string::npos);
    CHECK(c.closed_by_broker());
  }
  SECTION("an API key that does not match the body") {
    test::raw_client c(f.broker->port());
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::FETCH);
    meta.mutable_metadata();
    c.send_request(meta);
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->header().error().code() == v1::INVALID_REQUEST);
    CHECK(c.closed_by_broker());
  }
  SECTION("an unsupported API version is refused but the connection stays") {
    test::raw_client c(f.broker->port());
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::METADATA);
    meta.mutable_header()->set_api_version(7);
    meta.mutable_metadata();
    c.send_request(meta);
    auto resp = c.read_response();
    REQUIRE(resp);
    CHECK(resp->header().error().code() == v1::UNSUPPORTED_VERSION);
    meta.mutable_header()->set_api_version(1);
    meta.mutable_header()->set_correlation_id(0);
    c.send_request(meta);
    auto ok = c.read_response();
    REQUIRE(ok);
    CHECK(ok->header().error().code() == v1::NONE);
  }
  SECTION("a produce slice outside the data section and a corrupt batch") {
    test::raw_client c(f.broker->port());
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::PRODUCE);
    auto* req = meta.mutable_produce();
    req->set_acks(1);
    auto* t = req->add_topics();
    t->set_name("ok");
    auto* outside = t->add_partitions();
    outside->set_partition(0);
    outside->set_data_offset(10);
    outside->set_data_length(100);
    auto* corrupt = t->add_partitions();
    corrupt->set_partition(0);
    corrupt->set_data_offset(0);
    corrupt->set_data_length(70);
    std::vector<std::byte> garbage(70, std::byte{0x42});
    c.send_request(meta, garbage);
    auto resp = c.read_response();
    REQUIRE(resp);
    const auto& parts = resp->produce().topics(0).partitions();
    CHECK(parts[0].error().code() == v1::INVALID_REQUEST);
    CHECK(parts[0].error().message().find("outside") != std::string::npos);
    CHECK(parts[1].error().code() == v1::CORRUPT_MESSAGE);
  }
  SECTION("unknown topics and partitions get per-partition errors") {
    test::raw_client c(f.broker->port());
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::FETCH);
    auto* t = meta.mutable_fetch()->add_topics();
    t->set_name("ok");
    auto* p = t->add_partitions();
    p->set_partition(9);
    c.send_request(meta);
    auto resp = c.read_response();
    REQUIRE(resp);
    const auto& e = resp->fetch().topics(0).partitions(0).error();
    CHECK(e.code() == v1::UNKNOWN_TOPIC_OR_PARTITION);
    CHECK(e.message().find("no partition 9") != std::string::npos);
  }
  check_still_serving(f);
}

TEST_CASE("connections past max.connections are refused with a clear error",
          "[integration][bad-input]") {
  test::broker_fixture f({"max.connections=2"});
  test::raw_client a(f.broker->port());
  test::raw_client b(f.broker->port());
  // Make sure both are accepted before the third arrives.
  for (auto* c : {&a, &b}) {
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::API_VERSIONS);
    meta.mutable_api_versions();
    c->send_request(meta);
    REQUIRE(c->read_response());
  }
  test::raw_client third(f.broker->port());
  auto resp = third.read_response();
  REQUIRE(resp);
  CHECK(resp->header().error().code() == v1::CONNECTION_LIMIT_REACHED);
  CHECK(resp->header().error().message().find("max.connections=2") != std::string::npos);
  CHECK(third.closed_by_broker());
}
