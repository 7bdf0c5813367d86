// Boost.Asio for the broker's network code. <utility> first: Boost 1.74's coroutine headers
// need it under GCC 12.
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace sluice::broker {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
using error_code = boost::system::error_code;

// A completion token for co_await that stores failures in `ec` instead of throwing: EOF,
// cancellation and timeouts are normal traffic.
inline auto into(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Completion condition for asio::async_read of exactly `size` bytes that lets each read take
// all that has arrived. Asio's own (transfer_all, transfer_exactly) stop every read at 64 KiB,
// which made a 1 MiB fetch response 17 reads, each after its own epoll wait.
inline auto exactly(size_t size) {
  return [size](const error_code& ec, size_t done) -> size_t { return ec ? 0 : size - done; };
}

}  // namespace sluice::broker
