#include "storage/partition_log.h"

#include <catch2/catch.hpp>

#include "proto/byte_order.h"
#include "storage/errc.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;
using storage::partition_log;

namespace {

struct fixture {
  test::temp_dir dir;
  int64_t now = 1'000'000;
  storage::partition_options options;

  fixture() {
    options.clock = [this] { return now; };
  }

  std::shared_ptr<partition_log> open(bool clean = true) {
    auto log = partition_log::open(storage::posix_filesystem(), dir / "t-0", "t", partition_id{0},
                                   options, clean);
    REQUIRE(log);
    return log.value();
  }
};

result<storage::append_info> attempt(partition_log& log, std::vector<std::byte> batch) {
  return log.append(batch);
}

storage::append_info append(partition_log& log, std::vector<std::byte> batch) {
  auto r = log.append(batch);
  REQUIRE(r);
  return r.value();
}

}  // namespace

TEST_CASE("appends get consecutive offsets and only the base offset changes",
          "[storage][partition]") {
  fixture f;
  auto log = f.open();
  auto first = append(*log, test::make_batch({"a", "b", "c"}));
  CHECK(first.base == offset{0});
  CHECK(first.last == offset{2});

  auto batch = test::make_batch({"d", "e"});
  auto original = batch;
  auto second = log->append(batch).value();
  CHECK(second.base == offset{3});
  CHECK(log->log_end() == offset{5});
  CHECK(log->high_watermark() == offset{5});

  // Patched in place: baseOffset and partitionLeaderEpoch, nothing else.
  namespace L = proto::batch_layout;
  CHECK(proto::load_be<int64_t>(batch.data()) == 3);
  CHECK(std::equal(batch.begin() + L::magic, batch.end(), original.begin() + L::magic));

  auto records = test::read_all(*log);
  REQUIRE(records.size() == 5);
  for (int i = 0; i < 5; ++i)
    CHECK(records[i].offset == i);
  CHECK(records[3].value == "d");
}

TEST_CASE("reading from inside a batch returns the whole batch", "[storage][partition]") {
  fixture f;
  auto log = f.open();
  append(*log, test::make_batch({"a", "b", "c"}));
  append(*log, test::make_batch({"d", "e", "f"}));
  auto r = log->read(offset{4}, 1 << 20).value();
  auto records = test::decode_records(test::read_ranges(r));
  REQUIRE(records.size() == 3);
  CHECK(records.front().offset == 3);
}

TEST_CASE("reads outside [log start, high watermark] are out of range", "[storage][partition]") {
  fixture f;
  auto log = f.open();
  append(*log, test::make_batch({"a", "b"}));
  auto past = log->read(offset{3}, 100);
  REQUIRE_FALSE(past);
  CHECK(past.error().code == storage::errc::offset_out_of_range);
  CHECK(past.error().message.find("offset 3 is outside [0, 2]") != std::string::npos);
  auto at_end = log->read(offset{2}, 100);
  REQUIRE(at_end);
  CHECK(at_end.value().ranges.empty());
  CHECK_FALSE(log->read(offset{-1}, 100));
}

TEST_CASE("bad batches are refused with the reason", "[storage][partition]") {
  fixture f;
  f.options.config.max_message_bytes = 200;
  auto log = f.open();
  auto big = attempt(*log, test::make_batch({std::string(500, 'x')}));
  REQUIRE_FALSE(big);
  CHECK(big.error().code == storage::errc::batch_too_large);
  CHECK(big.error().message.find("max.message.bytes=200") != std::string::npos);

  auto corrupt = test::make_batch({"a"});
  corrupt.back() ^= std::byte{1};
  auto r = log->append(corrupt);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == storage::errc::corrupt_batch);
  CHECK(r.error().message.find("CRC") != std::string::npos);
  CHECK(log->log_end() == offset{0});
}

TEST_CASE("segments roll by size and reads cross them", "[storage][partition]") {
  fixture f;
  f.options.config.segment_bytes = 1024;
  auto log = f.open();
  for (int i = 0; i < 40; ++i)
    append(*log, test::make_batch({std::string(100, 'a' + i % 26)}));
  CHECK(log->segment_count() > 5);
  auto records = test::read_all(*log);
  REQUIRE(records.size() == 40);
  for (int i = 0; i < 40; ++i)
    CHECK(records[i].offset == i);
  // Each segment read alone, starting at any offset.
  for (int i = 0; i < 40; ++i)
    CHECK(test::read_all(*log, i).front().offset == i);
}

TEST_CASE("segments roll by age", "[storage][partition]") {
  fixture f;
  f.options.config.segment_ms = 1000;
  auto log = f.open();
  append(*log, test::make_batch({"a"}));
  f.now += 999;
  append(*log, test::make_batch({"b"}));
  CHECK(log->segment_count() == 1);
  f.now += 1;
  append(*log, test::make_batch({"c"}));
  CHECK(log->segment_count() == 2);
}

TEST_CASE("log append time stamps batches with the broker clock", "[storage][partition]") {
  fixture f;
  f.options.config.timestamp_type = proto::timestamp_type::log_append_time;
  auto log = f.open();
  auto info = append(*log, test::make_batch({"a", "b"}, 5));
  CHECK(info.log_append_time == f.now);
  for (const auto& r : test::read_all(*log))
    CHECK(r.timestamp == f.now);
}

TEST_CASE("first offset at or after a time, across segments", "[storage][partition]") {
  fixture f;
  f.options.config.segment_bytes = 2048;
  f.options.config.index_interval_bytes = 256;
  auto log = f.open();
  // Timestamps grow by 10 per batch, with one late batch.
  for (int i = 0; i < 50; ++i) {
    int64_t ts = i == 30 ? 100 : 1000 + i * 10;
    append(*log, test::make_batch({std::string(80, 'x'), std::string(80, 'y')}, ts));
  }
  REQUIRE(log->segment_count() > 2);
  auto records = test::read_all(*log);
  for (int64_t t : {0, 100, 101, 1000, 1001, 1150, 1290, 1490, 1491, 5000}) {
    std::optional<int64_t> expected;
    for (const auto& r : records) {
      if (r.timestamp >= t) {
        expected = r.offset;
        break;
      }
    }
    auto found = log->offset_for_timestamp(t).value();
    INFO("t=" << t);
    REQUIRE(found.has_value() == expected.has_value());
    if (expected) CHECK(found->value == *expected);
  }
}

TEST_CASE("time retention deletes whole expired segments", "[storage][partition]") {
  fixture f;
  f.options.config.segment_bytes = 1024;
  f.options.config.retention_ms = 10'000;
  auto log = f.open();
  for (int i = 0; i < 30; ++i)
    append(*log, test::make_batch({std::string(200, 'x')}, i * 1000));
  size_t before = log->segment_count();
  // Records up to ts 19000 are older than now - retention when now = 29001 + 1.
  auto deleted = log->enforce_retention(30'001);
  REQUIRE(deleted);
  CHECK(deleted.value() > 0);
  CHECK(log->segment_count() == before - deleted.value());
  CHECK(log->log_start() > offset{0});
  auto first = test::read_all(*log).front();
  CHECK(first.offset == log->log_start().value);
  CHECK(first.timestamp >= 15'000);  // segments are whole: a few older records may remain
  // Reading below the new log start is out of range.
  CHECK(log->read(offset{0}, 100).error().code == storage::errc::offset_out_of_range);
}

TEST_CASE("time retention rolls an expired active segment and keeps the log end",
          "[storage][partition]") {
  fixture f;
  f.options.config.retention_ms = 1000;
  auto log = f.open();
  append(*log, test::make_batch({"a", "b"}, 100));
  REQUIRE(log->enforce_retention(5000).value() == 1);
  CHECK(log->log_start() == offset{2});
  CHECK(log->log_end() == offset{2});
  CHECK(append(*log, test::make_batch({"c"})).base == offset{2});
}

TEST_CASE("size retention keeps at least retention.bytes", "[storage][partition]") {
  fixture f;
  f.options.config.segment_bytes = 1024;
  f.options.config.retention_bytes = 3000;
  auto log = f.open();
  for (int i = 0; i < 30; ++i)
    append(*log, test::make_batch({std::string(200, 'x')}));
  REQUIRE(log->enforce_retention(f.now).value() > 0);
  CHECK(log->size_bytes() >= 3000);
  CHECK(log->size_bytes() < 3000 + 1024);
}

TEST_CASE("under flush policy always readers see only synced offsets", "[storage][partition]") {
  fixture f;
  f.options.policy = storage::flush_policy::always;
  auto log = f.open();
  append(*log, test::make_batch({"a", "b"}));
  CHECK(log->log_end() == offset{2});
  CHECK(log->high_watermark() == offset{0});
  CHECK(log->read(offset{0}, 100).value().ranges.empty());
  REQUIRE(log->flush());
  CHECK(log->high_watermark() == offset{2});
  CHECK(log->durable_end() == offset{2});
  CHECK(test::read_all(*log).size() == 2);
}

TEST_CASE("a reopened log continues where it ended", "[storage][partition]") {
  fixture f;
  f.options.config.segment_bytes = 1024;
  {
    auto log = f.open();
    for (int i = 0; i < 20; ++i)
      append(*log, test::make_batch({std::string(100, 'x')}));
    REQUIRE(log->close());
    CHECK_FALSE(attempt(*log, test::make_batch({"z"})));
  }
  auto log = f.open(true);
  CHECK(log->log_end() == offset{20});
  CHECK(append(*log, test::make_batch({"next"})).base == offset{20});
  CHECK(test::read_all(*log).size() == 21);
}
