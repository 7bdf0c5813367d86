// Handlers called directly, without a socket: a decoded request in, a response out.
#include "broker/handlers.h"

#include <catch2/catch.hpp>

#include "proto/batch_builder.h"
#include "support/bytes.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

struct fixture {
  test::temp_dir dir;
  broker::broker_config config;
  std::unique_ptr<storage::log_manager> logs;
  std::unique_ptr<storage::offset_store> store;
  std::optional<broker::producer_id_allocator> ids;
  broker::metrics_registry metrics;
  std::unique_ptr<broker::broker_context> ctx;

  fixture() {
    config.storage.data_dir = dir.path();
    config.storage.maintenance_interval = std::chrono::milliseconds(0);
    logs = storage::log_manager::open(config.storage).value();
    store = storage::offset_store::open(dir / "offsets").value();
    ids.emplace(*store);
    ctx = std::make_unique<broker::broker_context>(
        broker::broker_context{*logs, config, *ids, metrics, nullptr, "127.0.0.1", 9292});
    REQUIRE(logs->create_topic("a", 2));
    REQUIRE(logs->create_topic("b", 1));
  }
};

std::vector<std::byte> batch(int records, size_t value_size = 10) {
  proto::batch_builder b;
  for (int i = 0; i < records; ++i)
    b.append(1000, std::nullopt, test::as_bytes(std::string(value_size, 'v')));
  return b.build().value();
}

v1::ProduceRequest produce_request(
    const std::vector<std::pair<std::string, std::pair<int, size_t>>>& slices, int acks) {
  v1::ProduceRequest req;
  req.set_acks(acks);
  uint64_t at = 0;
  for (const auto& [topic, part] : slices) {
    auto* t = req.add_topics();
    t->set_name(topic);
    auto* p = t->add_partitions();
    p->set_partition(part.first);
    p->set_data_offset(at);
    p->set_data_length(static_cast<uint32_t>(part.second));
    at += part.second;
  }
  return req;
}

}  // namespace

TEST_CASE("produce appends every slice and waits for acks=all only", "[broker][handlers]") {
  fixture f;
  auto b1 = batch(3), b2 = batch(2);
  std::vector<std::byte> data = b1;
  data.insert(data.end(), b2.begin(), b2.end());
  auto out = broker::handle_produce(
      produce_request({{"a", {1, b1.size()}}, {"b", {0, b2.size()}}}, -1), data, *f.ctx);
  REQUIRE(out.response.topics_size() == 2);
  CHECK(out.response.topics(0).partitions(0).base_offset() == 0);
  CHECK(out.response.topics(1).partitions(0).error().code() == v1::NONE);
  CHECK(out.waits.size() == 2);
  CHECK(f.logs->partition("a", partition_id{1}).value()->log_end() == offset{3});
  CHECK(f.metrics.partition("a", 1).records_in == 3);

  auto again = batch(1);
  auto acks1 =
      broker::handle_produce(produce_request({{"a", {0, again.size()}}}, 1), again, *f.ctx);
  CHECK(acks1.waits.empty());
  auto bad_acks =
      broker::handle_produce(produce_request({{"a", {0, again.size()}}}, 2), again, *f.ctx);
  CHECK(bad_acks.response.topics(0).partitions(0).error().code() == v1::INVALID_REQUIRED_ACKS);
}

TEST_CASE("a slice that ends inside a batch is refused", "[broker][handlers]") {
  fixture f;
  auto b = batch(3);
  auto out = broker::handle_produce(produce_request({{"a", {0, b.size() - 5}}}, 1), b, *f.ctx);
  const auto& e = out.response.topics(0).partitions(0).error();
  CHECK(e.code() == v1::CORRUPT_MESSAGE);
  CHECK(f.logs->partition("a", partition_id{0}).value()->log_end() == offset{0});
}

TEST_CASE("fetch gives the first partition with data at least one batch, later ones what fits",
          "[broker][handlers]") {
  fixture f;
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 2 - p; ++i) {
      auto big = batch(1, 5000);
      REQUIRE(f.logs->partition("a", partition_id{p}).value()->append(big));
    }
  }
  v1::FetchRequest req;
  req.set_max_bytes(1000);  // smaller than either batch
  auto* t = req.add_topics();
  t->set_name("a");
  for (int p = 0; p < 2; ++p) {
    auto* fp = t->add_partitions();
    fp->set_partition(p);
    fp->set_fetch_offset(0);
  }
  auto out = broker::fetch_once(req, *f.ctx);
  CHECK(out.response.topics(0).partitions(0).data_length() > 5000);
  CHECK(out.response.topics(0).partitions(0).data_length() < 10000);
  CHECK(out.response.topics(0).partitions(0).high_watermark() == 2);
  CHECK(out.response.topics(0).partitions(0).next_offset() == 1);  // after the one batch sent
  CHECK(out.response.topics(0).partitions(1).data_length() == 0);
  CHECK(out.response.topics(0).partitions(1).high_watermark() == 1);
  CHECK(out.response.topics(0).partitions(1).next_offset() == 0);  // where it asked from
  CHECK(out.bytes == out.response.topics(0).partitions(0).data_length());
  CHECK_FALSE(out.has_error);
}

TEST_CASE("list offsets answers earliest, latest and by time", "[broker][handlers]") {
  fixture f;
  proto::batch_builder b;
  for (int i = 0; i < 5; ++i)
    b.append(1000 + i * 100, std::nullopt, test::as_bytes("x"));
  auto bytes = b.build().value();
  REQUIRE(f.logs->partition("b", partition_id{0}).value()->append(bytes));
  v1::ListOffsetsRequest req;
  auto* t = req.add_topics();
  t->set_name("b");
  for (auto [spec, ts] :
       {std::pair{v1::EARLIEST, int64_t{-1}}, std::pair{v1::LATEST, int64_t{-1}},
        std::pair{v1::TIMESTAMP, int64_t{1250}}, std::pair{v1::TIMESTAMP, int64_t{9999}}}) {
    auto* p = t->add_partitions();
    p->set_partition(0);
    p->set_spec(spec);
    p->set_timestamp(ts);
  }
  auto out = broker::handle_list_offsets(req, *f.ctx);
  const auto& ps = out.topics(0).partitions();
  CHECK(ps[0].offset() == 0);
  CHECK(ps[1].offset() == 5);
  CHECK(ps[2].offset() == 3);
  CHECK(ps[3].offset() == -1);
}
