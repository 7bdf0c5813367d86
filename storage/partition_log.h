// The log of one partition: a directory of segments with one active segment taking appends.
// Assigns offsets, tracks log start, log end, the durable end and the high watermark (what
// readers may see), reads by offset and by timestamp, and applies retention and compaction.
//
// Thread-safe: appends and reads come from the broker's threads, flushes from the flusher,
// retention and compaction from the maintenance thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "proto/batch_reader.h"
#include "proto/result.h"
#include "proto/types.h"
#include "storage/errc.h"
#include "storage/file_io.h"
#include "storage/flush_policy.h"
#include "storage/log_config.h"
#include "storage/producer_state.h"
#include "storage/segment.h"

namespace sluice::storage {

class flusher;

// Folder inside a partition directory where the compactor builds replacement segments.
inline constexpr std::string_view compaction_staging_dir = ".cleaning";

using clock_fn = std::function<int64_t()>;  // wall-clock milliseconds since the epoch

[[nodiscard]] int64_t system_clock_ms();

inline constexpr uint64_t default_preallocate_bytes = 1u << 20;

struct partition_options {
  log_config config;
  flush_policy policy = flush_policy::interval;
  clock_fn clock = system_clock_ms;
  storage::flusher* flusher = nullptr;  // schedules fsyncs; null: only flush() syncs
  proto::reader_limits limits;          // for decoding records in timestamp lookups and compaction
  // Disk space allocated ahead of the active segment's end, at most (see segment::append); 0:
  // none.
  uint64_t preallocate_bytes = default_preallocate_bytes;
};

struct append_info {
  offset base;
  offset last;
  int64_t log_append_time = no_timestamp;  // set when the topic uses LogAppendTime
  bool duplicate = false;  // an idempotent retry: these are the offsets it got the first time
  uint64_t epoch = 0;      // the log's truncation count when appended; see durability_state()
};

// Where a log stands on durability, for the flusher's waiters.
struct durability_state {
  offset durable_end;
  offset log_end;
  uint64_t epoch = 0;           // bumped each time undurable appends are cut off and offsets reused
  std::optional<error> failed;  // the log is closed or failed: nothing more becomes durable
};

struct read_result {
  std::vector<file_range> ranges;  // whole batches, in offset order
  uint64_t bytes = 0;
  offset next_offset;  // after the last batch returned; the offset asked for when none was
  offset high_watermark;
  offset log_start;
};

// What the compactor may rewrite: a segment that no longer takes appends.
struct segment_snapshot {
  offset base;
  std::shared_ptr<file> log;
  uint64_t size = 0;
  int64_t max_timestamp = no_timestamp;
};

class partition_log : public std::enable_shared_from_this<partition_log> {
 public:
  // Opens (or creates) the partition in `dir`. `clean` says the data dir was closed cleanly:
  // then no batch is read. Otherwise every segment from the recovery point on is checked batch
  // by batch and cut at the first torn or corrupt one (later segments are dropped), and what
  // remains is synced.
  [[nodiscard]] static result<std::shared_ptr<partition_log>> open(
      filesystem& fs, fs::path dir, std::string topic, partition_id id, partition_options options,
      bool clean, recovery_stats* stats = nullptr);

  partition_log(const partition_log&) = delete;
  partition_log& operator=(const partition_log&) = delete;

  [[nodiscard]] const std::string& topic() const noexcept { return topic_; }
  [[nodiscard]] partition_id id() const noexcept { return id_; }
  [[nodiscard]] const fs::path& dir() const noexcept { return dir_; }

  // Validates one batch (length, magic, CRC, record count, max.message.bytes), gives it the next
  // offsets by patching its baseOffset and partitionLeaderEpoch in place (and under
  // LogAppendTime its maxTimestamp and CRC), and writes it. Nothing else in the batch changes.
  // A failed append leaves the log as it was. A batch from an idempotent producer that is
  // already in the log is not written again: the result has `duplicate` and the original
  // offsets. A sequence gap is errc::out_of_order_sequence, a stale producer epoch
  // errc::invalid_producer_epoch.
  [[nodiscard]] result<append_info> append(std::span<std::byte> batch);

  // Whole batches from the one holding `from`, up to `max_bytes` (at least one batch), never
  // past the high watermark. Empty at the high watermark; errc::offset_out_of_range below log
  // start or past the high watermark.
  [[nodiscard]] result<read_result> read(offset from, uint64_t max_bytes);

  // The first offset whose record timestamp is >= ts, or nullopt if none is (yet).
  [[nodiscard]] result<std::optional<offset>> offset_for_timestamp(int64_t ts);

  [[nodiscard]] offset log_start() const;
  [[nodiscard]] offset log_end() const;
  // The largest record timestamp appended (event time, or the broker's under LogAppendTime)
  // among the records still in the log; no_timestamp when it holds none.
  [[nodiscard]] int64_t max_timestamp() const;
  // Readers see offsets below it: the durable end under flush policy `always`, else the log end.
  [[nodiscard]] offset high_watermark() const;
  // Offsets below it are on stable storage.
  [[nodiscard]] offset durable_end() const;
  [[nodiscard]] durability_state durability() const;
  [[nodiscard]] uint64_t size_bytes() const;
  [[nodiscard]] size_t segment_count() const;
  [[nodiscard]] log_config config() const;
  void set_config(const log_config& config);

  // Makes everything appended so far durable: seals the segments that rolled since the last
  // flush, then fsyncs the active one. If the fsync fails, the appends it covered are never
  // acknowledged as durable: under flush policy `always` (readers saw none of them) they are
  // cut off and the log goes on; otherwise the log fails until restart, when recovery checks
  // them. Fails on a closed or failed log.
  [[nodiscard]] result<void> flush();

  // Deletes whole segments past retention.ms / retention.bytes. Returns how many.
  [[nodiscard]] result<size_t> enforce_retention(int64_t now_ms);

  // Forgets idempotent producers that have not written for `expiration_ms`.
  void expire_producers(int64_t now_ms, int64_t expiration_ms);

  // Persists the recovery point if segments were sealed since it was last written, so that
  // recovery and the compactor know they are.
  [[nodiscard]] result<void> checkpoint();

  // For the compactor: the sealed segments before the active one and below the recovery point.
  [[nodiscard]] std::vector<segment_snapshot> inactive_segments() const;
  // For the compactor: replaces segment `base` with `cleaned`, a segment of the same base offset
  // built in `staging_dir`, by renaming its files into place. Fails if `base` is gone or active.
  [[nodiscard]] result<void> replace_segment(offset base, std::unique_ptr<segment> cleaned,
                                             const fs::path& staging_dir);
  [[nodiscard]] filesystem& fs() const noexcept { return fs_; }

  // Called, without locks held, each time the high watermark moves forward.
  void set_high_watermark_listener(std::function<void()> listener);

  // Seals every segment (indexes written, everything synced). Appends fail afterwards.
  [[nodiscard]] result<void> close();
  // Closes the log and deletes its directory.
  [[nodiscard]] result<void> remove();

 private:
  // A point in the log: an offset and where it falls in the segment files.
  struct log_position {
    offset at;
    offset segment_base;  // the segment holding `at`
    uint64_t pos = 0;     // byte position of `at` in that segment
  };

  partition_log(filesystem& fs, fs::path dir, std::string topic, partition_id id,
                partition_options options);

  segment& active() { return *segments_.back(); }
  [[nodiscard]] log_position end_position() const;
  // Bytes of `s` readers may see.
  [[nodiscard]] uint64_t visible_bytes(const segment& s) const;
  [[nodiscard]] result<bool> maybe_roll(uint64_t batch_bytes, int32_t last_offset_delta,
                                        int64_t now_ms);
  // Starts a new active segment. The old one is sealed by the flusher, or at once when
  // `seal_now` or when there is no flusher.
  [[nodiscard]] result<void> roll(bool seal_now);
  // After a failed fsync: cuts the active segment back to the durable end when no reader can
  // have seen the appends past it, else fails the log. REQUIRES: mutex_.
  [[nodiscard]] error discard_undurable(const error& cause);
  [[nodiscard]] error fail(const std::string& why);
  // Loads the newest usable producer snapshot and replays the batches after it.
  [[nodiscard]] result<void> load_producers();
  // Writes a producer snapshot as of the log end (no fsync: a lost or torn snapshot only means a
  // longer replay) and deletes all but the newest two. REQUIRES: mutex_.
  [[nodiscard]] result<void> snapshot_producers();
  // Persists the recovery point (every segment below `base` is sealed) if it moves it forward.
  // REQUIRES: flush_mutex_.
  [[nodiscard]] result<void> store_recovery_point(offset base);
  // flush() without notifying, under flush_mutex_; sets `hw_moved`.
  [[nodiscard]] result<void> flush_locked(bool& hw_moved);
  [[nodiscard]] error describe(errc code, const std::string& what) const;
  // Prefixes an error from below with "topic-partition: ".
  [[nodiscard]] error annotate(error e) const;
  void notify_high_watermark();

  filesystem& fs_;
  const fs::path dir_;
  const std::string topic_;
  const partition_id id_;
  partition_options options_;

  std::mutex flush_mutex_;  // one flush or close at a time; taken before mutex_, never inside it
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<segment>> segments_;  // by base offset; back() is active
  offset log_end_;
  log_position visible_;  // the high watermark
  log_position durable_;
  uint64_t truncations_ = 0;  // bumped when undurable appends are cut off
  offset recovery_point_;     // as last persisted: every segment below it is sealed
  producer_state producers_;
  std::optional<error> failed_;
  bool closed_ = false;
  std::function<void()> hw_listener_;
};

// The file in a partition directory that holds its recovery point.
inline constexpr std::string_view recovery_point_file = "recovery-point";

}  // namespace sluice::storage
