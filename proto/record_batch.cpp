#include "proto/record_batch.h"

#include <string>

#include "proto/byte_order.h"
#include "proto/crc32c.h"
#include "proto/errc.h"

namespace sluice::proto {

namespace L = batch_layout;

result<batch_header> parse_batch_header(std::span<const std::byte> bytes) {
  if (bytes.size() < L::header_size) {
    return make_error(errc::truncated, "batch header needs " + std::to_string(L::header_size) +
                                           " bytes, have " + std::to_string(bytes.size()));
  }
  const std::byte* p = bytes.data();
  batch_header h;
  h.base_offset = offset{load_be<int64_t>(p + L::base_offset)};
  h.batch_length = load_be<int32_t>(p + L::batch_length);
  h.partition_leader_epoch = load_be<int32_t>(p + L::partition_leader_epoch);
  h.magic = load_be<int8_t>(p + L::magic);
  h.crc = load_be<uint32_t>(p + L::crc);
  h.attributes = load_be<int16_t>(p + L::attributes);
  h.last_offset_delta = load_be<int32_t>(p + L::last_offset_delta);
  h.base_timestamp = load_be<int64_t>(p + L::base_timestamp);
  h.max_timestamp = load_be<int64_t>(p + L::max_timestamp);
  h.producer_id = load_be<int64_t>(p + L::producer_id);
  h.producer_epoch = load_be<int16_t>(p + L::producer_epoch);
  h.base_sequence = load_be<int32_t>(p + L::base_sequence);
  h.record_count = load_be<int32_t>(p + L::record_count);

  if (h.magic != current_magic) {
    return make_error(errc::unsupported_magic,
                      "batch magic is " + std::to_string(h.magic) + ", only magic 2 is supported");
  }
  if (h.batch_length < static_cast<int32_t>(L::header_size - L::log_overhead)) {
    return make_error(errc::bad_length, "batchLength " + std::to_string(h.batch_length) +
                                            " is smaller than the batch header");
  }
  if ((h.attributes & codec_mask) > max_codec_id) {
    return make_error(errc::unknown_codec,
                      "batch attributes name codec " + std::to_string(h.attributes & codec_mask));
  }
  if (h.record_count < 0 || h.last_offset_delta < 0) {
    return make_error(errc::bad_length, "negative recordCount or lastOffsetDelta");
  }
  if (h.base_offset.value < 0 || h.base_offset.value > INT64_MAX - h.last_offset_delta - 1) {
    return make_error(errc::bad_length,
                      "baseOffset " + std::to_string(h.base_offset.value) + " is out of range");
  }
  return h;
}

result<batch_header> validate_batch(std::span<const std::byte> batch) {
  SLUICE_TRY(h, parse_batch_header(batch));
  if (h.total_size() != batch.size()) {
    return make_error(errc::bad_length, "batchLength says " + std::to_string(h.total_size()) +
                                            " bytes, the batch has " +
                                            std::to_string(batch.size()));
  }
  uint32_t actual = compute_batch_crc(batch);
  if (actual != h.crc) return crc_mismatch(h, actual);
  return h;
}

error crc_mismatch(const batch_header& h, uint32_t computed) {
  return make_error(errc::crc_mismatch, "batch at offset " + std::to_string(h.base_offset.value) +
                                            " has CRC " + std::to_string(h.crc) + ", computed " +
                                            std::to_string(computed));
}

uint32_t compute_batch_crc(std::span<const std::byte> batch) noexcept {
  return crc32c(batch.subspan(L::crc_covered_from));
}

void set_base_offset(std::span<std::byte> batch, offset base) noexcept {
  store_be<int64_t>(batch.data() + L::base_offset, base.value);
}

void set_partition_leader_epoch(std::span<std::byte> batch, int32_t epoch) noexcept {
  store_be<int32_t>(batch.data() + L::partition_leader_epoch, epoch);
}

void set_producer_fields(std::span<std::byte> batch, int64_t producer_id, int16_t producer_epoch,
                         int32_t base_sequence) noexcept {
  store_be<int64_t>(batch.data() + L::producer_id, producer_id);
  store_be<int16_t>(batch.data() + L::producer_epoch, producer_epoch);
  store_be<int32_t>(batch.data() + L::base_sequence, base_sequence);
  store_be<uint32_t>(batch.data() + L::crc, compute_batch_crc(batch));
}

void stamp_log_append_time(std::span<std::byte> batch, int64_t timestamp) noexcept {
  auto attributes = load_be<int16_t>(batch.data() + L::attributes);
  store_be<int16_t>(batch.data() + L::attributes,
                    static_cast<int16_t>(attributes | log_append_time_flag));
  store_be<int64_t>(batch.data() + L::max_timestamp, timestamp);
  store_be<uint32_t>(batch.data() + L::crc, compute_batch_crc(batch));
}

}  // namespace sluice::proto
