// Settings shared by every client object: where the broker is and how patient to be with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "proto/result.h"

namespace sluice::client {

struct client_config {
  /// "host:port"; the CLI reads it from --broker or SLUICE_BROKER.
  std::string broker = "127.0.0.1:9292";
  std::string client_id = "sluice-client";
  std::chrono::milliseconds request_timeout{30'000};
  std::chrono::milliseconds connect_timeout{10'000};
  /// Waits between reconnection attempts, doubling up to the maximum.
  std::chrono::milliseconds reconnect_backoff{50};
  std::chrono::milliseconds reconnect_backoff_max{1'000};
  /// Largest response frame accepted (fetch responses hold up to fetch.max.bytes of batches).
  uint32_t max_response_bytes = 256u << 20;
};

struct endpoint {
  std::string host;
  uint16_t port = 0;
};

/// "host:port" -> endpoint; errc::invalid_argument naming the text otherwise.
[[nodiscard]] result<endpoint> parse_endpoint(const std::string& text);

}  // namespace sluice::client
