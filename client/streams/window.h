// Windows of time, aligned to the epoch and half-open, [start, start + size): tumbling windows
// tile time; hopping windows of the same size start every `advance`, so they overlap and a
// record falls into about size / advance of them (exactly that many when advance divides size).
// Timestamps are milliseconds since the epoch; ones within a window size of the int64 limits
// are not supported.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sluice::client {

struct window_spec {
  int64_t size_ms = 60'000;
  int64_t advance_ms = 60'000;  ///< == size_ms: tumbling

  [[nodiscard]] static window_spec tumbling(std::chrono::milliseconds size) {
    return {size.count(), size.count()};
  }
  [[nodiscard]] static window_spec hopping(std::chrono::milliseconds size,
                                           std::chrono::milliseconds advance) {
    return {size.count(), advance.count()};
  }
};

/// What is wrong with `spec` (a size or advance that is not positive, an advance longer than
/// the size), or nullopt.
[[nodiscard]] std::optional<std::string> invalid_window(const window_spec& spec);

/// The starts of the windows holding `ts`, earliest first. REQUIRES: a valid spec.
[[nodiscard]] std::vector<int64_t> window_starts(const window_spec& spec, int64_t ts);

/// A closed window's result.
struct window_result {
  std::string key;
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string value;  ///< the aggregate

  auto operator<=>(const window_result&) const = default;
};

}  // namespace sluice::client
