// The client listener: accepts connections up to max.connections (refusing more with a
// CONNECTION_LIMIT_REACHED response), runs a session for each, and on shutdown stops accepting,
// lets the sessions answer what they have read, and cuts the stragglers after a timeout.
#pragma once

#include <chrono>
#include <memory>
#include <unordered_map>

#include "broker/asio.h"
#include "broker/config.h"
#include "broker/session.h"
#include "proto/result.h"

namespace sluice::broker {

class server {
 public:
  server(asio::io_context& io, session_shared& shared);

  // Binds and listens; returns the address actually bound (the port when 0 was asked for).
  [[nodiscard]] result<tcp::endpoint> bind(const host_port& where);
  void start();
  // Stops accepting, drains the sessions, and aborts those still open after `timeout`.
  awaitable<void> shutdown(std::chrono::milliseconds timeout);

 private:
  awaitable<void> accept_loop();
  awaitable<void> refuse(tcp::socket socket);

  asio::io_context& io_;
  session_shared& shared_;
  tcp::acceptor acceptor_;
  std::unordered_map<session*, std::shared_ptr<session>> sessions_;
  asio::steady_timer drained_;
};

}  // namespace sluice::broker
