// The fault suite's hooks into a running broker, on only with test.fault.injection=true: the
// partition logs then go through storage's fault-injecting filesystem, driven by signals.
//   SIGUSR1  cuts the power: every write not yet fsynced is dropped (or partly kept, with holes),
//            and the process exits at once with status 137.
//   SIGUSR2  steps through: every fsync fails with EIO; every write and fsync fails with EIO;
//            no faults; and round again.
// Each is logged when it takes effect, so a test can wait for the line.
#pragma once

#include <boost/asio/signal_set.hpp>

#include "broker/asio.h"
#include "storage/fault_injection.h"

namespace sluice::broker {

class fault_signals {
 public:
  fault_signals(asio::io_context& io, storage::fault_injecting_filesystem& fs);

 private:
  void wait();

  asio::signal_set signals_;
  storage::fault_injecting_filesystem& fs_;
  int mode_ = 0;  // 0: no faults, 1: fsyncs fail, 2: writes and fsyncs fail
};

}  // namespace sluice::broker
