// One segment of a partition log: a .log file of batches laid end to end, starting at the
// segment's base offset, with its sparse .index and .timeindex (storage/FORMAT.md).
//
// A segment is not thread-safe; its partition_log serialises access. Segments that were closed
// cleanly are opened without reading their batches: indexes load on first use.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "proto/batch_reader.h"
#include "proto/record_batch.h"
#include "proto/result.h"
#include "storage/file_io.h"
#include "storage/log_scanner.h"
#include "storage/offset_index.h"
#include "storage/time_index.h"

namespace sluice::storage {

// A byte range of a .log file holding whole batches, for zero-copy sends. `source` keeps the
// file open even if the segment is deleted meanwhile.
struct file_range {
  std::shared_ptr<file> source;
  uint64_t position = 0;
  uint64_t length = 0;
};

struct recovery_stats {
  uint64_t batches_scanned = 0;
  uint64_t bytes_truncated = 0;
  std::string truncation_reason;  // empty when nothing was truncated
};

// Timestamp of a segment or batch that has none.
inline constexpr int64_t no_timestamp = -1;

// The least disk space a segment preallocates ahead at a time (see segment::append), and so the
// least nonzero preallocation step a broker accepts.
inline constexpr uint64_t min_preallocate_bytes = 64 << 10;

// The partitionLeaderEpoch the log stamps on every batch: a single node is always epoch 0.
// The field is outside the CRC, so recovery checks it against this value.
inline constexpr int32_t leader_epoch = 0;

class segment {
 public:
  enum class open_mode {
    trust,    // cleanly closed: trust the index files, read the batches only when needed
    recover,  // after a crash: check every batch, cut the log at the first bad one, rebuild
    rebuild,  // a compacted segment: like recover, but offsets may have gaps between batches
  };

  // "00000000000000000042.log" for base 42 and extension ".log".
  [[nodiscard]] static std::string file_name(offset base, std::string_view extension);

  [[nodiscard]] static result<std::unique_ptr<segment>> create(filesystem& fs, const fs::path& dir,
                                                               offset base,
                                                               uint32_t index_interval_bytes);

  [[nodiscard]] static result<std::unique_ptr<segment>> open(filesystem& fs, const fs::path& dir,
                                                             offset base,
                                                             uint32_t index_interval_bytes,
                                                             open_mode mode,
                                                             recovery_stats* stats = nullptr);

  [[nodiscard]] offset base_offset() const noexcept { return base_; }
  [[nodiscard]] uint64_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  // Largest record timestamp in the segment, or no_timestamp when empty.
  [[nodiscard]] int64_t max_timestamp() const noexcept { return max_ts_; }
  [[nodiscard]] const std::shared_ptr<file>& log_file() const noexcept { return log_; }

  // One past the last offset in the segment (the base offset when empty). Loads the indexes.
  [[nodiscard]] result<offset> next_offset();

  // Wall-clock time the segment started taking appends: its first append, or after a restart the
  // first batch's timestamp (capped at `now_ms`). no_timestamp when empty.
  [[nodiscard]] result<int64_t> rolling_time(int64_t now_ms);

  // Appends one whole batch whose header (base offset already assigned) is `header`. On failure
  // the segment is as before: a partial write is cut off again, and if that fails too the error
  // is errc::log_failed.
  //
  // With `preallocate_bytes`, the file's disk space is first allocated that far past the end of
  // the batch (while the segment is smaller than that, as far as it is long, at least 64 KiB;
  // never less than the batch), a step at a time, so that most writes allocate no blocks. This is
  // best effort: a filesystem that cannot preallocate gets plain writes. seal() and truncate() give
  // back what was allocated past the end.
  [[nodiscard]] result<void> append(std::span<const std::byte> batch,
                                    const proto::batch_header& header, int64_t now_ms,
                                    uint64_t preallocate_bytes = 0);

  // The first batch whose last offset is >= target, among those that start before `end_pos`.
  [[nodiscard]] result<std::optional<batch_location>> locate(offset target, uint64_t end_pos);

  struct read_range {
    file_range range;
    offset next;  // the offset after the last batch in `range`
  };

  // Whole batches from the one holding `from`, at most `max_bytes` of them (but always the
  // first), ending at or before `end_pos`, which is the position of offset `end_offset`.
  // nullopt when no batch there reaches `from`.
  [[nodiscard]] result<std::optional<read_range>> read(offset from, uint64_t max_bytes,
                                                       uint64_t end_pos, offset end_offset);

  // The offset of the first record whose timestamp is >= ts, among batches before `end_pos`.
  [[nodiscard]] result<std::optional<offset>> offset_for_timestamp(
      int64_t ts, uint64_t end_pos, const proto::reader_limits& limits);

  // Cuts the log at byte `pos`, a batch boundary, after which the next offset is `next`.
  [[nodiscard]] result<void> truncate(uint64_t pos, offset next);

  // fdatasync of the .log file.
  [[nodiscard]] result<void> sync() { return log_->sync(); }

  // Ends the time index at the segment's max timestamp. Called when the segment stops taking
  // appends; afterwards the segment's in-memory state changes no more (but for seal() giving
  // back preallocated space), so seal() may run on another thread while readers use it.
  void finish();

  // finish(), then writes both index files and syncs all three files. Done for a segment that
  // stopped being the active one, and for the active one at shutdown. Does nothing if nothing
  // changed since the last seal. Two threads may seal the same segment; one does the work.
  [[nodiscard]] result<void> seal();
  // The first half of seal(): finish(), then write and sync both index files. They are derived
  // from the log, so a failure here (a full disk, say) loses nothing and may be retried; a
  // failure in seal() after it may have lost log data and must not be. seal() skips this step
  // when it already succeeded.
  [[nodiscard]] result<void> write_indexes();
  [[nodiscard]] bool sealed() const noexcept { return sealed_; }

  // Deletes the segment's files. Readers holding its file_range keep reading the old bytes.
  [[nodiscard]] result<void> remove();

  [[nodiscard]] fs::path path(std::string_view extension) const;

  // Records that the segment's files were renamed into `dir` (open handles stay valid).
  void moved_to(fs::path dir) { dir_ = std::move(dir); }

 private:
  segment(filesystem& fs, fs::path dir, offset base, uint32_t index_interval_bytes,
          std::shared_ptr<file> log);

  [[nodiscard]] result<void> ensure_loaded();
  [[nodiscard]] result<void> write_indexes_locked();  // REQUIRES: seal_mutex_ held
  // Loads the index files and checks the batches after the last index entry.
  [[nodiscard]] result<void> load_indexes();
  // Checks every batch, cuts the log at the first bad one and rebuilds the indexes. With
  // `contiguous`, each batch must start where the previous one ended (an active segment);
  // otherwise offsets need only increase (a compacted segment).
  [[nodiscard]] result<void> recover(recovery_stats* stats, bool contiguous);
  // Recomputes next offset, max timestamp and the index cadence from the last offset index
  // entry to the end. Fails on any bad batch there.
  [[nodiscard]] result<void> rescan_tail();
  void reset_indexes();
  // Accounts for one batch written at `position`: indexes, next offset, max timestamp.
  void index_batch(uint64_t position, const proto::batch_header& header);
  // Makes sure disk space is allocated up to `end`, allocating `step` past it when it is not.
  void preallocate(uint64_t end, uint64_t step);

  filesystem& fs_;
  fs::path dir_;
  offset base_;
  uint32_t index_interval_bytes_;
  std::shared_ptr<file> log_;

  uint64_t size_ = 0;
  // Disk space may be allocated up to here; past size_, seal() frees it. Once the segment takes
  // no more appends, only seal() changes it, under seal_mutex_.
  uint64_t allocated_end_ = 0;
  bool preallocation_works_ = true;  // false once the filesystem refused
  int64_t max_ts_ = no_timestamp;
  bool loaded_ = false;
  std::atomic<bool> sealed_ = false;
  std::mutex seal_mutex_;
  std::atomic<bool> indexes_written_ = false;  // the first half of sealed_
  offset next_;
  offset max_ts_offset_;
  int64_t rolling_ms_ = no_timestamp;
  uint64_t bytes_since_index_ = 0;
  offset_index offset_index_;
  time_index time_index_;
};

}  // namespace sluice::storage
