#include "client/streams/window_state.h"

#include <algorithm>

#include "streams/checkpoint.pb.h"

namespace sluice::client {

window_state::window_state(window_spec spec, int64_t allowed_lateness_ms)
    : spec_(spec), lateness_ms_(allowed_lateness_ms) {}

int64_t window_state::watermark() const noexcept {
  if (max_event_time_ == no_event_time) return no_event_time;
  return max_event_time_ - lateness_ms_;
}

void window_state::advance_to(int64_t ts) {
  max_event_time_ = std::max(max_event_time_, ts);
}

window_state::outcome window_state::add(const consumer_record& r, const std::string& key,
                                        int64_t ts, const aggregate_fn& aggregate) {
  if (!applied_.first_time(r)) return outcome::replayed;
  advance_to(ts);
  bool counted = false;
  for (int64_t start : window_starts(spec_, ts)) {
    if (start + spec_.size_ms <= watermark()) continue;
    auto& value = open_[{start, key}];
    value = aggregate(std::move(value), r);
    counted = true;
  }
  if (counted) return outcome::counted;
  ++late_;
  return outcome::late;
}

std::vector<window_result> window_state::take_closed() {
  std::vector<window_result> out;
  const int64_t wm = watermark();
  // Windows are ordered by start and all have one size, so the closed ones come first.
  auto it = open_.begin();
  while (it != open_.end() && it->first.first + spec_.size_ms <= wm) {
    const auto& [start, key] = it->first;
    out.push_back({key, start, start + spec_.size_ms, std::move(it->second)});
    it = open_.erase(it);
  }
  return out;
}

void window_state::save(uint64_t sequence, streams::WindowCheckpoint& out) const {
  out.set_sequence(sequence);
  out.set_max_event_time(max_event_time_);
  out.set_late_records(late_);
  applied_.save(*out.mutable_applied());
  for (const auto& [at, value] : open_) {
    auto* w = out.add_windows();
    w->set_start_ms(at.first);
    w->set_key(at.second);
    w->set_value(value);
  }
}

void window_state::load(const streams::WindowCheckpoint& in) {
  max_event_time_ = in.max_event_time();
  late_ = in.late_records();
  applied_ = idempotent_sink::load(in.applied());
  open_.clear();
  for (const auto& w : in.windows())
    open_[{w.start_ms(), w.key()}] = w.value();
}

}  // namespace sluice::client
