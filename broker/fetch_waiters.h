// Wakes long-polling fetches when a partition's high watermark moves. Partitions call their
// listener on whatever thread advanced them; the wake-up is posted to the io thread, where the
// waiting fetches live.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "broker/asio.h"
#include "storage/partition_log.h"

namespace sluice::broker {

class fetch_waiters {
 public:
  struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;  // cancelled to wake the fetch
    bool woken = false;
  };

  explicit fetch_waiters(asio::any_io_executor executor);
  ~fetch_waiters();

  // Wakes `w` when `log`'s high watermark moves, until unwatch(w). REQUIRES: io thread.
  void watch(const std::shared_ptr<storage::partition_log>& log, waiter& w);
  void unwatch(waiter& w);
  // Wakes every waiter (shutdown).
  void wake_all();

 private:
  struct core;  // shared with the partition listeners, which may outlive this object
  std::shared_ptr<core> core_;
};

}  // namespace sluice::broker
