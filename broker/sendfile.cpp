#include "broker/sendfile.h"

#include <sys/sendfile.h>

#include <cerrno>

#include "storage/errc.h"

namespace sluice::broker {

awaitable<result<void>> async_sendfile(tcp::socket& socket, int fd, uint64_t position,
                                       uint64_t length, const std::function<void()>& on_progress) {
  // The setter makes an ioctl on every call; the getter reads Asio's own flag.
  if (!socket.native_non_blocking()) socket.native_non_blocking(true);
  off_t offset = static_cast<off_t>(position);
  uint64_t left = length;
  while (left > 0) {
    ssize_t n = ::sendfile(socket.native_handle(), fd, &offset,
                           static_cast<size_t>(std::min<uint64_t>(left, 1 << 30)));
    if (n > 0) {
      left -= static_cast<uint64_t>(n);
      on_progress();
      continue;
    }
    if (n == 0) co_return storage::io_failure(EIO, "sendfile: the segment file ended early");
    if (errno == EINTR) continue;
    if (errno != EAGAIN) co_return storage::io_failure(errno, "sendfile");
    error_code ec;
    co_await socket.async_wait(tcp::socket::wait_write, into(ec));
    if (ec) co_return storage::io_failure(ec.value(), "waiting to send");
  }
  co_return success();
}

}  // namespace sluice::broker
