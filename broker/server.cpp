#include "broker/server.h"

#include <spdlog/spdlog.h>

#include "broker/listen.h"
#include "broker/wire_error.h"
#include "proto/frame.h"

namespace sluice::broker {

server::server(asio::io_context& io, session_shared& shared)
    : io_(io),
      shared_(shared),
      acceptor_(io),
      drained_(io, std::chrono::steady_clock::time_point::max()) {}

result<tcp::endpoint> server::bind(const host_port& where) {
  return listen_on(acceptor_, where, "clients");
}

void server::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

awaitable<void> server::refuse(tcp::socket socket) {
  v1::ResponseMeta meta;
  set_error(meta.mutable_header()->mutable_error(), v1::CONNECTION_LIMIT_REACHED,
            "the broker already holds max.connections=" +
                std::to_string(shared_.ctx.config.max_connections) + " connections");
  auto frame = proto::encode_frame_head(meta, 0);
  error_code ignored;
  co_await asio::async_write(socket, asio::buffer(frame), into(ignored));
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

awaitable<void> server::accept_loop() {
  auto& metrics = shared_.ctx.metrics;
  while (acceptor_.is_open()) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(into(ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      spdlog::warn("accept failed: {}", ec.message());
      // Out of file descriptors and the like: back off instead of spinning.
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      {
        error_code ignored;
        co_await pause.async_wait(into(ignored));
      }
      continue;
    }
    if (sessions_.size() >= shared_.ctx.config.max_connections) {
      metrics.connections_rejected.fetch_add(1);
      asio::co_spawn(io_, refuse(std::move(socket)), asio::detached);
      continue;
    }
    metrics.connections_accepted.fetch_add(1);
    metrics.connections.fetch_add(1);
    auto s = std::make_shared<session>(std::move(socket), shared_, [this](session* closed) {
      shared_.ctx.metrics.connections.fetch_sub(1);
      sessions_.erase(closed);
      if (sessions_.empty()) drained_.cancel();
    });
    sessions_[s.get()] = s;
    s->start();
  }
}

awaitable<void> server::shutdown(std::chrono::milliseconds timeout) {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  shared_.stopping = true;
  shared_.waiters.wake_all();
  for (auto& [_, s] : sessions_)
    s->stop();
  if (!sessions_.empty()) {
    drained_.expires_after(timeout);
    {
      error_code ignored;
      co_await drained_.async_wait(into(ignored));
    }
  }
  if (!sessions_.empty()) {
    spdlog::warn("cutting {} connections still busy after shutdown.timeout.ms", sessions_.size());
    auto left = sessions_;
    for (auto& [_, s] : left)
      s->abort();
  }
  shared_.budget.cancel_all();
}

}  // namespace sluice::broker
