#include "client/runtime.h"

namespace sluice::client {

runtime::runtime() : io_(1), work_(io_.get_executor()), thread_([this] { io_.run(); }) {}

runtime::~runtime() {
  stop();
}

void runtime::stop() {
  work_.reset();
  io_.stop();
  if (thread_.joinable() && !on_runtime_thread()) thread_.join();
}

}  // namespace sluice::client
