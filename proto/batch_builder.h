// Building one record batch v2 from records: encodes each record as it is appended, then
// compresses, writes the header and the CRC in build().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "proto/batch_reader.h"
#include "proto/byte_buffer.h"
#include "proto/compression.h"
#include "proto/record_batch.h"
#include "proto/result.h"

namespace sluice::proto {

struct batch_options {
  codec compression = codec::none;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t partition_leader_epoch = -1;
  timestamp_type ts_type = timestamp_type::create_time;
};

using bytes_view = std::span<const std::byte>;

class batch_builder {
 public:
  explicit batch_builder(batch_options options = {})
      : options_(options), batch_(batch_layout::header_size) {}

  // Appends a record whose offset is the next one (offsetDelta = records appended so far).
  // `timestamp` is absolute milliseconds; nullopt key or value encodes null.
  void append(int64_t timestamp, std::optional<bytes_view> key, std::optional<bytes_view> value,
              std::span<const header_view> headers = {});

  // Appends a record with an explicit offsetDelta, for rewriting a batch with gaps (compaction).
  // REQUIRES: offset_delta is greater than that of every record appended before.
  void append_at(int32_t offset_delta, int64_t timestamp, std::optional<bytes_view> key,
                 std::optional<bytes_view> value, std::span<const header_view> headers = {});

  // Keeps lastOffsetDelta at `delta` even if the last record kept has a smaller one, so a
  // compacted batch still covers the offsets the original covered.
  // REQUIRES: delta >= the offsetDelta of the last record appended.
  void set_last_offset_delta(int32_t delta) { last_offset_delta_ = delta; }

  // Sets the idempotent producer fields, which a producer knows only when the batch closes.
  void set_producer(int64_t id, int16_t epoch, int32_t base_sequence) noexcept {
    options_.producer_id = id;
    options_.producer_epoch = epoch;
    options_.base_sequence = base_sequence;
  }

  [[nodiscard]] int32_t record_count() const noexcept { return count_; }
  [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
  // Bytes of the encoded records so far, before compression, plus the batch header.
  [[nodiscard]] size_t size_estimate() const noexcept { return batch_.size(); }

  // Returns the finished batch with `base` as its baseOffset (brokers overwrite it on append).
  // REQUIRES: !empty().
  [[nodiscard]] result<std::vector<std::byte>> build(offset base = offset{0}) const;
  // Like build(), but an uncompressed batch is moved out rather than copied. Leaves the builder
  // empty, keeping the options.
  [[nodiscard]] result<byte_buffer> take(offset base = offset{0});

  // Makes room for a batch of `bytes` (as size_estimate() counts), so appends up to there do not
  // reallocate.
  void reserve(size_t bytes) { batch_.reserve(bytes); }

  // Builds in `storage` from now on, keeping its capacity: the buffer of an earlier batch, so a
  // producer need not fault in fresh memory for every batch. REQUIRES: empty().
  void adopt(byte_buffer&& storage);

  // Starts over with no records, keeping the options.
  void clear() noexcept;

 private:
  batch_options options_;
  // Room for the batch header, then the encoded records.
  byte_buffer batch_;
  // build() of a compressed batch. REQUIRES: compression, !empty().
  [[nodiscard]] result<byte_buffer> build_compressed(offset base) const;
  // Writes the header of `batch`, whose records follow it, and its CRC. `batch_` holds the
  // records when they are not compressed: their CRC is then mostly taken already.
  void write_header(std::span<std::byte> batch, offset base) const;
  // The CRC of the records, continued over the bytes appended since it was last taken.
  [[nodiscard]] uint32_t records_crc() const noexcept;
  // Takes the records' CRC of appended bytes in pieces of this many, while they are still in the
  // CPU's cache: a batch of 1 MiB checksummed at once, on another thread, came from memory.
  static constexpr size_t crc_piece_bytes = 16 * 1024;
  uint32_t records_crc_ = 0;  // of batch_'s records up to crc_taken_
  size_t crc_taken_ = batch_layout::header_size;
  int32_t count_ = 0;
  int32_t last_delta_ = -1;
  std::optional<int32_t> last_offset_delta_;
  int64_t base_timestamp_ = 0;
  int64_t max_timestamp_ = INT64_MIN;
};

}  // namespace sluice::proto
