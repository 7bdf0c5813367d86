#include "support/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "proto/byte_order.h"
#include "proto/frame.h"

namespace sluice::test {

raw_client::raw_client(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("raw_client: connect failed");
  }
}

raw_client::~raw_client() {
  ::close(fd_);
}

void raw_client::send_bytes(std::span<const std::byte> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;  // the broker may already have closed it
    done += static_cast<size_t>(n);
  }
}

void raw_client::send_request(v1::RequestMeta meta, std::span<const std::byte> data) {
  if (meta.header().correlation_id() == 0)
    meta.mutable_header()->set_correlation_id(next_correlation_++);
  if (meta.header().api_version() == 0) meta.mutable_header()->set_api_version(1);
  auto head = proto::encode_frame_head(meta, data.size());
  send_bytes(head);
  send_bytes(data);
}

bool raw_client::read_exact(std::byte* out, size_t n,
                            std::chrono::steady_clock::time_point deadline) {
  size_t done = 0;
  while (done < n) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t r = ::recv(fd_, out + done, n - done, 0);
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

std::optional<v1::ResponseMeta> raw_client::read_response(std::vector<std::byte>* data,
                                                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::byte prefix[4];
  if (!read_exact(prefix, 4, deadline)) return std::nullopt;
  auto length = proto::load_be<uint32_t>(prefix);
  std::vector<std::byte> frame(length);
  if (!read_exact(frame.data(), length, deadline)) return std::nullopt;
  auto parts = proto::split_frame(frame);
  if (!parts) return std::nullopt;
  v1::ResponseMeta meta;
  if (!meta.ParseFromArray(parts.value().meta.data(),
                           static_cast<int>(parts.value().meta.size()))) {
    return std::nullopt;
  }
  if (data != nullptr) data->assign(parts.value().data.begin(), parts.value().data.end());
  return meta;
}

bool raw_client::closed_by_broker(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::byte buf[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
    if (r <= 0) return true;
  }
}

}  // namespace sluice::test
