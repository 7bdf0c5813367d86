// A small HTTP server (Boost.Beast) that answers GET /metrics with the Prometheus text format.
#pragma once

#include <functional>
#include <string>

#include "broker/asio.h"
#include "broker/config.h"
#include "proto/result.h"

namespace sluice::broker {

class metrics_http {
 public:
  // `render` produces the body of /metrics; it runs on the io thread.
  metrics_http(asio::io_context& io, std::function<std::string()> render);

  [[nodiscard]] result<tcp::endpoint> bind(const host_port& where);
  void start();
  void stop();

 private:
  awaitable<void> accept_loop();
  awaitable<void> serve(tcp::socket socket);

  asio::io_context& io_;
  std::function<std::string()> render_;
  tcp::acceptor acceptor_;
};

}  // namespace sluice::broker
