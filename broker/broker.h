// The broker assembled: log manager, producer ids, metrics, client listener and metrics
// endpoint on one io_context, with clean shutdown on SIGTERM/SIGINT.
#pragma once

#include "broker/config.h"

namespace sluice::broker {

// Runs the broker until SIGTERM or SIGINT; returns the process exit status.
int run_broker(const broker_config& config);

}  // namespace sluice::broker
