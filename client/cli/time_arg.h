// TIME arguments of the CLI: epoch milliseconds ("1732536000000") or ISO 8601
// ("2026-11-25", "2026-11-25T12:00:00Z", "2026-11-25T12:00:00.250+01:00"; no zone means UTC).
#pragma once

#include <cstdint>
#include <string>

#include "proto/result.h"

namespace sluice::cli {

[[nodiscard]] result<int64_t> parse_time(const std::string& text);

// 2026-11-25T12:00:00.250Z
[[nodiscard]] std::string format_time(int64_t epoch_ms);

}  // namespace sluice::cli
