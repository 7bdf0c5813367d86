#include "storage/flusher.h"

#include "storage/errc.h"
#include "storage/partition_log.h"

namespace sluice::storage {

flusher::flusher(flush_policy policy, std::chrono::milliseconds interval, observer_fn on_flush)
    : policy_(policy),
      interval_(interval),
      on_flush_(std::move(on_flush)),
      thread_([this] { run(); }) {}

flusher::~flusher() {
  stop();
}

std::optional<result<void>> flusher::verdict(const partition_log& log, const waiter& w,
                                             const result<void>* flushed) {
  auto st = log.durability();
  if (st.epoch != w.epoch) {
    return make_error(errc::io_error, log.topic() + "-" + std::to_string(log.id().value) +
                                          ": the append was cut off after an fsync failed");
  }
  if (st.durable_end >= w.end) return result<void>(success());
  if (flushed != nullptr && !*flushed) return *flushed;
  if (st.failed) return result<void>(*st.failed);
  // Not durable yet, but appended: the next flush covers it.
  return std::nullopt;
}

void flusher::when_durable(std::shared_ptr<partition_log> log, const append_info& appended,
                           done_fn done) {
  waiter w{appended.last + 1, appended.epoch, std::move(done)};
  if (auto now = verdict(*log, w, nullptr)) {
    w.done(*now);
    return;
  }
  enqueue(std::move(log), std::move(w));
}

void flusher::enqueue(std::shared_ptr<partition_log> log, waiter w) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      auto& p = pending_[log.get()];
      p.log = std::move(log);
      p.waiters.push_back(std::move(w));
      p.urgent = true;
      wake_.notify_one();
      return;
    }
  }
  // Stopping: one last flush, and an answer either way.
  auto flushed = log->flush();
  auto answer = verdict(*log, w, &flushed);
  w.done(answer ? *answer
                : result<void>(make_error(errc::closed,
                                          "the broker stopped before the append "
                                          "was durable")));
}

void flusher::schedule(std::shared_ptr<partition_log> log, bool urgent) {
  if (policy_ == flush_policy::os && !urgent) return;
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  auto& p = pending_[log.get()];
  if (!p.log) p.log = std::move(log);
  if ((urgent || policy_ == flush_policy::always) && !p.urgent) {
    p.urgent = true;
    wake_.notify_one();
  }
}

void flusher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    wake_.notify_one();
  }
  thread_.join();
}

void flusher::run() {
  auto next_tick = std::chrono::steady_clock::now() + interval_;
  std::unique_lock lock(mutex_);
  while (true) {
    auto has_urgent = [&] {
      for (const auto& [_, p] : pending_) {
        if (p.urgent) return true;
      }
      return false;
    };
    if (policy_ == flush_policy::interval) {
      wake_.wait_until(lock, next_tick, [&] { return stopping_ || has_urgent(); });
    } else {
      wake_.wait(lock, [&] { return stopping_ || has_urgent(); });
    }
    bool tick = policy_ == flush_policy::interval && std::chrono::steady_clock::now() >= next_tick;
    if (tick) next_tick = std::chrono::steady_clock::now() + interval_;

    std::map<partition_log*, pending> batch;
    if (stopping_ || tick || policy_ == flush_policy::always) {
      batch.swap(pending_);
    } else {
      for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.urgent) {
          batch.insert(pending_.extract(it++));
        } else {
          ++it;
        }
      }
    }
    bool stop_now = stopping_;
    lock.unlock();
    flush_all(batch);
    lock.lock();
    if (stop_now && pending_.empty()) return;
  }
}

void flusher::flush_all(std::map<partition_log*, pending>& batch) {
  for (auto& [_, p] : batch) {
    const auto started = std::chrono::steady_clock::now();
    auto flushed = p.log->flush();
    if (on_flush_) on_flush_(std::chrono::steady_clock::now() - started);
    for (auto& w : p.waiters) {
      if (auto answer = verdict(*p.log, w, &flushed)) {
        w.done(*answer);
      } else {
        enqueue(p.log, std::move(w));  // appended after this flush started
      }
    }
  }
}

}  // namespace sluice::storage
