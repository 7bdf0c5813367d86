#include "storage/retention.h"

namespace sluice::storage {

size_t expired_segments(std::span<const segment_summary> segments, const log_config& config,
                        int64_t now_ms) {
  if (!config.cleanup_delete || segments.empty()) return 0;

  size_t by_time = 0;
  if (config.retention_ms >= 0) {
    while (by_time < segments.size()) {
      const auto& s = segments[by_time];
      const bool active = by_time + 1 == segments.size();
      // An empty segment before the active one (emptied by compaction) holds nothing to keep.
      bool expired = (s.size == 0 && !active) || (s.size > 0 && s.max_timestamp >= 0 &&
                                                  now_ms - s.max_timestamp > config.retention_ms);
      if (!expired) break;
      ++by_time;
    }
  }

  size_t by_size = 0;
  if (config.retention_bytes >= 0) {
    uint64_t total = 0;
    for (const auto& s : segments)
      total += s.size;
    auto limit = static_cast<uint64_t>(config.retention_bytes);
    // Never the active (last) segment.
    while (by_size + 1 < segments.size() && total - segments[by_size].size >= limit) {
      total -= segments[by_size].size;
      ++by_size;
    }
  }
  return std::max(by_time, by_size);
}

}  // namespace sluice::storage
