#include "client/runtime.h"

namespace sluice::client {

runtime::runtime() : io_(1), work_(io_.get_executor()), thread_([this] { io_.run(); }) {}

runtime::~runtime() {
  stop();
}

bool runtime::enter() {
  std::lock_guard lock(mutex_);
  if (stopped_) return false;
  ++running_;
  return true;
}

void runtime::leave() {
  std::lock_guard lock(mutex_);
  --running_;
  idle_.notify_all();
}

void runtime::stop() {
  {
    std::unique_lock lock(mutex_);
    stopped_ = true;
    if (!on_runtime_thread()) idle_.wait(lock, [&] { return running_ == 0; });
  }
  work_.reset();
  io_.stop();
  if (thread_.joinable() && !on_runtime_thread()) thread_.join();
}

}  // namespace sluice::client
