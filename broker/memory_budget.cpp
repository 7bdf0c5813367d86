#include "broker/memory_budget.h"

namespace sluice::broker {

awaitable<bool> memory_budget::acquire(uint64_t bytes) {
  if (waiters_.empty() && available_ >= bytes) {
    available_ -= bytes;
    metrics_.request_bytes_in_use += static_cast<int64_t>(bytes);
    co_return true;
  }
  waiter w{bytes, asio::steady_timer(executor_, asio::steady_timer::time_point::max())};
  auto it = waiters_.insert(waiters_.end(), &w);
  {
    error_code ignored;
    co_await w.timer.async_wait(into(ignored));
  }
  if (!w.granted) {
    waiters_.erase(it);
    grant();  // the head may have changed
    co_return false;
  }
  co_return true;
}

void memory_budget::release(uint64_t bytes) {
  available_ += bytes;
  metrics_.request_bytes_in_use -= static_cast<int64_t>(bytes);
  grant();
}

void memory_budget::grant() {
  while (!waiters_.empty() && !waiters_.front()->granted && available_ >= waiters_.front()->bytes) {
    waiter* w = waiters_.front();
    waiters_.pop_front();
    available_ -= w->bytes;
    metrics_.request_bytes_in_use += static_cast<int64_t>(w->bytes);
    w->granted = true;
    w->timer.cancel();
  }
}

void memory_budget::cancel_all() {
  for (waiter* w : waiters_)
    w->timer.cancel();
}

}  // namespace sluice::broker
