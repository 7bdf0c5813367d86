// Record batch v2 (Kafka magic 2): the byte layout shared by the wire and the segment files, the
// parsed header, and the few in-place edits a broker makes (base offset, log-append time).
// The byte table is in storage/FORMAT.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/compression.h"
#include "proto/result.h"
#include "proto/types.h"

namespace sluice::proto {

// Byte positions of the fixed header fields, from the start of the batch.
namespace batch_layout {
inline constexpr size_t base_offset = 0;              // int64
inline constexpr size_t batch_length = 8;             // int32, bytes after this field
inline constexpr size_t partition_leader_epoch = 12;  // int32
inline constexpr size_t magic = 16;                   // int8
inline constexpr size_t crc = 17;                     // uint32, CRC-32C of [attributes, end)
inline constexpr size_t attributes = 21;              // int16
inline constexpr size_t last_offset_delta = 23;       // int32
inline constexpr size_t base_timestamp = 27;          // int64
inline constexpr size_t max_timestamp = 35;           // int64
inline constexpr size_t producer_id = 43;             // int64
inline constexpr size_t producer_epoch = 51;          // int16
inline constexpr size_t base_sequence = 53;           // int32
inline constexpr size_t record_count = 57;            // int32
inline constexpr size_t records = 61;                 // records start here
inline constexpr size_t header_size = 61;
// baseOffset and batchLength: the bytes not counted by batchLength.
inline constexpr size_t log_overhead = 12;
inline constexpr size_t crc_covered_from = attributes;
}  // namespace batch_layout

inline constexpr int8_t current_magic = 2;

// Attribute bits.
inline constexpr int16_t codec_mask = 0x07;
inline constexpr int16_t log_append_time_flag = 0x08;
inline constexpr int16_t transactional_flag = 0x10;
inline constexpr int16_t control_flag = 0x20;

enum class timestamp_type : uint8_t { create_time = 0, log_append_time = 1 };

struct batch_header {
  offset base_offset;
  int32_t batch_length = 0;
  int32_t partition_leader_epoch = -1;
  int8_t magic = current_magic;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = 0;
  int64_t max_timestamp = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int32_t base_sequence = -1;
  int32_t record_count = 0;

  [[nodiscard]] codec compression() const noexcept {
    return static_cast<codec>(attributes & codec_mask);
  }
  [[nodiscard]] timestamp_type ts_type() const noexcept {
    return (attributes & log_append_time_flag) ? timestamp_type::log_append_time
                                               : timestamp_type::create_time;
  }
  [[nodiscard]] bool is_control() const noexcept { return attributes & control_flag; }
  [[nodiscard]] offset last_offset() const noexcept { return base_offset + last_offset_delta; }
  [[nodiscard]] offset next_offset() const noexcept { return last_offset() + 1; }
  // The whole batch: the 12 bytes of baseOffset and batchLength plus batchLength.
  [[nodiscard]] size_t total_size() const noexcept {
    return batch_layout::log_overhead + static_cast<size_t>(batch_length);
  }
};

// Decodes and checks the fixed header at the start of `bytes`: at least 61 bytes, magic 2, a
// known codec, a batchLength that covers the header, non-negative counts. It does not require the
// whole batch to be present and does not check the CRC.
[[nodiscard]] result<batch_header> parse_batch_header(std::span<const std::byte> bytes);

// Checks a whole batch: header as above, `batch` is exactly the batch's size, CRC matches.
[[nodiscard]] result<batch_header> validate_batch(std::span<const std::byte> batch);

// The error for a batch whose stored CRC is not the `computed` one, naming both.
[[nodiscard]] error crc_mismatch(const batch_header& h, uint32_t computed);

// The CRC-32C a batch should carry: over everything from attributes to the end.
// REQUIRES: batch.size() >= batch_layout::header_size.
[[nodiscard]] uint32_t compute_batch_crc(std::span<const std::byte> batch) noexcept;

// Sets baseOffset. baseOffset is outside the CRC, so the CRC stays valid.
// REQUIRES: batch.size() >= batch_layout::header_size.
void set_base_offset(std::span<std::byte> batch, offset base) noexcept;

// Sets partitionLeaderEpoch, also outside the CRC.
// REQUIRES: batch.size() >= batch_layout::header_size.
void set_partition_leader_epoch(std::span<std::byte> batch, int32_t epoch) noexcept;

// Rewrites producerId, producerEpoch and baseSequence and the CRC (a producer starting a new
// epoch re-sequences batches that were never appended).
// REQUIRES: batch is a whole, valid batch.
void set_producer_fields(std::span<std::byte> batch, int64_t producer_id, int16_t producer_epoch,
                         int32_t base_sequence) noexcept;

// Marks the batch LogAppendTime with `timestamp` as its maxTimestamp and rewrites the CRC.
// Records are untouched: under LogAppendTime every record's timestamp is the batch's maxTimestamp.
// REQUIRES: batch is a whole, valid batch.
void stamp_log_append_time(std::span<std::byte> batch, int64_t timestamp) noexcept;

}  // namespace sluice::proto
