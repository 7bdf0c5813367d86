// Zero-copy sending of segment file ranges to a socket with sendfile(2).
#pragma once

#include <cstdint>
#include <functional>

#include "broker/asio.h"
#include "proto/result.h"

namespace sluice::broker {

// Sends `length` bytes of file descriptor `fd` from `position` to `socket`, waiting for the
// socket to be writable when its buffer is full. `on_progress` runs after every chunk sent.
awaitable<result<void>> async_sendfile(tcp::socket& socket, int fd, uint64_t position,
                                       uint64_t length, const std::function<void()>& on_progress);

}  // namespace sluice::broker
