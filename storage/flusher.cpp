#include "storage/flusher.h"

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

void flusher::when_durable(std::shared_ptr<partition_log> log, offset end, done_fn done) {
  if (log->durable_end() >= end) {
    done(success());
    return;
  }
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      auto& p = pending_[log.get()];
      p.log = std::move(log);
      p.waiters.push_back({end, std::move(done)});
      p.urgent = true;
      wake_.notify_one();
      return;
    }
  }
  done(log->flush());
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
    offset durable = p.log->durable_end();
    for (auto& w : p.waiters) {
      if (durable >= w.end) {
        w.done(success());
      } else if (!flushed) {
        w.done(flushed);
      } else {
        // Appended after this fsync started: the next round covers it.
        when_durable(p.log, w.end, std::move(w.done));
      }
    }
  }
}

}  // namespace sluice::storage
