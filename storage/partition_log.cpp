#include "storage/partition_log.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "proto/errc.h"
#include "storage/errc.h"
#include "storage/flusher.h"
#include "storage/log.h"
#include "storage/log_scanner.h"
#include "storage/retention.h"

namespace sluice::storage {
namespace {

// "00000000000000000042.log" -> 42; nullopt for any other name.
std::optional<offset> parse_segment_name(const std::string& name) {
  constexpr size_t digits = 20;
  if (name.size() != digits + 4 || name.substr(digits) != ".log") return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + digits, value);
  if (ec != std::errc() || end != name.data() + digits || value < 0) return std::nullopt;
  return offset{value};
}

// "00000000000000000042.snapshot" -> 42; nullopt for any other name.
std::optional<offset> parse_snapshot_name(const std::string& name) {
  constexpr size_t digits = 20;
  if (name.size() != digits + 9 || name.substr(digits) != ".snapshot") return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + digits, value);
  if (ec != std::errc() || end != name.data() + digits || value < 0) return std::nullopt;
  return offset{value};
}

// Snapshot offsets in `dir`, oldest first.
result<std::vector<offset>> list_snapshots(filesystem& fs, const fs::path& dir) {
  SLUICE_TRY(names, fs.list(dir));
  std::vector<offset> out;
  for (const auto& name : names) {
    if (auto o = parse_snapshot_name(name)) out.push_back(*o);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The persisted recovery point; 0 (check everything) when there is none yet.
result<offset> read_recovery_point(filesystem& fs, const fs::path& dir) {
  const fs::path path = dir / recovery_point_file;
  SLUICE_TRY(exists, fs.exists(path));
  if (!exists) return offset{0};
  SLUICE_TRY(bytes, read_whole_file(fs, path));
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) {
    // Written atomically, so this is damage, not a crash: check everything.
    return offset{0};
  }
  return offset{value};
}

result<void> remove_segment_files(filesystem& fs, const fs::path& dir, offset base) {
  for (const char* extension : {".log", ".index", ".timeindex"}) {
    SLUICE_TRY(fs.remove(dir / segment::file_name(base, extension)));
  }
  return success();
}

}  // namespace

int64_t system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

partition_log::partition_log(filesystem& fs, fs::path dir, std::string topic, partition_id id,
                             partition_options options)
    : fs_(fs),
      dir_(std::move(dir)),
      topic_(std::move(topic)),
      id_(id),
      options_(std::move(options)) {}

error partition_log::describe(errc code, const std::string& what) const {
  return make_error(code, topic_ + "-" + std::to_string(id_.value) + ": " + what);
}

error partition_log::annotate(error e) const {
  e.message = topic_ + "-" + std::to_string(id_.value) + ": " + e.message;
  return e;
}

result<std::shared_ptr<partition_log>> partition_log::open(filesystem& fs, fs::path dir,
                                                           std::string topic, partition_id id,
                                                           partition_options options, bool clean,
                                                           recovery_stats* stats) {
  SLUICE_TRY(fs.create_directories(dir));
  SLUICE_TRY(names, fs.list(dir));
  std::vector<offset> bases;
  for (const auto& name : names) {
    if (auto base = parse_segment_name(name)) {
      bases.push_back(*base);
    } else if (name.ends_with(".tmp") || name == compaction_staging_dir) {
      SLUICE_TRY(fs.remove_all(dir / name));
    }
  }
  std::sort(bases.begin(), bases.end());

  std::shared_ptr<partition_log> log(
      new partition_log(fs, dir, std::move(topic), id, std::move(options)));
  const auto interval = static_cast<uint32_t>(log->options_.config.index_interval_bytes);
  SLUICE_TRY(recovery_point, read_recovery_point(fs, dir));
  log->recovery_point_ = recovery_point;
  if (bases.empty()) {
    SLUICE_TRY(seg, segment::create(fs, dir, offset{0}, interval));
    SLUICE_TRY(fs.sync_directory(dir));
    log->segments_.push_back(std::move(seg));
  }
  for (size_t i = 0; i < bases.size(); ++i) {
    // Segments below the recovery point were sealed (synced) before it was written.
    const bool last = i + 1 == bases.size();
    const bool check = !clean && (bases[i] >= recovery_point || last);
    auto mode = check ? segment::open_mode::recover : segment::open_mode::trust;
    SLUICE_TRY(seg, segment::open(fs, dir, bases[i], interval, mode, stats));
    log->segments_.push_back(std::move(seg));
    if (!check || last) continue;
    SLUICE_TRY(next, log->segments_.back()->next_offset());
    if (next != bases[i + 1]) {
      // Cut short: what followed it is past a gap and cannot be trusted.
      log_warn(log->topic_ + "-" + std::to_string(id.value) + ": recovery ended segment " +
               std::to_string(bases[i].value) + " at offset " + std::to_string(next.value) +
               "; dropping the " + std::to_string(bases.size() - i - 1) + " segments after it");
      for (size_t j = i + 1; j < bases.size(); ++j) {
        SLUICE_TRY(remove_segment_files(fs, dir, bases[j]));
      }
      SLUICE_TRY(fs.sync_directory(dir));
      break;
    }
  }
  if (!clean) {
    for (auto& seg : log->segments_) {
      if (seg.get() == &log->active()) continue;
      SLUICE_TRY(seg->seal());
    }
    SLUICE_TRY(log->active().sync());
  }
  segment& active = log->active();
  SLUICE_TRY(end, active.next_offset());
  log->log_end_ = end;
  log->visible_ = log->durable_ = {end, active.base_offset(), active.size()};
  SLUICE_TRY(log->load_producers());
  if (!clean && active.base_offset() != recovery_point) {
    std::lock_guard flushing(log->flush_mutex_);
    SLUICE_TRY(log->store_recovery_point(active.base_offset()));
  }
  return log;
}

partition_log::log_position partition_log::end_position() const {
  const segment& a = *segments_.back();
  return {log_end_, a.base_offset(), a.size()};
}

uint64_t partition_log::visible_bytes(const segment& s) const {
  if (s.base_offset() < visible_.segment_base) return s.size();
  return s.base_offset() == visible_.segment_base ? visible_.pos : 0;
}

result<append_info> partition_log::append(std::span<std::byte> batch) {
  auto checked = proto::validate_batch(batch);
  if (!checked) return describe(errc::corrupt_batch, checked.error().message);
  proto::batch_header h = checked.value();
  if (h.record_count < 1 || h.record_count != h.last_offset_delta + 1) {
    return describe(errc::corrupt_batch,
                    "batch has recordCount " + std::to_string(h.record_count) +
                        " and lastOffsetDelta " + std::to_string(h.last_offset_delta) +
                        "; a producer batch has recordCount = lastOffsetDelta + 1 >= 1");
  }
  if (h.is_control()) {
    return describe(errc::corrupt_batch, "control batches (transactions) are not supported");
  }
  const int64_t now = options_.clock();
  append_info info;
  bool rolled = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return describe(errc::closed, "the log is closed");
    if (failed_) return describe(errc::log_failed, failed_->message);
    if (batch.size() > static_cast<size_t>(options_.config.max_message_bytes)) {
      return describe(errc::batch_too_large, "batch of " + std::to_string(batch.size()) +
                                                 " bytes is over max.message.bytes=" +
                                                 std::to_string(options_.config.max_message_bytes));
    }
    auto verdict = producers_.check(h);
    switch (verdict.kind) {
      case producer_state::verdict::duplicate:
        info.base = verdict.original.first_offset;
        info.last = verdict.original.last_offset;
        info.duplicate = true;
        info.epoch = truncations_;
        if (options_.config.timestamp_type == proto::timestamp_type::log_append_time) {
          info.log_append_time = verdict.original.timestamp;
        }
        return info;
      case producer_state::verdict::out_of_order:
        return describe(errc::out_of_order_sequence, verdict.reason);
      case producer_state::verdict::fenced:
        return describe(errc::invalid_producer_epoch, verdict.reason);
      case producer_state::verdict::append: break;
    }
    SLUICE_TRY(did_roll, maybe_roll(batch.size(), h.last_offset_delta, now));
    rolled = did_roll;
    h.base_offset = log_end_;
    h.partition_leader_epoch = leader_epoch;
    proto::set_base_offset(batch, log_end_);
    proto::set_partition_leader_epoch(batch, leader_epoch);
    if (options_.config.timestamp_type == proto::timestamp_type::log_append_time) {
      proto::stamp_log_append_time(batch, now);
      h.max_timestamp = now;
      info.log_append_time = now;
    }
    auto written = active().append(batch, h, now, options_.preallocate_bytes);
    if (!written) {
      if (written.error().code == errc::log_failed) failed_ = written.error();
      return annotate(written.error());
    }
    info.base = log_end_;
    info.last = h.last_offset();
    info.epoch = truncations_;
    log_end_ = h.next_offset();
    producers_.record(h, now);
    if (options_.policy != flush_policy::always) visible_ = end_position();
  }
  if (options_.flusher != nullptr && (rolled || options_.policy != flush_policy::os)) {
    options_.flusher->schedule(shared_from_this(), rolled);
  }
  if (options_.policy != flush_policy::always) notify_high_watermark();
  return info;
}

result<bool> partition_log::maybe_roll(uint64_t batch_bytes, int32_t last_offset_delta,
                                       int64_t now_ms) {
  segment& seg = active();
  if (seg.empty()) return false;
  SLUICE_TRY(started, seg.rolling_time(now_ms));
  bool full = seg.size() + batch_bytes > static_cast<uint64_t>(options_.config.segment_bytes);
  bool old = started != no_timestamp && now_ms - started >= options_.config.segment_ms;
  bool offsets_overflow = (log_end_ + last_offset_delta) - seg.base_offset() > int64_t{INT32_MAX};
  if (!full && !old && !offsets_overflow) return false;
  SLUICE_TRY(roll(options_.flusher == nullptr));
  return true;
}

result<void> partition_log::roll(bool seal_now) {
  segment& old = active();
  old.finish();
  if (seal_now) {
    auto sealed = old.seal();
    if (!sealed) return discard_undurable(sealed.error());
  }
  SLUICE_TRY(seg, segment::create(fs_, dir_, log_end_,
                                  static_cast<uint32_t>(options_.config.index_interval_bytes)));
  SLUICE_TRY(fs_.sync_directory(dir_));
  segments_.push_back(std::move(seg));
  if (auto snap = snapshot_producers(); !snap) {
    log_warn(annotate(snap.error()).message);
  }
  const log_position start{log_end_, log_end_, 0};
  if (old.sealed()) durable_ = start;  // sealing synced everything appended so far
  if (visible_.at == log_end_ || (options_.policy == flush_policy::always && old.sealed())) {
    visible_ = start;
  }
  return success();
}

error partition_log::fail(const std::string& why) {
  failed_ = make_error(errc::log_failed, why + "; restart the broker to recover this partition");
  return describe(errc::log_failed, failed_->message);
}

error partition_log::discard_undurable(const error& cause) {
  const std::string what = "fsync failed (" + cause.message + ")";
  if (visible_.at > durable_.at) {
    // Readers may have seen what the fsync failed to keep: cutting it would reuse offsets.
    return fail(what + " after readers saw offsets up to " + std::to_string(visible_.at.value));
  }
  uint64_t cut_at = 0;
  if (durable_.segment_base == active().base_offset()) {
    cut_at = durable_.pos;
  } else if (durable_.at != active().base_offset()) {
    return fail(what + " with unsynced appends in an earlier segment");
  }
  ++truncations_;
  auto cut = active().truncate(cut_at, durable_.at);
  if (cut) cut = active().sync();  // so the cut-off appends do not come back after a crash
  if (!cut)
    return fail(what + " and cutting back to the durable end failed (" + cut.error().message + ")");
  const std::string discarded = "offsets " + std::to_string(durable_.at.value) + " to " +
                                std::to_string(log_end_.value - 1) +
                                " were discarded and never acknowledged";
  log_end_ = durable_.at;
  durable_ = end_position();
  visible_ = durable_;
  producers_.truncate(log_end_);
  return describe(errc::io_error, what + "; " + discarded);
}

result<void> partition_log::store_recovery_point(offset base) {
  {
    std::lock_guard lock(mutex_);
    if (base <= recovery_point_) return success();
  }
  std::string text = std::to_string(base.value) + "\n";
  SLUICE_TRY(write_file_atomically(
      fs_, dir_ / recovery_point_file,
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size())));
  std::lock_guard lock(mutex_);
  recovery_point_ = base;
  return success();
}

result<void> partition_log::snapshot_producers() {
  auto bytes = producers_.serialize();
  SLUICE_TRY(f, fs_.open(dir_ / segment::file_name(log_end_, ".snapshot"), true));
  SLUICE_TRY(f->truncate(0));
  SLUICE_TRY(f->write_at(bytes, 0));
  SLUICE_TRY(snapshots, list_snapshots(fs_, dir_));
  for (size_t i = 0; i + 2 < snapshots.size(); ++i) {
    SLUICE_TRY(fs_.remove(dir_ / segment::file_name(snapshots[i], ".snapshot")));
  }
  return success();
}

result<void> partition_log::load_producers() {
  SLUICE_TRY(snapshots, list_snapshots(fs_, dir_));
  offset from = segments_.front()->base_offset();
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    const fs::path path = dir_ / segment::file_name(*it, ".snapshot");
    if (*it > log_end_) {
      // Taken before a crash cut the log shorter.
      SLUICE_TRY(fs_.remove(path));
      continue;
    }
    auto bytes = read_whole_file(fs_, path);
    auto state =
        bytes ? producer_state::parse(bytes.value()) : result<producer_state>(bytes.error());
    if (state) {
      producers_ = std::move(state).value();
      from = std::max(from, *it);
      break;
    }
    log_warn(annotate(make_error(errc::corrupt_metadata,
                                 "ignoring " + path.string() + ": " + state.error().message))
                 .message);
  }
  // Replay the batch headers after the snapshot.
  const int64_t now = options_.clock();
  for (const auto& seg : segments_) {
    SLUICE_TRY(seg_end, seg->next_offset());
    if (seg_end <= from) continue;
    SLUICE_TRY(start, seg->locate(from, seg->size()));
    if (!start) continue;
    log_scanner scanner(*seg->log_file(), start->position, seg->size(), 64 << 10,
                        {.max_batch_bytes = size_t{INT32_MAX} + 12});
    while (true) {
      SLUICE_TRY(loc, scanner.next_header());
      if (!loc) break;
      if (loc->header.base_offset >= from) producers_.record(loc->header, now);
    }
  }
  return success();
}

void partition_log::expire_producers(int64_t now_ms, int64_t expiration_ms) {
  std::lock_guard lock(mutex_);
  producers_.expire(now_ms, expiration_ms);
}

result<void> partition_log::checkpoint() {
  std::lock_guard flushing(flush_mutex_);
  offset point;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return success();
    if (failed_) return describe(errc::log_failed, failed_->message);
    point = active().base_offset();
    for (const auto& seg : segments_) {
      if (!seg->sealed()) {
        point = seg->base_offset();
        break;
      }
    }
    if (point == recovery_point_) return success();
  }
  return store_recovery_point(point);
}

result<void> partition_log::flush() {
  bool hw_moved = false;
  auto flushed = [&] {
    std::lock_guard flushing(flush_mutex_);
    return flush_locked(hw_moved);
  }();
  if (hw_moved) notify_high_watermark();
  return flushed;
}

result<void> partition_log::flush_locked(bool& hw_moved) {
  std::vector<std::shared_ptr<segment>> unsealed;
  std::shared_ptr<file> log;
  log_position target;
  uint64_t truncations = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return describe(errc::closed, "the log is closed");
    if (failed_) return describe(errc::log_failed, failed_->message);
    for (size_t i = 0; i + 1 < segments_.size(); ++i) {
      if (!segments_[i]->sealed()) unsealed.push_back(segments_[i]);
    }
    if (unsealed.empty() && durable_.at >= log_end_) return success();
    log = active().log_file();
    target = end_position();
    truncations = truncations_;
  }
  // Rolled segments take no appends, so they are sealed without the lock. Their index files are
  // derived from the log: failing to write them (the disk is full) loses nothing, and the next
  // flush tries again. A failed seal after that is never retried: its data may be gone even if a
  // second fsync reports success.
  for (const auto& seg : unsealed) {
    if (auto written = seg->write_indexes(); !written) return annotate(written.error());
    auto sealed = seg->seal();
    if (!sealed) {
      std::lock_guard lock(mutex_);
      return fail("sealing rolled segment " + std::to_string(seg->base_offset().value) +
                  " failed (" + sealed.error().message + ")");
    }
  }
  if (!unsealed.empty()) {
    {
      // Everything before the active segment is on disk now.
      std::lock_guard lock(mutex_);
      const log_position start{target.segment_base, target.segment_base, 0};
      if (truncations == truncations_ && durable_.at < start.at) {
        durable_ = start;
        if (options_.policy == flush_policy::always && visible_.at < start.at) {
          visible_ = start;
          hw_moved = true;
        }
      }
    }
    // Conservative if it fails: recovery then checks more segments than it needs to.
    auto stored = store_recovery_point(target.segment_base);
    if (!stored) log_warn(annotate(stored.error()).message);
  }
  auto synced = log->sync();
  std::lock_guard lock(mutex_);
  if (failed_) return describe(errc::log_failed, failed_->message);
  if (!synced) {
    if (truncations == truncations_ && target.segment_base == active().base_offset()) {
      return discard_undurable(synced.error());
    }
    return fail("fsync failed while the segment rolled (" + synced.error().message + ")");
  }
  if (truncations == truncations_ && target.at > durable_.at) {
    durable_ = target;
    if (options_.policy == flush_policy::always && target.at > visible_.at) {
      visible_ = target;
      hw_moved = true;
    }
  }
  return success();
}

result<read_result> partition_log::read(offset from, uint64_t max_bytes) {
  std::lock_guard lock(mutex_);
  if (closed_) return describe(errc::closed, "the log is closed");
  read_result out;
  out.high_watermark = visible_.at;
  out.log_start = segments_.front()->base_offset();
  if (from < out.log_start || from > visible_.at) {
    return describe(errc::offset_out_of_range, "offset " + std::to_string(from.value) +
                                                   " is outside [" +
                                                   std::to_string(out.log_start.value) + ", " +
                                                   std::to_string(visible_.at.value) + "]");
  }
  out.next_offset = from;
  auto it = std::upper_bound(segments_.begin(), segments_.end(), from,
                             [](offset o, const auto& s) { return o < s->base_offset(); });
  for (--it; it != segments_.end() && from < visible_.at; ++it) {
    SLUICE_TRY(range, (*it)->read(from, max_bytes, visible_bytes(**it), visible_.at));
    if (range) {
      out.bytes = range->range.length;
      out.next_offset = range->next;
      out.ranges.push_back(std::move(range->range));
      break;
    }
    if (std::next(it) != segments_.end()) from = std::max(from, (*std::next(it))->base_offset());
  }
  return out;
}

result<std::optional<offset>> partition_log::offset_for_timestamp(int64_t ts) {
  std::lock_guard lock(mutex_);
  if (closed_) return describe(errc::closed, "the log is closed");
  for (const auto& seg : segments_) {
    if (seg->max_timestamp() < ts) continue;
    SLUICE_TRY(found, seg->offset_for_timestamp(ts, visible_bytes(*seg), options_.limits));
    if (found) return found;
  }
  return std::optional<offset>{};
}

offset partition_log::log_start() const {
  std::lock_guard lock(mutex_);
  return segments_.front()->base_offset();
}

offset partition_log::log_end() const {
  std::lock_guard lock(mutex_);
  return log_end_;
}

int64_t partition_log::max_timestamp() const {
  std::lock_guard lock(mutex_);
  int64_t out = no_timestamp;
  for (const auto& seg : segments_)
    out = std::max(out, seg->max_timestamp());
  return out;
}

offset partition_log::high_watermark() const {
  std::lock_guard lock(mutex_);
  return visible_.at;
}

offset partition_log::durable_end() const {
  std::lock_guard lock(mutex_);
  return durable_.at;
}

durability_state partition_log::durability() const {
  std::lock_guard lock(mutex_);
  durability_state st{durable_.at, log_end_, truncations_, std::nullopt};
  if (failed_) {
    st.failed = describe(errc::log_failed, failed_->message);
  } else if (closed_) {
    st.failed = describe(errc::closed, "the log is closed");
  }
  return st;
}

uint64_t partition_log::size_bytes() const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto& s : segments_)
    total += s->size();
  return total;
}

size_t partition_log::segment_count() const {
  std::lock_guard lock(mutex_);
  return segments_.size();
}

log_config partition_log::config() const {
  std::lock_guard lock(mutex_);
  return options_.config;
}

void partition_log::set_config(const log_config& config) {
  std::lock_guard lock(mutex_);
  options_.config = config;
}

result<size_t> partition_log::enforce_retention(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (closed_ || failed_) return size_t{0};
  std::vector<segment_summary> summaries;
  for (const auto& s : segments_)
    summaries.push_back({s->size(), s->max_timestamp()});
  size_t expired = expired_segments(summaries, options_.config, now_ms);
  if (expired == segments_.size()) {
    SLUICE_TRY(roll(true));
  }
  for (size_t i = 0; i < expired; ++i) {
    // Sealed first, so that the flusher, if it is sealing it too, finishes before the files go.
    SLUICE_TRY(segments_[i]->seal());
    SLUICE_TRY(segments_[i]->remove());
  }
  if (expired == 0) return size_t{0};
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<ptrdiff_t>(expired));
  SLUICE_TRY(fs_.sync_directory(dir_));
  return expired;
}

std::vector<segment_snapshot> partition_log::inactive_segments() const {
  std::lock_guard lock(mutex_);
  std::vector<segment_snapshot> out;
  if (closed_ || failed_) return out;
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    const auto& s = *segments_[i];
    // Recovery checks segments from the recovery point on with the rules of unwritten ones,
    // which compacted segments would fail.
    if (!s.sealed() || s.base_offset() >= recovery_point_) break;
    out.push_back({s.base_offset(), s.log_file(), s.size(), s.max_timestamp()});
  }
  return out;
}

result<void> partition_log::replace_segment(offset base, std::unique_ptr<segment> cleaned,
                                            const fs::path& staging_dir) {
  std::lock_guard lock(mutex_);
  if (closed_) return describe(errc::closed, "the log is closed");
  auto it = std::find_if(segments_.begin(), segments_.end(),
                         [&](const auto& s) { return s->base_offset() == base; });
  if (it == segments_.end() || std::next(it) == segments_.end()) {
    return describe(errc::log_failed, "segment " + std::to_string(base.value) +
                                          " is gone or active; compaction result dropped");
  }
  // Each step leaves a log whose index files either match it or are missing (then rebuilt).
  SLUICE_TRY(fs_.remove((*it)->path(".index")));
  SLUICE_TRY(fs_.remove((*it)->path(".timeindex")));
  SLUICE_TRY(fs_.rename(staging_dir / segment::file_name(base, ".log"), (*it)->path(".log")));
  SLUICE_TRY(fs_.rename(staging_dir / segment::file_name(base, ".index"), (*it)->path(".index")));
  SLUICE_TRY(
      fs_.rename(staging_dir / segment::file_name(base, ".timeindex"), (*it)->path(".timeindex")));
  SLUICE_TRY(fs_.sync_directory(dir_));
  cleaned->moved_to(dir_);
  *it = std::move(cleaned);
  return success();
}

void partition_log::set_high_watermark_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  hw_listener_ = std::move(listener);
}

void partition_log::notify_high_watermark() {
  std::function<void()> listener;
  {
    std::lock_guard lock(mutex_);
    listener = hw_listener_;
  }
  if (listener) listener();
}

result<void> partition_log::close() {
  std::lock_guard flushing(flush_mutex_);
  offset active_base;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return success();
    closed_ = true;
    if (failed_) return describe(errc::log_failed, failed_->message);
    for (auto& seg : segments_) {
      auto sealed = seg->seal();
      if (!sealed) {
        return seg == segments_.back() ? discard_undurable(sealed.error())
                                       : annotate(sealed.error());
      }
    }
    durable_ = end_position();
    if (auto snap = snapshot_producers(); !snap) {
      log_warn(annotate(snap.error()).message);
    }
    active_base = active().base_offset();
    if (active_base == recovery_point_) return success();
  }
  return store_recovery_point(active_base);
}

result<void> partition_log::remove() {
  {
    std::lock_guard flushing(flush_mutex_);
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  return fs_.remove_all(dir_);
}

}  // namespace sluice::storage
