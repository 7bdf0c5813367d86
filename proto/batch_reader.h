// Reading record batches out of a byte span: batch_iterator walks concatenated batches,
// record_iterator walks the records of one batch. Uncompressed keys, values and headers are views
// into the input; compressed records are decompressed once into a buffer the iterator owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proto/byte_buffer.h"
#include "proto/record_batch.h"
#include "proto/result.h"

namespace sluice::proto {

struct reader_limits {
  size_t max_batch_bytes = 64 << 20;         // a longer batch is refused with errc::too_large
  size_t max_uncompressed_bytes = 64 << 20;  // decompressed records above this: errc::too_large
  bool verify_crc = true;
};

struct batch_view {
  batch_header header;
  std::span<const std::byte> bytes;  // the whole batch, header included

  [[nodiscard]] std::span<const std::byte> records() const {
    return bytes.subspan(batch_layout::records);
  }
};

// Iterates over batches laid end to end, as in a segment file or a fetch response.
class batch_iterator {
 public:
  explicit batch_iterator(std::span<const std::byte> bytes, reader_limits limits = {})
      : bytes_(bytes), limits_(limits) {}

  // Returns the next batch, or nullopt at the end of the input. A batch cut short by the end of
  // the input is errc::truncated; the error message names the byte position. After an error the
  // iterator does not move, so position() is where the bad batch starts.
  [[nodiscard]] result<std::optional<batch_view>> next();

  // Byte position of the next batch (after the last one returned).
  [[nodiscard]] size_t position() const noexcept { return pos_; }

 private:
  std::span<const std::byte> bytes_;
  reader_limits limits_;
  size_t pos_ = 0;
};

struct header_view {
  std::string_view key;
  std::optional<std::span<const std::byte>> value;  // nullopt: a null value
};

struct record_view {
  offset record_offset;
  int64_t timestamp = 0;  // absolute; the batch's maxTimestamp under LogAppendTime
  int8_t attributes = 0;
  int32_t offset_delta = 0;
  std::optional<std::span<const std::byte>> key;    // nullopt: a null key
  std::optional<std::span<const std::byte>> value;  // nullopt: a null value (tombstone)
  int32_t header_count = 0;
  std::span<const std::byte> header_bytes;  // the encoded headers, already validated

  // Decodes the headers. REQUIRES: the record came from record_iterator, which validated them.
  [[nodiscard]] std::vector<header_view> headers() const;
};

// Iterates over the records of one batch, checking every length against the bytes present.
class record_iterator {
 public:
  // Decompresses the records if the batch is compressed. REQUIRES: `batch` came from
  // batch_iterator or validate_batch, and its bytes outlive the iterator.
  [[nodiscard]] static result<record_iterator> open(const batch_view& batch,
                                                    const reader_limits& limits = {});

  // Returns the next record, or nullopt after recordCount records. Bytes left over after the last
  // record, or fewer records than recordCount, are errors.
  [[nodiscard]] result<std::optional<record_view>> next();

  // Where the next record starts: in the batch, or in the decompressed records.
  [[nodiscard]] const std::byte* position() const noexcept { return rest_.data(); }

  // The decompressed records (empty for an uncompressed batch), to keep the views next() returned
  // valid after the iterator is gone: they point into this vector's bytes, which a move keeps.
  [[nodiscard]] byte_buffer release_decompressed() && { return std::move(decompressed_); }

 private:
  record_iterator() = default;
  // Decodes the next record into `r` and steps past it. Returns what is wrong with it instead,
  // leaving the iterator where it was.
  const char* read_record(record_view& r);

  batch_header header_;
  byte_buffer decompressed_;
  std::span<const std::byte> rest_;
  int32_t remaining_ = 0;
};

}  // namespace sluice::proto
