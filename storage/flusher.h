// Group commit: a thread that fsyncs partitions with appends waiting on them. Every append that
// arrives while an fsync runs is covered by the next one, so many appends share one fdatasync.
// Under flush policy `interval` it also flushes every dirty partition once per interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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

  // `on_flush`, if set, is told how long each partition flush took (for metrics).
  flusher(flush_policy policy, std::chrono::milliseconds interval, observer_fn on_flush = {});
  ~flusher();
  flusher(const flusher&) = delete;
  flusher& operator=(const flusher&) = delete;

  // Calls `done` once the append `appended` of `log` is durable, or with the error that stops it
  // from ever being: its fsync failed, it was cut off (its offsets may be reused by later
  // appends, which the append's epoch tells apart), or the log closed or failed. `done` runs on
  // the flusher thread, or inline when the answer is known at once, and must not block.
  void when_durable(std::shared_ptr<partition_log> log, const append_info& appended, done_fn done);

  // Marks `log` as having unsynced appends. Under `always` it is flushed at once; under
  // `interval` at the next tick; under `os` only when someone waits on it. `urgent` flushes it
  // at once under every policy (a rolled segment waits to be sealed).
  void schedule(std::shared_ptr<partition_log> log, bool urgent = false);

  // Flushes what is pending, completes every waiter, and stops the thread.
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
    bool urgent = false;  // someone waits, or the policy is `always`
  };

  void run();
  // Flushes each log once and completes the waiters it satisfies or fails.
  void flush_all(std::map<partition_log*, pending>& batch);

  const flush_policy policy_;
  const std::chrono::milliseconds interval_;
  const observer_fn on_flush_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<partition_log*, pending> pending_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sluice::storage
