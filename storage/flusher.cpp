#include "storage/flusher.h"

#include <algorithm>

#include "storage/errc.h"
#include "storage/partition_log.h"

namespace sluice::storage {

flusher::flusher(flush_policy policy, std::chrono::milliseconds interval, observer_fn on_flush,
                 int threads)
    : policy_(policy),
      interval_(interval),
      on_flush_(std::move(on_flush)),
      next_tick_(std::chrono::steady_clock::now() + interval) {
  for (int i = 0; i < std::max(threads, 1); ++i)
    threads_.emplace_back([this] { run(); });
}

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
    wake_.notify_all();
  }
  for (auto& t : threads_)
    t.join();
}

std::map<partition_log*, flusher::pending>::iterator flusher::next_due() {
  auto takeable = [&](const auto& entry) {
    const auto& [log, p] = entry;
    if (!(p.urgent || stopping_) || flushing_.contains(log)) return false;
    return waited(p) || !background_flushing_;
  };
  auto from = pending_.upper_bound(last_taken_);
  auto it = std::find_if(from, pending_.end(), takeable);
  if (it != pending_.end()) return it;
  it = std::find_if(pending_.begin(), from, takeable);
  return it != from ? it : pending_.end();
}

void flusher::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (policy_ == flush_policy::interval && std::chrono::steady_clock::now() >= next_tick_) {
      next_tick_ = std::chrono::steady_clock::now() + interval_;
      for (auto& [_, p] : pending_)
        p.urgent = true;
    }
    auto due = next_due();
    if (due == pending_.end()) {
      if (stopping_ && pending_.empty() && flushing_.empty()) return;
      if (policy_ == flush_policy::interval && !stopping_) {
        wake_.wait_until(lock, next_tick_);
      } else {
        wake_.wait(lock);
      }
      continue;
    }
    partition_log* key = due->first;
    last_taken_ = key;
    pending p = std::move(due->second);
    pending_.erase(due);
    flushing_.insert(key);
    const bool background = !waited(p);
    if (background) background_flushing_ = true;
    lock.unlock();
    flush_one(p);
    lock.lock();
    flushing_.erase(key);
    if (background) background_flushing_ = false;
    // Stopping: the others wait for the last flush to end before they return. Otherwise this
    // thread takes the next entry itself; but if this log's next flush has waiters, it may now
    // be one of two entries takeable at once (with a background flush), so wake another thread.
    // Only then: a woken thread scans every pending log under the lock.
    if (stopping_) {
      wake_.notify_all();
    } else if (auto next = pending_.find(key);
               next != pending_.end() && waited(next->second) && next->second.urgent) {
      wake_.notify_one();
    }
  }
}

void flusher::flush_one(pending& p) {
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

}  // namespace sluice::storage
