// The records a window aggregator writes to its changelog topic (partition 0) and how it reads
// them back. Two kinds, told apart by the "sluice.kind" header:
//   result      key "result/<start_ms>/<window key>"; the aggregate as the value; headers
//               sluice.window.key, sluice.window.start, sluice.window.end; timestamp the start.
//   checkpoint  key "checkpoint"; a streams::WindowCheckpoint as the value.
// Keys are unique per window, so a compacted changelog keeps every result and the newest
// checkpoint.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "client/config.h"
#include "client/record.h"
#include "client/streams/window.h"
#include "proto/result.h"
#include "streams/checkpoint.pb.h"

namespace sluice::client {

[[nodiscard]] producer_record result_record(const std::string& changelog, const window_result& w);
[[nodiscard]] producer_record checkpoint_record(const std::string& changelog,
                                                const streams::WindowCheckpoint& checkpoint);

struct changelog_contents {
  std::optional<streams::WindowCheckpoint> checkpoint;  ///< the newest
  std::vector<window_result> results;                   ///< every result, in order
  /// (start, key) of the results after the newest checkpoint.
  std::set<std::pair<int64_t, std::string>> written_after;
};

/// Reads the changelog from its start to its end as of the call.
[[nodiscard]] result<changelog_contents> read_changelog(const client_config& config,
                                                        const std::string& changelog);

}  // namespace sluice::client
