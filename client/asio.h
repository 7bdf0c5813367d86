// Boost.Asio for the client library. <utility> first: Boost 1.74's coroutine headers need it
// under GCC 12.
#pragma once

#include <utility>

#include <limits>

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
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>

namespace sluice::client {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
using error_code = boost::system::error_code;

// co_await with failures in `ec` instead of exceptions.
inline auto into(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}

// Like asio::transfer_all for async_read and async_write, without its cap of 64 KiB a call:
// each read or write takes as much as the socket allows. Capped, a 1 MiB fetch response took
// 18 reads and a 256 KiB produce request 4 writes, each a trip through the scheduler.
inline auto transfer_all_at_once() {
  return [](const error_code& ec, size_t) -> size_t {
    return ec ? 0 : std::numeric_limits<size_t>::max();
  };
}

}  // namespace sluice::client
