// The state of one windowed aggregation: the open windows and their aggregates, the event-time
// watermark, and which input records are in it. No I/O; the window aggregator persists it.
//
// The watermark is the largest event time seen minus the allowed lateness, so it never moves
// backwards (except by load(), to an earlier checkpoint's). A window closes once the watermark
// reaches its end; its result is then taken out exactly once. A record is late when every window
// holding it has closed: no window counts it.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "client/record.h"
#include "client/streams/idempotent_sink.h"
#include "client/streams/window.h"

namespace sluice::streams {
class WindowCheckpoint;
}

namespace sluice::client {

/// Folds one record into a window's aggregate (empty for a new window) and returns the new one.
using aggregate_fn = std::function<std::string(std::string aggregate, const consumer_record&)>;

inline constexpr int64_t no_event_time = std::numeric_limits<int64_t>::min();

class window_state {
 public:
  window_state(window_spec spec, int64_t allowed_lateness_ms);

  enum class outcome { counted, late, replayed };
  /// Counts `r`, at time `ts` (its event time or the time it is processed), in every window of
  /// `key` holding ts that is still open, and moves the watermark on. A record at or below a
  /// position already applied is `replayed` and changes nothing.
  outcome add(const consumer_record& r, const std::string& key, int64_t ts,
              const aggregate_fn& aggregate);
  /// Moves the watermark on as if a record at `ts` had come (processing time with no records).
  void advance_to(int64_t ts);
  /// Removes the windows the watermark has closed and returns their results, by end then key.
  [[nodiscard]] std::vector<window_result> take_closed();

  /// no_event_time until a record has come.
  [[nodiscard]] int64_t max_event_time() const noexcept { return max_event_time_; }
  [[nodiscard]] int64_t watermark() const noexcept;
  [[nodiscard]] uint64_t late_records() const noexcept { return late_; }
  [[nodiscard]] size_t open_windows() const noexcept { return open_.size(); }
  [[nodiscard]] const idempotent_sink& applied() const noexcept { return applied_; }

  /// The state as a checkpoint numbered `sequence`.
  void save(uint64_t sequence, streams::WindowCheckpoint& out) const;
  void load(const streams::WindowCheckpoint& in);

 private:
  window_spec spec_;
  int64_t lateness_ms_;
  int64_t max_event_time_ = no_event_time;
  uint64_t late_ = 0;
  idempotent_sink applied_;
  std::map<std::pair<int64_t, std::string>, std::string> open_;  ///< (start, key) -> aggregate
};

}  // namespace sluice::client
