// The changelog topic of a window aggregator: partition 0 holds one record per micro-batch, a
// streams::WindowCheckpoint (key "checkpoint", header sluice.kind=checkpoint) with the state after
// the batch and the results of the windows it closed. One record is appended whole or not at all,
// so a crash never leaves a result without its state or the reverse. Restoring reads only the
// last record; the results are every record's `closed`, in order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/config.h"
#include "client/record.h"
#include "client/streams/window.h"
#include "proto/result.h"
#include "streams/checkpoint.pb.h"

namespace sluice::client {

[[nodiscard]] producer_record checkpoint_record(const std::string& changelog,
                                                const streams::WindowCheckpoint& checkpoint);

/// The newest checkpoint in `changelog`; nullopt when there is none.
[[nodiscard]] result<std::optional<streams::WindowCheckpoint>> read_last_checkpoint(
    const client_config& config, const std::string& changelog);

/// Every window result in `changelog`, in the order they were written.
[[nodiscard]] result<std::vector<window_result>> read_window_results(const client_config& config,
                                                                     const std::string& changelog);

}  // namespace sluice::client
