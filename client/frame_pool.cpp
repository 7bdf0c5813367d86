#include "client/frame_pool.h"

#include <cassert>
#include <mutex>
#include <vector>

namespace sluice::client {

using idle_frame = std::pair<size_t, std::unique_ptr<std::byte[]>>;  // (capacity, memory)

struct frame_pool_state {
  explicit frame_pool_state(size_t max) : max_idle_bytes(max) {
    // Every idle frame holds at least pooled_min_bytes, so the list never grows past this and
    // releasing never allocates.
    idle.reserve(max / frame_pool::pooled_min_bytes);
  }
  std::mutex mu;
  std::vector<idle_frame> idle;
  size_t idle_bytes = 0;
  bool closed = false;  // the pool is gone: nothing more is kept
  const size_t max_idle_bytes;
};

void frame_release::operator()(std::byte* p) const noexcept {
  std::unique_ptr<std::byte[]> memory(p);  // freed after the lock is let go, unless kept
  if (!pool || capacity > pool->max_idle_bytes) return;
  std::lock_guard lock(pool->mu);
  if (pool->closed || pool->idle_bytes + capacity > pool->max_idle_bytes) return;
  pool->idle.emplace_back(capacity, std::move(memory));
  pool->idle_bytes += capacity;
}

frame_pool::frame_pool(size_t max_idle_bytes)
    : state_(std::make_shared<frame_pool_state>(max_idle_bytes)) {}

frame_pool::~frame_pool() {
  std::vector<idle_frame> idle;
  std::lock_guard lock(state_->mu);
  state_->closed = true;
  idle.swap(state_->idle);
  state_->idle_bytes = 0;
}

frame_ptr frame_pool::take(size_t n) {
  if (n < pooled_min_bytes) return frame_ptr(new std::byte[n], frame_release{});
  std::vector<idle_frame> too_small;  // freed after the lock is let go
  {
    std::lock_guard lock(state_->mu);
    auto& idle = state_->idle;
    auto best = idle.end();
    for (auto it = idle.begin(); it != idle.end(); ++it) {
      if (it->first >= n && it->first / 2 <= n && (best == idle.end() || it->first < best->first))
        best = it;
    }
    if (best != idle.end()) {
      const size_t capacity = best->first;
      frame_ptr out(best->second.release(), frame_release{state_, capacity});
      state_->idle_bytes -= capacity;
      *best = std::move(idle.back());
      idle.pop_back();
      return out;
    }
    for (size_t i = 0; i < idle.size();) {
      if (idle[i].first < n) {
        too_small.push_back(std::move(idle[i]));
        state_->idle_bytes -= too_small.back().first;
        idle[i] = std::move(idle.back());
        idle.pop_back();
      } else {
        ++i;
      }
    }
    assert(state_->idle_bytes <= state_->max_idle_bytes);
  }
  const size_t capacity = (n + pooled_min_bytes - 1) / pooled_min_bytes * pooled_min_bytes;
  return frame_ptr(new std::byte[capacity], frame_release{state_, capacity});
}

size_t frame_pool::idle_bytes() const {
  std::lock_guard lock(state_->mu);
  return state_->idle_bytes;
}

}  // namespace sluice::client
