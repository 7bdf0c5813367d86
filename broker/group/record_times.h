// Record timestamps looked up by offset, for the lag figures DescribeGroups reports. Off the hot
// path: each lookup reads and decodes one batch (up to 64 KiB) from the log.
#pragma once

#include <cstdint>
#include <optional>

#include "proto/types.h"
#include "storage/partition_log.h"

namespace sluice::broker {

// The timestamp of the first record at or after `at` below the high watermark; nullopt when
// there is none or it cannot be read.
[[nodiscard]] std::optional<int64_t> timestamp_at(storage::partition_log& log, offset at);

// The timestamp of the last record before `end`, if it is in the batch holding offset end - 1
// (compaction may have removed it) and still in the log; nullopt otherwise.
[[nodiscard]] std::optional<int64_t> timestamp_before(storage::partition_log& log, offset end);

}  // namespace sluice::broker
