// Group commit: threads that fsync partitions with appends waiting on them. Every append that
// arrives while a partition's fsync runs is covered by its next one, so many appends share one
// fdatasync. Each partition is flushed by one thread at a time. Partitions that someone waits on
// (acks=all, or readers under flush policy `always`) are flushed in parallel, as many at once as
// there are threads, so that a device that completes concurrent flushes together (ext4 can
// commit them in one journal transaction) is kept busy. Background flushes (the interval's, a
// rolled segment's seal) run one at a time: their writeback is CPU work that would take cores from
// the appends, and nobody waits on them. Under flush policy `interval` it also flushes every dirty
// partition once per interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "proto/result.h"
#include "proto/types.h"
#include "storage/flush_policy.h"
#include "storage/partition_log.h"

namespace sluice::storage {

class flusher {
 public:
  using done_fn = std::function<void(const result<void>&)>;

  using observer_fn = std::function<void(std::chrono::nanoseconds)>;

  // `on_flush`, if set, is told how long each partition flush took (for metrics); it is called
  // from all `threads` (at least 1) flushing threads.
  flusher(flush_policy policy, std::chrono::milliseconds interval, observer_fn on_flush = {},
          int threads = 1);
  ~flusher();
  flusher(const flusher&) = delete;
  flusher& operator=(const flusher&) = delete;

  // Calls `done` once the append `appended` of `log` is durable, or with the error that stops it
  // from ever being: its fsync failed, it was cut off (its offsets may be reused by later
  // appends, which the append's epoch tells apart), or the log closed or failed. `done` runs on
  // a flusher thread, or inline when the answer is known at once, and must not block.
  void when_durable(std::shared_ptr<partition_log> log, const append_info& appended, done_fn done);

  // Marks `log` as having unsynced appends. Under `always` it is flushed at once; under
  // `interval` at the next tick; under `os` only when someone waits on it. `urgent` flushes it
  // at once under every policy (a rolled segment waits to be sealed).
  void schedule(std::shared_ptr<partition_log> log, bool urgent = false);

  // Flushes what is pending, completes every waiter, and stops the threads.
  void stop();

 private:
  struct waiter {
    offset end;
    uint64_t epoch;
    done_fn done;
  };
  // The answer for `w` now, or nullopt to keep waiting. `flushed` is the last flush's result.
  static std::optional<result<void>> verdict(const partition_log& log, const waiter& w,
                                             const result<void>* flushed);
  void enqueue(std::shared_ptr<partition_log> log, waiter w);
  struct pending {
    std::shared_ptr<partition_log> log;
    std::vector<waiter> waiters;
    bool urgent = false;  // due: someone waits, the policy is `always`, or the interval ran out
  };
  // Whether someone waits on `p`'s flush: a when_durable() caller, or readers under `always`.
  [[nodiscard]] bool waited(const pending& p) const {
    return !p.waiters.empty() || policy_ == flush_policy::always;
  }

  void run();
  // The next entry due for a flush whose log no thread is flushing, or end. Scans on from the
  // last log taken, so that a partition with appends always waiting cannot starve the others.
  // REQUIRES: mutex_.
  std::map<partition_log*, pending>::iterator next_due();
  // Flushes the log once and completes the waiters it satisfies or fails.
  void flush_one(pending& p);

  const flush_policy policy_;
  const std::chrono::milliseconds interval_;
  const observer_fn on_flush_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<partition_log*, pending> pending_;
  std::set<partition_log*> flushing_;  // logs a thread is flushing now
  bool background_flushing_ = false;   // a thread is flushing a log nobody waits on
  partition_log* last_taken_ = nullptr;
  std::chrono::steady_clock::time_point next_tick_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace sluice::storage
