// When appended data is made durable (log.flush.policy).
#pragma once

#include <optional>
#include <string_view>

namespace sluice::storage {

enum class flush_policy {
  always,    // group commit: every append is fsynced before readers see it
  interval,  // fsync every log.flush.interval.ms; readers see appends at once
  os,        // fsync only on segment roll, shutdown and acks=all requests
};

[[nodiscard]] inline std::optional<flush_policy> parse_flush_policy(std::string_view s) {
  if (s == "always") return flush_policy::always;
  if (s == "interval") return flush_policy::interval;
  if (s == "os") return flush_policy::os;
  return std::nullopt;
}

}  // namespace sluice::storage
