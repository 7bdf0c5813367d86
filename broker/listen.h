// Opening a listening socket on a configured HOST:PORT (a name is resolved; port 0 lets the OS
// pick).
#pragma once

#include <string>

#include "broker/asio.h"
#include "broker/config.h"
#include "proto/result.h"

namespace sluice::broker {

// Binds and listens `acceptor` on `where`; returns the address actually bound. `what` names the
// listener in errors ("clients", "metrics").
[[nodiscard]] result<tcp::endpoint> listen_on(tcp::acceptor& acceptor, const host_port& where,
                                              const std::string& what);

}  // namespace sluice::broker
