#include "broker/fault_signals.h"

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <random>

#include <spdlog/spdlog.h>

namespace sluice::broker {

fault_signals::fault_signals(asio::io_context& io, storage::fault_injecting_filesystem& fs)
    : signals_(io, SIGUSR1, SIGUSR2), fs_(fs) {
  wait();
}

void fault_signals::wait() {
  signals_.async_wait([this](const error_code& ec, int signo) {
    if (ec) return;
    if (signo == SIGUSR1) {
      const uint64_t seed = std::random_device{}();
      spdlog::warn("SIGUSR1: cutting the power (seed {})", seed);
      std::mt19937_64 rng(seed);
      fs_.power_loss(rng);
      std::_Exit(137);
    }
    mode_ = (mode_ + 1) % 3;
    fs_.clear_faults();
    if (mode_ == 0) {
      spdlog::warn("SIGUSR2: writes and fsyncs work again");
    } else {
      fs_.fail_syncs(EIO, INT_MAX);
      if (mode_ == 2) fs_.fail_writes(EIO);
      spdlog::warn("SIGUSR2: every {} now fails with EIO",
                   mode_ == 1 ? "fsync" : "write and fsync");
    }
    wait();
  });
}

}  // namespace sluice::broker
