// Which segments retention deletes: a pure decision over segment summaries, oldest first, the
// active segment last.
#pragma once

#include <cstdint>
#include <span>

#include "storage/log_config.h"

namespace sluice::storage {

struct segment_summary {
  uint64_t size = 0;
  int64_t max_timestamp = -1;  // -1: no records
};

// How many of the oldest segments are past retention. A segment is past retention.ms when its
// newest record is older than now - retention.ms; retention.bytes deletes the oldest segments
// while the partition stays at or above the limit without them. The active segment counts only
// for time (the caller rolls before deleting it); bytes never delete it. Deletion stops at the
// first segment that is not past retention, so the log stays contiguous. An empty segment before
// the active one counts as past retention.ms.
[[nodiscard]] size_t expired_segments(std::span<const segment_summary> segments,
                                      const log_config& config, int64_t now_ms);

}  // namespace sluice::storage
