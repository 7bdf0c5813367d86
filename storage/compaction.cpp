#include "storage/compaction.h"

#include <string>
#include <unordered_map>

#include "proto/batch_builder.h"
#include "storage/errc.h"
#include "storage/log_scanner.h"

namespace sluice::storage {
namespace {

constexpr size_t read_buffer = 1 << 20;

std::string key_string(std::span<const std::byte> key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

error corrupt(const partition_log& log, const error& e) {
  return make_error(errc::corrupt_batch, log.topic() + "-" + std::to_string(log.id().value) +
                                             ": compaction read a bad batch: " + e.message);
}

// Calls fn(batch, records) for every batch of a segment; records is nullopt for a batch whose
// records cannot be decoded.
template <class Fn>
result<void> for_each_batch(partition_log& log, const segment_snapshot& seg,
                            const proto::reader_limits& limits, Fn&& fn) {
  log_scanner scanner(*seg.log, 0, seg.size, read_buffer, limits);
  while (true) {
    auto batch = scanner.next_batch();
    if (!batch) return corrupt(log, batch.error());
    if (!batch.value()) return success();
    // The iterator owns decompressed bytes; it must live while the views are used.
    auto records = proto::record_iterator::open(*batch.value(), limits);
    std::optional<std::vector<proto::record_view>> decoded;
    if (records) {
      std::vector<proto::record_view> out;
      int32_t last_delta = -1;
      bool ok = true;
      while (ok) {
        auto r = records.value().next();
        if (!r || (r.value() && r.value()->offset_delta <= last_delta)) {
          ok = false;
          break;
        }
        if (!r.value()) break;
        last_delta = r.value()->offset_delta;
        out.push_back(*r.value());
      }
      if (ok) decoded = std::move(out);
    }
    SLUICE_TRY(fn(*batch.value(), decoded));
  }
}

// The latest offset of every key in the inactive segments.
result<std::unordered_map<std::string, offset>> latest_offsets(
    partition_log& log, const std::vector<segment_snapshot>& segments,
    const proto::reader_limits& limits) {
  std::unordered_map<std::string, offset> latest;
  for (const auto& seg : segments) {
    SLUICE_TRY(for_each_batch(
        log, seg, limits,
        [&](const proto::batch_view&,
            const std::optional<std::vector<proto::record_view>>& records) -> result<void> {
          if (!records) return success();
          for (const auto& r : *records) {
            if (r.key) latest[key_string(*r.key)] = r.record_offset;
          }
          return success();
        }));
  }
  return latest;
}

// Rewrites one segment into `staging`. Returns false (and writes nothing lasting) when every
// record survives.
result<bool> rewrite_segment(partition_log& log, const segment_snapshot& seg,
                             const std::unordered_map<std::string, offset>& latest,
                             bool tombstones_expired, const fs::path& staging,
                             const proto::reader_limits& limits, compaction_stats& stats) {
  filesystem& fs = log.fs();
  SLUICE_TRY(out, fs.open(staging / segment::file_name(seg.base, ".log"), true));
  SLUICE_TRY(out->truncate(0));
  uint64_t written = 0;
  bool changed = false;
  auto write = [&](std::span<const std::byte> bytes) -> result<void> {
    SLUICE_TRY(out->write_at(bytes, written));
    written += bytes.size();
    return success();
  };
  SLUICE_TRY(for_each_batch(
      log, seg, limits,
      [&](const proto::batch_view& batch,
          const std::optional<std::vector<proto::record_view>>& records) -> result<void> {
        if (!records || batch.header.is_control()) return write(batch.bytes);
        const auto& h = batch.header;
        proto::batch_builder rebuilt({.compression = h.compression(),
                                      .producer_id = h.producer_id,
                                      .producer_epoch = h.producer_epoch,
                                      .base_sequence = h.base_sequence,
                                      .partition_leader_epoch = h.partition_leader_epoch,
                                      .ts_type = h.ts_type()});
        uint64_t removed = 0;
        for (const auto& rec : *records) {
          bool keep = true;
          if (rec.key) {
            auto it = latest.find(key_string(*rec.key));
            bool newest = it != latest.end() && it->second == rec.record_offset;
            bool tombstone = !rec.value.has_value();
            keep = newest && !(tombstone && tombstones_expired);
            if (keep && tombstone) ++stats.tombstones_retained;
          }
          if (!keep) {
            ++removed;
            continue;
          }
          auto headers = rec.headers();
          rebuilt.append_at(rec.offset_delta, rec.timestamp, rec.key, rec.value, headers);
        }
        stats.records_removed += removed;
        if (removed == 0) return write(batch.bytes);
        changed = true;
        if (rebuilt.empty()) return success();
        rebuilt.set_last_offset_delta(h.last_offset_delta);
        SLUICE_TRY(bytes, rebuilt.build(h.base_offset));
        return write(bytes);
      }));
  if (!changed) {
    SLUICE_TRY(fs.remove(staging / segment::file_name(seg.base, ".log")));
    return false;
  }
  SLUICE_TRY(out->sync());
  stats.bytes_before += seg.size;
  stats.bytes_after += written;
  return true;
}

}  // namespace

result<compaction_stats> compact(partition_log& log, int64_t now_ms) {
  compaction_stats stats;
  const log_config config = log.config();
  if (!config.cleanup_compact) return stats;
  SLUICE_TRY(log.checkpoint());
  auto segments = log.inactive_segments();
  if (segments.empty()) return stats;
  const proto::reader_limits limits{.max_batch_bytes = size_t{INT32_MAX} + 12};

  SLUICE_TRY(latest, latest_offsets(log, segments, limits));
  filesystem& fs = log.fs();
  const fs::path staging = log.dir() / compaction_staging_dir;
  SLUICE_TRY(fs.remove_all(staging));
  SLUICE_TRY(fs.create_directories(staging));
  const auto interval = static_cast<uint32_t>(config.index_interval_bytes);
  for (const auto& seg : segments) {
    bool expired =
        seg.max_timestamp >= 0 && now_ms - seg.max_timestamp > config.delete_retention_ms;
    SLUICE_TRY(changed, rewrite_segment(log, seg, latest, expired, staging, limits, stats));
    if (!changed) continue;
    SLUICE_TRY(cleaned,
               segment::open(fs, staging, seg.base, interval, segment::open_mode::rebuild));
    SLUICE_TRY(cleaned->seal());
    SLUICE_TRY(log.replace_segment(seg.base, std::move(cleaned), staging));
    ++stats.segments_rewritten;
  }
  SLUICE_TRY(fs.remove_all(staging));
  return stats;
}

}  // namespace sluice::storage
