#include "storage/producer_state.h"

#include <catch2/catch.hpp>
#include <cerrno>

#include "storage/errc.h"
#include "storage/fault_injection.h"
#include "storage/partition_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

std::vector<std::byte> idempotent_batch(int64_t pid, int16_t epoch, int32_t seq, int records) {
  proto::batch_builder b({.producer_id = pid, .producer_epoch = epoch, .base_sequence = seq});
  for (int i = 0; i < records; ++i) {
    b.append(1000, std::nullopt,
             test::as_bytes("p" + std::to_string(pid) + "-" + std::to_string(seq + i)));
  }
  return b.build().value();
}

struct fixture {
  test::temp_dir dir;
  storage::fault_injecting_filesystem fs;
  storage::partition_options options;

  std::shared_ptr<storage::partition_log> open(bool clean = true) {
    return storage::partition_log::open(fs, dir / "t-0", "t", partition_id{0}, options, clean)
        .value();
  }
};

result<storage::append_info> send(storage::partition_log& log, int64_t pid, int16_t epoch,
                                  int32_t seq, int records) {
  auto batch = idempotent_batch(pid, epoch, seq, records);
  return log.append(batch);
}

}  // namespace

TEST_CASE("a retried batch gets its original offsets and is not written twice",
          "[storage][idempotence]") {
  fixture f;
  auto log = f.open();
  auto first = send(*log, 7, 0, 0, 3).value();
  auto second = send(*log, 7, 0, 3, 2).value();
  CHECK(second.base == offset{3});
  auto retry = send(*log, 7, 0, 0, 3).value();
  CHECK(retry.duplicate);
  CHECK(retry.base == first.base);
  CHECK(retry.last == first.last);
  CHECK(log->log_end() == offset{5});
  CHECK(test::read_all(*log).size() == 5);
}

TEST_CASE("a sequence gap is refused with the expected sequence", "[storage][idempotence]") {
  fixture f;
  auto log = f.open();
  REQUIRE(send(*log, 7, 0, 0, 3));
  auto gap = send(*log, 7, 0, 5, 1);
  REQUIRE_FALSE(gap);
  CHECK(gap.error().code == storage::errc::out_of_order_sequence);
  CHECK(gap.error().message.find("sent sequence 5, expected 3") != std::string::npos);
  CHECK(log->log_end() == offset{3});
}

TEST_CASE("an older producer epoch is fenced, a new epoch starts at zero",
          "[storage][idempotence]") {
  fixture f;
  auto log = f.open();
  REQUIRE(send(*log, 9, 2, 0, 1));
  auto stale = send(*log, 9, 1, 1, 1);
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == storage::errc::invalid_producer_epoch);
  auto bad_start = send(*log, 9, 3, 4, 1);
  CHECK(bad_start.error().code == storage::errc::out_of_order_sequence);
  CHECK(send(*log, 9, 3, 0, 1));
}

TEST_CASE("sequences wrap past INT32_MAX to zero", "[storage][idempotence]") {
  CHECK(storage::last_sequence(INT32_MAX - 1, 3) == 0);
  fixture f;
  auto log = f.open();
  REQUIRE(send(*log, 4, 0, INT32_MAX - 1, 2));
  CHECK(send(*log, 4, 0, 0, 1));
}

TEST_CASE("producer state survives a clean restart and a crash", "[storage][idempotence]") {
  for (bool clean : {true, false}) {
    fixture f;
    f.options.config.segment_bytes = 1024;
    storage::append_info original;
    {
      auto log = f.open();
      for (int i = 0; i < 40; ++i) {
        auto info = send(*log, 11, 0, i * 2, 2).value();
        if (i == 38) original = info;
      }
      if (clean) REQUIRE(log->close());
    }
    auto log = f.open(clean);
    INFO("clean " << clean);
    auto retry = send(*log, 11, 0, 76, 2).value();
    CHECK(retry.duplicate);
    CHECK(retry.base == original.base);
    CHECK(send(*log, 11, 0, 80, 1).value().base == offset{80});
  }
}

TEST_CASE("appends cut off after a failed fsync are forgotten by the producer state",
          "[storage][idempotence][fault]") {
  fixture f;
  f.options.policy = storage::flush_policy::always;
  auto log = f.open();
  REQUIRE(send(*log, 5, 0, 0, 1));
  REQUIRE(log->flush());
  REQUIRE(send(*log, 5, 0, 1, 1));
  f.fs.fail_syncs(EIO);
  REQUIRE_FALSE(log->flush());
  // The retry of the discarded batch is written again, not answered as a duplicate.
  auto retry = send(*log, 5, 0, 1, 1).value();
  CHECK_FALSE(retry.duplicate);
  CHECK(retry.base == offset{1});
}

TEST_CASE("a corrupt producer snapshot is refused", "[storage][idempotence]") {
  storage::producer_state state;
  proto::batch_header h;
  h.producer_id = 3;
  h.base_sequence = 0;
  h.record_count = 2;
  h.last_offset_delta = 1;
  state.record(h, 100);
  auto bytes = state.serialize();
  REQUIRE(storage::producer_state::parse(bytes));
  bytes.back() ^= std::byte{1};
  auto bad = storage::producer_state::parse(bytes);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("CRC") != std::string::npos);
  bytes.pop_back();
  CHECK_FALSE(storage::producer_state::parse(bytes));
}
