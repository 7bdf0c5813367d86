// A child process appending under flush policy `always` is SIGKILLed at a random moment; the
// parent reopens the log and checks that every append acknowledged as durable is there, intact.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <random>

#include "storage/flusher.h"
#include "storage/partition_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

std::string value_for(int64_t offset, size_t size) {
  std::string v = "rec-" + std::to_string(offset) + "-";
  v.resize(size, static_cast<char>('a' + offset % 26));
  return v;
}

storage::partition_options options(storage::flusher* flusher) {
  storage::partition_options o;
  o.policy = storage::flush_policy::always;
  o.config.segment_bytes = 256 * 1024;
  o.flusher = flusher;
  return o;
}

// Child: appends forever; after each append is durable, writes its end offset to `ack_fd`.
[[noreturn]] void run_child(const std::filesystem::path& dir, int ack_fd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  storage::flusher flusher(storage::flush_policy::always, std::chrono::milliseconds(1000));
  auto log = storage::partition_log::open(storage::posix_filesystem(), dir, "t", partition_id{0},
                                          options(&flusher), false);
  if (!log) _exit(3);
  std::mutex m;
  std::condition_variable cv;
  int in_flight = 0;
  while (true) {
    int64_t base = log.value()->log_end().value;
    std::vector<std::string> values;
    int n = 1 + static_cast<int>(rng() % 50);
    size_t size = 10 + rng() % 4000;  // batches up to ~200 KiB, so writes can tear
    for (int i = 0; i < n; ++i)
      values.push_back(value_for(base + i, size));
    auto batch = test::make_batch(values);
    auto appended = log.value()->append(batch);
    if (!appended) _exit(4);
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return in_flight < 4; });
      ++in_flight;
    }
    int64_t end = appended.value().last.value + 1;
    flusher.when_durable(log.value(), appended.value(), [&, end](const result<void>& r) {
      if (!r) _exit(5);
      (void)!::write(ack_fd, &end, sizeof end);
      std::lock_guard lock(m);
      --in_flight;
      cv.notify_all();
    });
  }
}

}  // namespace

TEST_CASE("SIGKILL mid-append loses no durable append and serves no torn batch",
          "[storage][recovery][crash]") {
  test::temp_dir dir;
  const auto log_dir = dir / "t-0";
  std::mt19937_64 rng(77);
  int64_t acked = 0;
  for (int round = 0; round < 6; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      run_child(log_dir, fds[1], rng());
    }
    ::close(fds[1]);
    // Let it acknowledge a random number of appends, then kill it mid-stream.
    int target = 5 + static_cast<int>(rng() % 60);
    for (int i = 0; i < target; ++i) {
      int64_t end = 0;
      ssize_t n = ::read(fds[0], &end, sizeof end);
      REQUIRE(n == sizeof end);
      acked = std::max(acked, end);
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    // Acknowledgements already in the pipe count too.
    int64_t end = 0;
    while (::read(fds[0], &end, sizeof end) == sizeof end)
      acked = std::max(acked, end);
    ::close(fds[0]);
    REQUIRE(WIFSIGNALED(status));

    auto log = storage::partition_log::open(storage::posix_filesystem(), log_dir, "t",
                                            partition_id{0}, options(nullptr), false)
                   .value();
    INFO("round " << round << ": acknowledged through " << acked << ", log end "
                  << log->log_end().value);
    REQUIRE(log->log_end().value >= acked);
    auto records = test::read_all(*log);
    REQUIRE(static_cast<int64_t>(records.size()) == log->log_end().value);
    for (size_t i = 0; i < records.size(); ++i) {
      REQUIRE(records[i].offset == static_cast<int64_t>(i));
      REQUIRE(records[i].value->starts_with("rec-" + std::to_string(i) + "-"));
    }
    REQUIRE(log->close());
  }
}
