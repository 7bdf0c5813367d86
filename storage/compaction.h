// Log compaction (cleanup.policy=compact): keeps the latest record of each key in the segments
// before the active one, without changing any offset. Records without a key are kept.
// Tombstones (a key with a null value) are kept until their segment's newest record is older
// than delete.retention.ms, so consumers that are behind still see the delete.
#pragma once

#include <cstdint>

#include "proto/result.h"
#include "storage/partition_log.h"

namespace sluice::storage {

struct compaction_stats {
  size_t segments_rewritten = 0;
  uint64_t records_removed = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  uint64_t tombstones_retained = 0;  // tombstones still waiting for delete.retention.ms
};

// One compaction pass over `log`'s inactive segments. Batches that lose no record are copied
// byte for byte; the others are rebuilt with the same base offset, lastOffsetDelta, codec and
// producer fields. Each rewritten segment replaces its original atomically.
[[nodiscard]] result<compaction_stats> compact(partition_log& log, int64_t now_ms);

}  // namespace sluice::storage
