// A broker-wide budget of bytes for request buffers. A session acquires a frame's size before
// allocating it and waits (stops reading its socket) while the budget is spent: backpressure
// instead of running out of memory. Used only on the io thread.
#pragma once

#include <cstdint>
#include <list>

#include "broker/asio.h"
#include "broker/metrics.h"

namespace sluice::broker {

class memory_budget {
 public:
  memory_budget(asio::any_io_executor executor, uint64_t limit, metrics_registry& metrics)
      : executor_(std::move(executor)), available_(limit), metrics_(metrics) {}

  // Waits until `bytes` are free and takes them; false if the wait was cancelled (the session
  // is closing). Waiters are served in order. REQUIRES: bytes <= the limit.
  awaitable<bool> acquire(uint64_t bytes);
  void release(uint64_t bytes);
  // Ends every wait with false.
  void cancel_all();

 private:
  struct waiter {
    uint64_t bytes;
    asio::steady_timer timer;
    bool granted = false;
  };
  void grant();

  asio::any_io_executor executor_;
  uint64_t available_;
  metrics_registry& metrics_;
  std::list<waiter*> waiters_;
};

// Holds request-buffer bytes of a budget until destroyed.
class budget_hold {
 public:
  budget_hold(memory_budget& budget, uint64_t bytes) : budget_(budget), bytes_(bytes) {}
  ~budget_hold() { budget_.release(bytes_); }
  budget_hold(const budget_hold&) = delete;
  budget_hold& operator=(const budget_hold&) = delete;

 private:
  memory_budget& budget_;
  uint64_t bytes_;
};

}  // namespace sluice::broker
