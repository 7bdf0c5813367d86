#include "broker/fetch_waiters.h"

#include <algorithm>
#include <mutex>

namespace sluice::broker {

struct fetch_waiters::core {
  asio::any_io_executor executor;
  // Only touched on the io thread.
  std::unordered_map<const storage::partition_log*, std::vector<waiter*>> waiters;
  std::unordered_map<const storage::partition_log*, std::weak_ptr<storage::partition_log>> watched;
  // Listeners check it from any thread.
  std::mutex mutex;
  bool alive = true;

  void wake(const storage::partition_log* log) {
    auto it = waiters.find(log);
    if (it == waiters.end()) return;
    for (waiter* w : it->second) {
      w->woken = true;
      w->timer.cancel();
    }
  }
};

fetch_waiters::fetch_waiters(asio::any_io_executor executor) : core_(std::make_shared<core>()) {
  core_->executor = std::move(executor);
}

fetch_waiters::~fetch_waiters() {
  std::lock_guard lock(core_->mutex);
  core_->alive = false;
}

void fetch_waiters::watch(const std::shared_ptr<storage::partition_log>& log, waiter& w) {
  auto& known = core_->watched[log.get()];
  if (known.lock() != log) {
    known = log;
    std::weak_ptr<core> weak = core_;
    const storage::partition_log* key = log.get();
    log->set_high_watermark_listener([weak, key] {
      auto c = weak.lock();
      if (!c) return;
      std::lock_guard lock(c->mutex);
      if (!c->alive) return;
      asio::post(c->executor, [c, key] { c->wake(key); });
    });
  }
  core_->waiters[log.get()].push_back(&w);
}

void fetch_waiters::unwatch(waiter& w) {
  for (auto it = core_->waiters.begin(); it != core_->waiters.end();) {
    std::erase(it->second, &w);
    it = it->second.empty() ? core_->waiters.erase(it) : std::next(it);
  }
}

void fetch_waiters::wake_all() {
  for (auto& [_, list] : core_->waiters) {
    for (waiter* w : list) {
      w->woken = true;
      w->timer.cancel();
    }
  }
}

}  // namespace sluice::broker
