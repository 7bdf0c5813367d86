#include "storage/flusher.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <thread>

#include "storage/fault_injection.h"
#include "storage/partition_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

// The real filesystem, except that fsyncs of files under `held_dir` block until release().
class holding_filesystem final : public storage::filesystem {
 public:
  explicit holding_filesystem(storage::fs::path held_dir) : held_dir_(std::move(held_dir)) {}

  // Waits until an fsync is blocked; false if none is within 30 s.
  bool wait_until_holding() {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return holding_ > 0; });
  }
  void release() {
    std::lock_guard lock(m_);
    released_ = true;
    cv_.notify_all();
  }

  result<std::shared_ptr<storage::file>> open(const storage::fs::path& path, bool create) override {
    SLUICE_TRY(f, inner_.open(path, create));
    if (path.parent_path() != held_dir_) return f;
    return std::shared_ptr<storage::file>(std::make_shared<held_file>(*this, std::move(f)));
  }
  result<bool> exists(const storage::fs::path& p) override { return inner_.exists(p); }
  result<void> remove(const storage::fs::path& p) override { return inner_.remove(p); }
  result<void> remove_all(const storage::fs::path& p) override { return inner_.remove_all(p); }
  result<void> rename(const storage::fs::path& from, const storage::fs::path& to) override {
    return inner_.rename(from, to);
  }
  result<void> create_directories(const storage::fs::path& p) override {
    return inner_.create_directories(p);
  }
  result<std::vector<std::string>> list(const storage::fs::path& dir) override {
    return inner_.list(dir);
  }
  result<void> sync_directory(const storage::fs::path& dir) override {
    return inner_.sync_directory(dir);
  }

 private:
  class held_file final : public storage::file {
   public:
    held_file(holding_filesystem& fs, std::shared_ptr<storage::file> inner)
        : fs_(fs), inner_(std::move(inner)) {}
    result<size_t> read_at(std::span<std::byte> dst, uint64_t pos) override {
      return inner_->read_at(dst, pos);
    }
    result<void> write_at(std::span<const std::byte> src, uint64_t pos) override {
      return inner_->write_at(src, pos);
    }
    result<void> sync() override {
      {
        std::unique_lock lock(fs_.m_);
        ++fs_.holding_;
        fs_.cv_.notify_all();
        fs_.cv_.wait(lock, [&] { return fs_.released_; });
        --fs_.holding_;
      }
      return inner_->sync();
    }
    result<void> truncate(uint64_t size) override { return inner_->truncate(size); }
    result<void> preallocate(uint64_t pos, uint64_t length) override {
      return inner_->preallocate(pos, length);
    }
    result<uint64_t> size() override { return inner_->size(); }
    int native_handle() const override { return inner_->native_handle(); }
    const storage::fs::path& path() const override { return inner_->path(); }

   private:
    holding_filesystem& fs_;
    std::shared_ptr<storage::file> inner_;
  };

  storage::filesystem& inner_ = storage::posix_filesystem();
  const storage::fs::path held_dir_;
  std::mutex m_;
  std::condition_variable cv_;
  int holding_ = 0;
  bool released_ = false;
};

// Counts the calls of a durability callback, and waits for them. The callbacks run on flusher
// threads, so they only count; the test's thread checks `failed`.
struct completions {
  std::mutex m;
  std::condition_variable cv;
  int ok = 0;
  int failed = 0;
  storage::flusher::done_fn callback() {
    return [this](const result<void>& r) {
      std::lock_guard lock(m);
      ++(r ? ok : failed);
      cv.notify_all();
    };
  }
  bool wait_for(int n, std::chrono::seconds limit) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, limit, [&] { return ok + failed >= n; });
  }
  int done() {
    std::lock_guard lock(m);
    return ok + failed;
  }
};

// Releases the held fsyncs when the test leaves its scope, also by a failed REQUIRE, so that the
// flusher (declared before it, destroyed after it) can stop.
struct release_on_exit {
  holding_filesystem& fs;
  ~release_on_exit() { fs.release(); }
};

// Partition `p` of topic "t" in `dir`, flushed by `f` under `policy`.
std::shared_ptr<storage::partition_log> open_log(storage::filesystem& fs, const test::temp_dir& dir,
                                                 int32_t p, storage::flusher& f,
                                                 storage::flush_policy policy) {
  storage::partition_options o;
  o.policy = policy;
  o.flusher = &f;
  return storage::partition_log::open(fs, dir / ("t-" + std::to_string(p)), "t", partition_id{p}, o,
                                      true)
      .value();
}

// Waits up to 10 s for a background flush, which has no waiter to tell, to make `end` durable.
void wait_until_durable(const storage::partition_log& log, offset end) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.durable_end() < end && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

TEST_CASE("group commit: appends waiting together share fsyncs", "[storage][flusher]") {
  const int threads = GENERATE(1, 4);
  INFO(threads << " flushing threads");
  test::temp_dir dir;
  storage::fault_injecting_filesystem fs;
  storage::flusher flusher(storage::flush_policy::always, std::chrono::milliseconds(1000), {},
                           threads);
  storage::partition_options o;
  o.policy = storage::flush_policy::always;
  o.flusher = &flusher;
  auto log = storage::partition_log::open(fs, dir / "t-0", "t", partition_id{0}, o, true).value();
  uint64_t syncs_before = fs.sync_count();

  completions done;
  constexpr int appends = 300;
  for (int i = 0; i < appends; ++i) {
    auto batch = test::make_batch({"v" + std::to_string(i)});
    flusher.when_durable(log, log->append(batch).value(), done.callback());
  }
  REQUIRE(done.wait_for(appends, std::chrono::seconds(30)));
  CHECK(done.ok == appends);
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
  wait_until_durable(*log, offset{2});
  CHECK(log->durable_end() == offset{2});
}

TEST_CASE("a partition whose fsync is slow does not hold back another's", "[storage][flusher]") {
  test::temp_dir dir;
  holding_filesystem fs(dir / "t-0");
  const auto policy = storage::flush_policy::always;
  storage::flusher flusher(policy, std::chrono::milliseconds(1000), {}, 2);
  release_on_exit guard{fs};
  auto slow = open_log(fs, dir, 0, flusher, policy);
  auto fast = open_log(fs, dir, 1, flusher, policy);

  completions slow_done;
  auto batch = test::make_batch({"a"});
  flusher.when_durable(slow, slow->append(batch).value(), slow_done.callback());
  REQUIRE(fs.wait_until_holding());
  // A second waiter on the held partition: its flush must wait for the held one, not start
  // beside it.
  flusher.when_durable(slow, slow->append(batch).value(), slow_done.callback());

  completions fast_done;
  flusher.when_durable(fast, fast->append(batch).value(), fast_done.callback());
  CHECK(fast_done.wait_for(1, std::chrono::seconds(10)));
  CHECK(fast_done.ok == 1);
  CHECK(fast->durable_end() == offset{1});
  CHECK(slow->durable_end() == offset{0});
  CHECK(slow_done.done() == 0);

  fs.release();
  CHECK(slow_done.wait_for(2, std::chrono::seconds(30)));
  CHECK(slow_done.ok == 2);
  CHECK(slow->durable_end() == offset{2});
}

TEST_CASE("stop waits for a slow flush and completes every partition's waiters",
          "[storage][flusher]") {
  test::temp_dir dir;
  holding_filesystem fs(dir / "t-0");
  const auto policy = storage::flush_policy::os;
  storage::flusher flusher(policy, std::chrono::milliseconds(1000), {}, 3);
  release_on_exit guard{fs};
  constexpr int partitions = 8;
  constexpr int appends = 20;
  std::vector<std::shared_ptr<storage::partition_log>> logs;
  for (int p = 0; p < partitions; ++p)
    logs.push_back(open_log(fs, dir, p, flusher, policy));
  completions done;
  auto batch = test::make_batch({"v"});
  flusher.when_durable(logs[0], logs[0]->append(batch).value(), done.callback());
  REQUIRE(fs.wait_until_holding());
  for (int i = 0; i < appends; ++i) {
    for (int p = i == 0 ? 1 : 0; p < partitions; ++p) {
      auto& log = logs[static_cast<size_t>(p)];
      flusher.when_durable(log, log->append(batch).value(), done.callback());
    }
  }

  std::atomic<bool> stopped{false};
  std::thread stopping([&] {
    flusher.stop();
    stopped = true;
  });
  // All but the held partition's waiters complete while its fsync is held, and stop() waits.
  CHECK(done.wait_for((partitions - 1) * appends, std::chrono::seconds(30)));
  CHECK(done.done() == (partitions - 1) * appends);
  CHECK_FALSE(stopped);
  fs.release();
  stopping.join();
  CHECK(done.ok == partitions * appends);
  for (auto& log : logs)
    CHECK(log->durable_end() == offset{appends});
}

TEST_CASE("background flushes run one at a time, and a waited-on flush does not wait for them",
          "[storage][flusher]") {
  test::temp_dir dir;
  holding_filesystem fs(dir / "t-0");
  constexpr auto interval = std::chrono::milliseconds(20);
  const auto policy = storage::flush_policy::interval;
  storage::flusher flusher(policy, interval, {}, 4);
  release_on_exit guard{fs};
  auto held = open_log(fs, dir, 0, flusher, policy);
  auto other = open_log(fs, dir, 1, flusher, policy);
  auto batch = test::make_batch({"a"});
  REQUIRE(held->append(batch));
  REQUIRE(fs.wait_until_holding());  // the interval's flush of t-0, held

  REQUIRE(other->append(batch));
  // Several intervals pass; t-1's background flush must wait for t-0's to end.
  std::this_thread::sleep_for(interval * 10);
  CHECK(other->durable_end() == offset{0});

  // Someone waiting on t-1 gets a flush of its own at once.
  completions done;
  flusher.when_durable(other, other->append(batch).value(), done.callback());
  CHECK(done.wait_for(1, std::chrono::seconds(10)));
  CHECK(done.ok == 1);
  CHECK(other->durable_end() == offset{2});
  CHECK(held->durable_end() == offset{0});

  fs.release();
  wait_until_durable(*held, offset{1});
  CHECK(held->durable_end() == offset{1});
}

TEST_CASE("a partition always waited on does not starve another", "[storage][flusher]") {
  // One thread, so that the busy partition and the other compete for it. Both orders, since the
  // flusher keeps its partitions in address order.
  const bool busy_first = GENERATE(true, false);
  test::temp_dir dir;
  const auto policy = storage::flush_policy::always;
  storage::flusher flusher(policy, std::chrono::milliseconds(1000), {}, 1);
  auto a = open_log(storage::posix_filesystem(), dir, 0, flusher, policy);
  auto b = open_log(storage::posix_filesystem(), dir, 1, flusher, policy);
  auto busy = busy_first ? a : b;
  auto other = busy_first ? b : a;

  completions busy_done;
  std::atomic<bool> quit{false};
  int appended = 0;
  std::thread appender([&] {
    auto batch = test::make_batch({"x"});
    // Appends with a waiter on each, so that the busy partition has a flush due at all times,
    // until the other partition's flush is done (or long after the check below gave up).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (; !quit && std::chrono::steady_clock::now() < until; ++appended) {
      flusher.when_durable(busy, busy->append(batch).value(), busy_done.callback());
    }
  });
  REQUIRE(busy_done.wait_for(1, std::chrono::seconds(10)));  // the busy partition's flushes run

  completions other_done;
  auto batch = test::make_batch({"y"});
  flusher.when_durable(other, other->append(batch).value(), other_done.callback());
  CHECK(other_done.wait_for(1, std::chrono::seconds(10)));
  quit = true;
  appender.join();
  CHECK(other_done.ok == 1);
  CHECK(busy_done.wait_for(appended, std::chrono::seconds(30)));
  CHECK(busy_done.failed == 0);
}
