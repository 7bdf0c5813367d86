// A bare TCP client for tests that speak the frame format by hand: malformed frames, requests
// whose responses are never read.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sluice/v1/sluice.pb.h"

namespace sluice::test {

class raw_client {
 public:
  explicit raw_client(uint16_t port);
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  void send_bytes(std::span<const std::byte> bytes);
  void send_request(v1::RequestMeta meta, std::span<const std::byte> data = {});

  // The next response frame, or nullopt when the broker closed the connection first or nothing
  // came within `timeout`. `data` receives the frame's data section.
  std::optional<v1::ResponseMeta> read_response(
      std::vector<std::byte>* data = nullptr,
      std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // True when the broker closes the connection within `timeout` (reading and dropping bytes).
  bool closed_by_broker(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  bool read_exact(std::byte* out, size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  uint64_t next_correlation_ = 1;
};

}  // namespace sluice::test
