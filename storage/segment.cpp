#include "storage/segment.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "proto/byte_order.h"
#include "storage/errc.h"
#include "storage/log.h"

namespace sluice::storage {
namespace {

constexpr size_t header_walk_buffer = 16 << 10;
constexpr size_t batch_read_buffer = 1 << 20;

// Batches on disk are bounded only by the file; a corrupt length is caught against its size.
const proto::reader_limits scan_limits{.max_batch_bytes = size_t{INT32_MAX} + 12,
                                       .max_uncompressed_bytes = 64 << 20,
                                       .verify_crc = true};

bool is_io_error(const error& e) {
  return e.code.category() == storage_category();
}

}  // namespace

std::string segment::file_name(offset base, std::string_view extension) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020" PRId64, base.value);
  return std::string(digits) + std::string(extension);
}

segment::segment(filesystem& fs, fs::path dir, offset base, uint32_t index_interval_bytes,
                 std::shared_ptr<file> log)
    : fs_(fs),
      dir_(std::move(dir)),
      base_(base),
      index_interval_bytes_(index_interval_bytes),
      log_(std::move(log)),
      next_(base),
      max_ts_offset_(base),
      offset_index_(base),
      time_index_(base) {}

fs::path segment::path(std::string_view extension) const {
  return dir_ / file_name(base_, extension);
}

result<std::unique_ptr<segment>> segment::create(filesystem& fs, const fs::path& dir, offset base,
                                                 uint32_t index_interval_bytes) {
  SLUICE_TRY(log, fs.open(dir / file_name(base, ".log"), true));
  SLUICE_TRY(log->truncate(0));
  std::unique_ptr<segment> s(new segment(fs, dir, base, index_interval_bytes, log));
  s->loaded_ = true;
  return s;
}

result<std::unique_ptr<segment>> segment::open(filesystem& fs, const fs::path& dir, offset base,
                                               uint32_t index_interval_bytes, open_mode mode,
                                               recovery_stats* stats) {
  SLUICE_TRY(log, fs.open(dir / file_name(base, ".log"), false));
  std::unique_ptr<segment> s(new segment(fs, dir, base, index_interval_bytes, log));
  SLUICE_TRY(size, log->size());
  s->size_ = size;
  if (mode != open_mode::trust) {
    SLUICE_TRY(s->recover(stats, mode == open_mode::recover));
    return s;
  }
  // Trusted: the max timestamp is the last time index entry (seal() puts it there).
  auto times = read_whole_file(fs, s->path(".timeindex"));
  auto parsed = times ? time_index::parse(base, times.value()) : result<time_index>(times.error());
  if (!parsed || (!s->empty() && !parsed.value().last())) {
    SLUICE_TRY(s->load_indexes());
  } else {
    auto last = parsed.value().last();
    s->max_ts_ = last ? last->timestamp : no_timestamp;
    s->sealed_ = true;
  }
  return s;
}

result<void> segment::ensure_loaded() {
  if (loaded_) return success();
  return load_indexes();
}

void segment::reset_indexes() {
  offset_index_ = offset_index(base_);
  time_index_ = time_index(base_);
  max_ts_ = no_timestamp;
  max_ts_offset_ = base_;
  next_ = base_;
  bytes_since_index_ = 0;
}

result<void> segment::load_indexes() {
  auto offsets = read_whole_file(fs_, path(".index"));
  auto times = read_whole_file(fs_, path(".timeindex"));
  bool parsed = false;
  if (offsets && times) {
    auto oi = offset_index::parse(base_, offsets.value(), size_);
    auto ti = time_index::parse(base_, times.value());
    if (oi && ti) {
      offset_index_ = std::move(oi).value();
      time_index_ = std::move(ti).value();
      parsed = true;
    }
  }
  if (parsed) {
    auto tail = rescan_tail();
    if (tail) {
      loaded_ = true;
      sealed_ = true;
      return success();
    }
    if (is_io_error(tail.error())) return tail.error();
  }
  // Missing, stale or inconsistent index files: rebuild them from the batches.
  SLUICE_TRY(recover(nullptr, false));
  return seal();
}

result<void> segment::rescan_tail() {
  auto last = offset_index_.floor_position(size_);
  auto last_time = time_index_.last();
  max_ts_ = last_time ? last_time->timestamp : no_timestamp;
  max_ts_offset_ = last_time ? last_time->batch_offset : base_;
  next_ = last.batch_offset;
  bytes_since_index_ = 0;
  log_scanner scanner(*log_, last.position, size_, header_walk_buffer, scan_limits);
  while (true) {
    uint64_t position = scanner.position();
    SLUICE_TRY(batch, scanner.next_batch());
    if (!batch) break;
    if (batch->header.base_offset < next_) {
      return make_error(errc::corrupt_batch, "offsets go backwards at byte " +
                                                 std::to_string(position) + " of " +
                                                 path(".log").string());
    }
    index_batch(position, batch->header);
  }
  return success();
}

result<void> segment::recover(recovery_stats* stats, bool contiguous) {
  reset_indexes();
  log_scanner scanner(*log_, 0, size_, batch_read_buffer, scan_limits);
  std::string reason;
  uint64_t good = 0;  // end of the last batch that passed every check
  while (true) {
    uint64_t position = scanner.position();
    auto batch = scanner.next_batch();
    if (!batch) {
      if (is_io_error(batch.error())) return batch.error();
      reason = batch.error().message;
      break;
    }
    if (!batch.value()) break;
    const auto& h = batch.value()->header;
    // baseOffset and partitionLeaderEpoch are outside the CRC: check them against what they
    // must be.
    bool offset_ok = contiguous ? h.base_offset == next_ : h.base_offset >= next_;
    if (!offset_ok || h.last_offset() - base_ > int64_t{UINT32_MAX}) {
      reason = "batch at byte " + std::to_string(position) + " has offset " +
               std::to_string(h.base_offset.value) + ", expected " +
               (contiguous ? "" : "at least ") + std::to_string(next_.value);
      break;
    }
    if (h.partition_leader_epoch != leader_epoch) {
      reason = "batch at byte " + std::to_string(position) + " has partitionLeaderEpoch " +
               std::to_string(h.partition_leader_epoch);
      break;
    }
    index_batch(position, h);
    good = scanner.position();
    if (stats) ++stats->batches_scanned;
  }
  // Also when nothing is cut: frees what a crash left preallocated past the end.
  SLUICE_TRY(log_->truncate(good));
  allocated_end_ = good;
  if (good < size_) {
    if (stats) {
      stats->bytes_truncated += size_ - good;
      stats->truncation_reason = reason;
    }
    size_ = good;
  }
  loaded_ = true;
  sealed_ = false;
  indexes_written_ = false;
  return success();
}

void segment::index_batch(uint64_t position, const proto::batch_header& header) {
  if (header.max_timestamp > max_ts_) {
    max_ts_ = header.max_timestamp;
    max_ts_offset_ = header.base_offset;
  }
  if (bytes_since_index_ >= index_interval_bytes_) {
    offset_index_.append(header.base_offset, static_cast<uint32_t>(position));
    time_index_.maybe_append(max_ts_, max_ts_offset_);
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += header.total_size();
  next_ = header.next_offset();
}

result<offset> segment::next_offset() {
  SLUICE_TRY(ensure_loaded());
  return next_;
}

result<int64_t> segment::rolling_time(int64_t now_ms) {
  if (empty()) return no_timestamp;
  if (rolling_ms_ == no_timestamp) {
    std::vector<std::byte> header(proto::batch_layout::header_size);
    SLUICE_TRY(n, log_->read_at(header, 0));
    auto h = proto::parse_batch_header(std::span<const std::byte>(header).first(n));
    // A producer's timestamp may be anything; only a plausible one is kept.
    bool plausible = h && h.value().max_timestamp >= 0;
    rolling_ms_ = plausible ? std::min(now_ms, h.value().max_timestamp) : now_ms;
  }
  return rolling_ms_;
}

void segment::preallocate(uint64_t end, uint64_t step) {
  if (step == 0 || end <= allocated_end_ || !preallocation_works_) return;
  // A young segment gets as much again as it holds, so that idle partitions reserve little; a
  // batch larger than the step gets room for another like it.
  step = std::max(std::min(step, std::max(size_, min_preallocate_bytes)), end - size_);
  const uint64_t from = std::max(allocated_end_, size_);
  const uint64_t to = end + step;
  // Even on failure: part of the range may be allocated, and seal() frees it.
  allocated_end_ = to;
  if (auto done = log_->preallocate(from, to - from); !done) {
    preallocation_works_ = false;  // the write itself reports a full disk
    static std::atomic<bool> warned = false;
    if (!warned.exchange(true)) {
      log_warn(done.error().message +
               "; appending without preallocation (later refusals are not logged)");
    }
  }
}

result<void> segment::append(std::span<const std::byte> batch, const proto::batch_header& header,
                             int64_t now_ms, uint64_t preallocate_bytes) {
  SLUICE_TRY(ensure_loaded());
  preallocate(size_ + batch.size(), preallocate_bytes);
  auto written = log_->write_at(batch, size_);
  if (!written) {
    allocated_end_ = size_;  // truncating frees what was allocated past the end
    auto undone = log_->truncate(size_);
    if (!undone) {
      return make_error(errc::log_failed, written.error().message +
                                              "; cutting off the partial write failed too: " +
                                              undone.error().message);
    }
    return written.error();
  }
  if (empty()) rolling_ms_ = now_ms;
  index_batch(size_, header);
  size_ += batch.size();
  sealed_ = false;
  indexes_written_ = false;
  return success();
}

result<std::optional<batch_location>> segment::locate(offset target, uint64_t end_pos) {
  SLUICE_TRY(ensure_loaded());
  auto entry = offset_index_.floor(target);
  log_scanner scanner(*log_, entry.position, std::min(end_pos, size_), header_walk_buffer,
                      scan_limits);
  while (true) {
    SLUICE_TRY(loc, scanner.next_header());
    if (!loc || loc->header.last_offset() >= target) return loc;
  }
}

result<std::optional<segment::read_range>> segment::read(offset from, uint64_t max_bytes,
                                                         uint64_t end_pos, offset end_offset) {
  if (end_pos >= size_) {
    end_pos = size_;
    SLUICE_TRY(next, next_offset());
    end_offset = next;
  }
  SLUICE_TRY(first, locate(from, end_pos));
  if (!first) return std::optional<read_range>{};
  const uint64_t start = first->position;
  uint64_t stop = start + first->header.total_size();
  offset next = first->header.next_offset();
  if (end_pos - start <= max_bytes) {
    stop = end_pos;
    next = end_offset;
  } else if (stop - start < max_bytes) {
    const uint64_t limit = start + max_bytes;
    // Batches before an indexed position <= limit all fit; walk headers only after it.
    auto indexed = offset_index_.floor_position(limit);
    if (indexed.position > stop) {
      stop = indexed.position;
      next = indexed.batch_offset;
    }
    log_scanner scanner(*log_, stop, end_pos, header_walk_buffer, scan_limits);
    while (true) {
      SLUICE_TRY(loc, scanner.next_header());
      if (!loc || loc->position + loc->header.total_size() > limit) break;
      stop = loc->position + loc->header.total_size();
      next = loc->header.next_offset();
    }
  }
  return std::optional<read_range>{read_range{file_range{log_, start, stop - start}, next}};
}

result<std::optional<offset>> segment::offset_for_timestamp(int64_t ts, uint64_t end_pos,
                                                            const proto::reader_limits& limits) {
  SLUICE_TRY(ensure_loaded());
  if (max_ts_ < ts) return std::optional<offset>{};
  uint64_t start = 0;
  if (auto before = time_index_.last_before(ts)) {
    start = offset_index_.floor(before->batch_offset).position;
  }
  log_scanner scanner(*log_, start, std::min(end_pos, size_), header_walk_buffer, scan_limits);
  while (true) {
    SLUICE_TRY(loc, scanner.next_header());
    if (!loc) return std::optional<offset>{};
    if (loc->header.max_timestamp < ts) continue;
    std::vector<std::byte> bytes(loc->header.total_size());
    SLUICE_TRY(n, log_->read_at(bytes, loc->position));
    bytes.resize(n);
    auto batch = proto::validate_batch(bytes);
    if (!batch) return make_error(errc::corrupt_batch, batch.error().message);
    auto records = proto::record_iterator::open({batch.value(), bytes}, limits);
    // Records the broker cannot decode (it checks only headers and CRCs on append): the batch
    // as a whole is the answer.
    if (!records) return std::optional<offset>{loc->header.base_offset};
    while (true) {
      auto record = records.value().next();
      if (!record) return std::optional<offset>{loc->header.base_offset};
      if (!record.value()) break;
      if (record.value()->timestamp >= ts) {
        return std::optional<offset>{record.value()->record_offset};
      }
    }
  }
}

result<void> segment::truncate(uint64_t pos, offset next) {
  SLUICE_TRY(ensure_loaded());
  SLUICE_TRY(log_->truncate(pos));
  size_ = pos;
  allocated_end_ = pos;
  offset_index_.truncate_from(pos);
  time_index_.truncate_from(next);
  sealed_ = false;
  indexes_written_ = false;
  SLUICE_TRY(rescan_tail());
  if (next_ != next) {
    return make_error(errc::log_failed, "truncating " + path(".log").string() + " at byte " +
                                            std::to_string(pos) + " left next offset " +
                                            std::to_string(next_.value) + ", expected " +
                                            std::to_string(next.value));
  }
  return success();
}

void segment::finish() {
  if (max_ts_ != no_timestamp) time_index_.maybe_append(max_ts_, max_ts_offset_);
}

result<void> segment::seal() {
  std::lock_guard lock(seal_mutex_);
  if (sealed_) return success();
  SLUICE_TRY(write_indexes_locked());
  // Giving back the preallocated tail is best effort: it holds no data, and failing the seal
  // for it would fail the partition.
  if (allocated_end_ > size_ && log_->truncate(size_)) allocated_end_ = size_;
  SLUICE_TRY(log_->sync());
  SLUICE_TRY(fs_.sync_directory(dir_));
  sealed_ = true;
  return success();
}

result<void> segment::write_indexes() {
  std::lock_guard lock(seal_mutex_);
  if (sealed_) return success();
  return write_indexes_locked();
}

result<void> segment::write_indexes_locked() {
  if (indexes_written_) return success();
  SLUICE_TRY(ensure_loaded());
  finish();
  // Index files are replaced whole (temporary file, fsync, rename): a crash never leaves a
  // prefix that looks valid.
  for (auto [extension, bytes] : {std::pair{".index", offset_index_.serialize()},
                                  std::pair{".timeindex", time_index_.serialize()}}) {
    fs::path tmp = path(extension);
    tmp += ".tmp";
    SLUICE_TRY(f, fs_.open(tmp, true));
    SLUICE_TRY(f->truncate(0));
    SLUICE_TRY(f->write_at(bytes, 0));
    SLUICE_TRY(f->sync());
    SLUICE_TRY(fs_.rename(tmp, path(extension)));
  }
  indexes_written_ = true;
  return success();
}

result<void> segment::remove() {
  for (const char* extension : {".log", ".index", ".timeindex"}) {
    SLUICE_TRY(fs_.remove(path(extension)));
  }
  return success();
}

}  // namespace sluice::storage
