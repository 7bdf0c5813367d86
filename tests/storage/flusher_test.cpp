#include "storage/flusher.h"

#include <catch2/catch.hpp>
#include <condition_variable>

#include "storage/fault_injection.h"
#include "storage/partition_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

TEST_CASE("group commit: appends waiting together share fsyncs", "[storage][flusher]") {
  test::temp_dir dir;
  storage::fault_injecting_filesystem fs;
  storage::flusher flusher(storage::flush_policy::always, std::chrono::milliseconds(1000));
  storage::partition_options o;
  o.policy = storage::flush_policy::always;
  o.flusher = &flusher;
  auto log = storage::partition_log::open(fs, dir / "t-0", "t", partition_id{0}, o, true).value();
  uint64_t syncs_before = fs.sync_count();

  std::mutex m;
  std::condition_variable cv;
  int done = 0;
  constexpr int appends = 300;
  for (int i = 0; i < appends; ++i) {
    auto batch = test::make_batch({"v" + std::to_string(i)});
    auto info = log->append(batch).value();
    flusher.when_durable(log, info, [&](const result<void>& r) {
      REQUIRE(r);
      std::lock_guard lock(m);
      ++done;
      cv.notify_all();
    });
  }
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == appends; }));
  }
  uint64_t syncs = fs.sync_count() - syncs_before;
  INFO(syncs << " fsyncs for " << appends << " appends");
  CHECK(syncs < appends);
  CHECK(log->durable_end() == offset{appends});
  CHECK(log->high_watermark() == offset{appends});
}

TEST_CASE("an already durable offset completes at once", "[storage][flusher]") {
  test::temp_dir dir;
  storage::flusher flusher(storage::flush_policy::os, std::chrono::milliseconds(1000));
  storage::partition_options o;
  o.policy = storage::flush_policy::os;
  o.flusher = &flusher;
  auto log = storage::partition_log::open(storage::posix_filesystem(), dir / "t-0", "t",
                                          partition_id{0}, o, true)
                 .value();
  bool called = false;
  flusher.when_durable(log, storage::append_info{offset{0}, offset{-1}},
                       [&](const result<void>& r) { called = r.has_value(); });
  CHECK(called);
}

TEST_CASE("flush policy interval syncs dirty partitions on its own", "[storage][flusher]") {
  test::temp_dir dir;
  storage::flusher flusher(storage::flush_policy::interval, std::chrono::milliseconds(20));
  storage::partition_options o;
  o.policy = storage::flush_policy::interval;
  o.flusher = &flusher;
  auto log = storage::partition_log::open(storage::posix_filesystem(), dir / "t-0", "t",
                                          partition_id{0}, o, true)
                 .value();
  auto batch = test::make_batch({"a", "b"});
  REQUIRE(log->append(batch));
  CHECK(log->high_watermark() == offset{2});  // visible before it is durable
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log->durable_end() < offset{2} && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(log->durable_end() == offset{2});
}
