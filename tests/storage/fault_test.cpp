// Injected I/O faults: failed writes, a full disk, failed fsyncs, and power loss. An append that
// failed is never acknowledged, and every append acknowledged as durable survives power loss.
#include <catch2/catch.hpp>
#include <cerrno>
#include <random>
#include <set>

#include "storage/errc.h"
#include "storage/fault_injection.h"
#include "storage/flusher.h"
#include "storage/partition_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

struct fixture {
  test::temp_dir dir;
  storage::fault_injecting_filesystem fs;
  storage::partition_options options;

  fixture() { options.policy = storage::flush_policy::always; }

  std::shared_ptr<storage::partition_log> open(storage::filesystem& on, bool clean = true) {
    auto log = storage::partition_log::open(on, dir / "t-0", "t", partition_id{0}, options, clean);
    REQUIRE(log);
    return log.value();
  }
};

result<storage::append_info> append(storage::partition_log& log, std::vector<std::byte> batch) {
  return log.append(batch);
}

}  // namespace

TEST_CASE("a failed write is reported and leaves no trace", "[storage][fault]") {
  fixture f;
  f.options.policy = storage::flush_policy::os;
  auto log = f.open(f.fs);
  REQUIRE(append(*log, test::make_batch({"one"})));
  f.fs.fail_writes(EIO);
  auto failed = append(*log, test::make_batch({"lost"}));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == storage::errc::io_error);
  CHECK(failed.error().message.find("Input/output error") != std::string::npos);
  CHECK(log->log_end() == offset{1});
  f.fs.clear_faults();
  CHECK(append(*log, test::make_batch({"two"})).value().base == offset{1});
  auto records = test::read_all(*log);
  REQUIRE(records.size() == 2);
  CHECK(records[1].value == "two");
}

TEST_CASE("a full disk refuses appends until space returns", "[storage][fault]") {
  fixture f;
  f.options.policy = storage::flush_policy::os;
  auto log = f.open(f.fs);
  f.fs.limit_space(100);  // the batch below is bigger: a partial write
  auto full = append(*log, test::make_batch({std::string(500, 'x')}));
  REQUIRE_FALSE(full);
  CHECK(full.error().code == storage::errc::no_space);
  CHECK(full.error().message.find("t-0") != std::string::npos);
  CHECK(std::filesystem::file_size(f.dir / "t-0" / "00000000000000000000.log") == 0);
  f.fs.clear_faults();
  CHECK(append(*log, test::make_batch({"fits"})).value().base == offset{0});
  CHECK(test::read_all(*log).size() == 1);
}

TEST_CASE("a failed fsync discards what it did not make durable", "[storage][fault]") {
  fixture f;
  auto log = f.open(f.fs);
  REQUIRE(append(*log, test::make_batch({"durable"})));
  REQUIRE(log->flush());
  REQUIRE(append(*log, test::make_batch({"doomed-1", "doomed-2"})));
  f.fs.fail_syncs(EIO);
  auto flushed = log->flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().message.find("offsets 1 to 2 were discarded") != std::string::npos);
  CHECK(log->log_end() == offset{1});
  CHECK(log->high_watermark() == offset{1});
  // A later fsync that succeeds does not bring the discarded appends back.
  REQUIRE(append(*log, test::make_batch({"retried"})));
  REQUIRE(log->flush());
  auto records = test::read_all(*log);
  REQUIRE(records.size() == 2);
  CHECK(records[0].value == "durable");
  CHECK(records[1].value == "retried");
  CHECK(records[1].offset == 1);
}

TEST_CASE("a waiter whose fsync failed is failed once and never acknowledged", "[storage][fault]") {
  fixture f;
  storage::flusher flusher(storage::flush_policy::always, std::chrono::milliseconds(1000));
  f.options.flusher = &flusher;
  auto log = f.open(f.fs);
  f.fs.fail_syncs(EIO, 1);
  auto info = append(*log, test::make_batch({"x"})).value();
  std::mutex m;
  std::condition_variable cv;
  std::vector<bool> outcomes;
  flusher.when_durable(log, info, [&](const result<void>& r) {
    std::lock_guard lock(m);
    outcomes.push_back(r.has_value());
    cv.notify_all();
  });
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !outcomes.empty(); }));
  }
  f.fs.clear_faults();
  REQUIRE(append(*log, test::make_batch({"y"})));
  REQUIRE(log->flush());
  flusher.stop();
  REQUIRE(outcomes == std::vector<bool>{false});
  CHECK(test::read_all(*log).size() == 1);
}

TEST_CASE("power loss keeps every append acknowledged under always", "[storage][fault][crash]") {
  std::mt19937_64 rng(5);
  for (int round = 0; round < 25; ++round) {
    fixture f;
    f.options.config.segment_bytes = 8 * 1024;  // rolls often: new files need directory syncs
    std::mutex m;
    int64_t acked = 0;
    {
      storage::flusher flusher(storage::flush_policy::always, std::chrono::milliseconds(1000));
      f.options.flusher = &flusher;
      auto log = f.open(f.fs);
      int batches = 20 + static_cast<int>(rng() % 200);
      int cut = static_cast<int>(rng() % static_cast<uint64_t>(batches));
      for (int i = 0; i < batches; ++i) {
        if (i == cut) f.fs.power_loss(rng);
        int64_t base = log->log_end().value;
        std::vector<std::string> values;
        for (int r = 0; r < 1 + static_cast<int>(rng() % 8); ++r) {
          values.push_back("v" + std::to_string(base + r) + std::string(rng() % 500, '.'));
        }
        auto appended = append(*log, test::make_batch(values));
        if (!appended) continue;
        int64_t end = appended.value().last.value + 1;
        flusher.when_durable(log, appended.value(), [&, end](const result<void>& r) {
          if (!r) return;
          std::lock_guard lock(m);
          acked = std::max(acked, end);
        });
      }
      flusher.stop();
    }
    // The machine comes back: open the files as the disk kept them.
    f.options.flusher = nullptr;
    auto log = f.open(storage::posix_filesystem(), false);
    INFO("round " << round << ": acknowledged through " << acked);
    REQUIRE(log->log_end().value >= acked);
    auto records = test::read_all(*log);
    REQUIRE(static_cast<int64_t>(records.size()) == log->log_end().value);
    for (size_t i = 0; i < records.size(); ++i) {
      REQUIRE(records[i].value->starts_with("v" + std::to_string(i)));
    }
  }
}

TEST_CASE("after a failed fsync fails the log, no later flush acknowledges anything",
          "[storage][fault]") {
  fixture f;
  f.options.policy = storage::flush_policy::interval;  // readers see appends before fsync
  auto log = f.open(f.fs);
  REQUIRE(append(*log, test::make_batch({"a"})));
  REQUIRE(log->flush());
  REQUIRE(append(*log, test::make_batch({"seen-by-readers"})));
  f.fs.fail_syncs(EIO);
  auto failed = log->flush();
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == storage::errc::log_failed);
  // A second fsync would report success (Linux reports a writeback error once): it must not
  // be trusted.
  auto again = log->flush();
  REQUIRE_FALSE(again);
  CHECK(again.error().code == storage::errc::log_failed);
  CHECK(log->durable_end() == offset{1});
  CHECK_FALSE(append(*log, test::make_batch({"refused"})));
  // Reads go on.
  CHECK(test::read_all(*log).size() == 2);
}

TEST_CASE("a waiter for cut-off appends fails even when new appends reuse the offsets",
          "[storage][fault]") {
  fixture f;
  storage::flusher flusher(storage::flush_policy::os, std::chrono::milliseconds(1000));
  auto log = f.open(f.fs);  // no flusher attached: this test flushes by hand
  auto doomed = append(*log, test::make_batch({"doomed-0", "doomed-1"})).value();
  f.fs.fail_syncs(EIO);
  REQUIRE_FALSE(log->flush());
  auto replacement = append(*log, test::make_batch({"other-0", "other-1"})).value();
  CHECK(replacement.base == doomed.base);  // the offsets were reused
  REQUIRE(log->flush());
  std::optional<bool> doomed_ok, replacement_ok;
  flusher.when_durable(log, doomed, [&](const result<void>& r) { doomed_ok = r.has_value(); });
  flusher.when_durable(log, replacement,
                       [&](const result<void>& r) { replacement_ok = r.has_value(); });
  REQUIRE(doomed_ok.has_value());
  CHECK_FALSE(*doomed_ok);
  REQUIRE(replacement_ok.has_value());
  CHECK(*replacement_ok);
}

TEST_CASE("a waiter on a deleted partition is answered with an error", "[storage][fault]") {
  fixture f;
  f.options.policy = storage::flush_policy::os;
  storage::flusher flusher(storage::flush_policy::os, std::chrono::milliseconds(1000));
  auto log = f.open(f.fs);
  auto info = append(*log, test::make_batch({"x"})).value();
  REQUIRE(log->remove());
  std::mutex m;
  std::condition_variable cv;
  std::optional<bool> ok;
  flusher.when_durable(log, info, [&](const result<void>& r) {
    std::lock_guard lock(m);
    ok = r.has_value();
    cv.notify_all();
  });
  std::unique_lock lock(m);
  REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return ok.has_value(); }));
  CHECK_FALSE(*ok);
}

TEST_CASE("a full disk while sealing a rolled segment fails the flush, not the log",
          "[storage][fault]") {
  fixture f;
  f.options.config.segment_bytes = 200;  // the second batch rolls
  storage::flusher flusher(storage::flush_policy::always, std::chrono::milliseconds(1000));
  flusher.stop();  // sealing is left to the flusher, whose flushes this test makes itself
  f.options.flusher = &flusher;
  auto log = f.open(f.fs);
  REQUIRE(append(*log, test::make_batch({std::string(150, 'a')})));
  REQUIRE(log->flush());
  REQUIRE(append(*log, test::make_batch({std::string(150, 'b')})));
  REQUIRE(log->segment_count() == 2);

  f.fs.fail_writes(ENOSPC);  // the rolled segment's index files do not fit
  auto flushed = log->flush();
  REQUIRE_FALSE(flushed);
  CHECK(flushed.error().code == storage::errc::no_space);
  CHECK(flushed.error().message.find("t-0") != std::string::npos);
  CHECK_FALSE(log->durability().failed);
  CHECK(log->high_watermark() == offset{1});  // b is not durable, so not visible

  f.fs.clear_faults();  // space returns: the next flush seals the segment
  REQUIRE(log->flush());
  CHECK(log->high_watermark() == offset{2});
  REQUIRE(append(*log, test::make_batch({"c"})));
  REQUIRE(log->flush());
  auto records = test::read_all(*log);
  REQUIRE(records.size() == 3);
  CHECK(records[1].value == std::string(150, 'b'));
}
