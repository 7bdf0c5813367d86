#include "proto/batch_builder.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "proto/byte_order.h"
#include "proto/crc32c.h"
#include "proto/varint.h"

namespace sluice::proto {
namespace {

size_t field_size(std::optional<bytes_view> b) {
  return b ? varlong_size(static_cast<int64_t>(b->size())) + b->size() : varlong_size(-1);
}

std::byte* write_field(std::byte* out, std::optional<bytes_view> b) {
  if (!b) return write_varlong(out, -1);
  out = write_varlong(out, static_cast<int64_t>(b->size()));
  if (!b->empty()) std::memcpy(out, b->data(), b->size());
  return out + b->size();
}

bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

void batch_builder::append(int64_t timestamp, std::optional<bytes_view> key,
                           std::optional<bytes_view> value, std::span<const header_view> headers) {
  append_at(last_delta_ + 1, timestamp, key, value, headers);
}

void batch_builder::append_at(int32_t offset_delta, int64_t timestamp,
                              std::optional<bytes_view> key, std::optional<bytes_view> value,
                              std::span<const header_view> headers) {
  assert(offset_delta > last_delta_);
  if (count_ == 0) base_timestamp_ = timestamp;
  max_timestamp_ = std::max(max_timestamp_, timestamp);
  const int64_t timestamp_delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp) -
                                                       static_cast<uint64_t>(base_timestamp_));

  size_t body = 1 + varlong_size(timestamp_delta) + varlong_size(offset_delta) + field_size(key) +
                field_size(value) + varlong_size(static_cast<int64_t>(headers.size()));
  for (const auto& h : headers)
    body += field_size(as_bytes(h.key)) + field_size(h.value);

  size_t at = batch_.size();
  batch_.resize(at + varlong_size(static_cast<int64_t>(body)) + body);
  std::byte* out = batch_.data() + at;
  out = write_varlong(out, static_cast<int64_t>(body));
  *out++ = std::byte{0};  // record attributes: unused in v2
  out = write_varlong(out, timestamp_delta);
  out = write_varlong(out, offset_delta);
  out = write_field(out, key);
  out = write_field(out, value);
  out = write_varlong(out, static_cast<int64_t>(headers.size()));
  for (const auto& h : headers) {
    out = write_field(out, as_bytes(h.key));
    out = write_field(out, h.value);
  }
  assert(out == batch_.data() + batch_.size());
  if (batch_.size() - crc_taken_ >= crc_piece_bytes) {
    records_crc_ = records_crc();
    crc_taken_ = batch_.size();
  }
  ++count_;
  last_delta_ = offset_delta;
}

result<std::vector<std::byte>> batch_builder::build(offset base) const {
  assert(!empty());
  if (options_.compression != codec::none) {
    SLUICE_TRY(batch, build_compressed(base));
    return std::vector<std::byte>(batch.begin(), batch.end());
  }
  std::vector<std::byte> batch(batch_.begin(), batch_.end());
  write_header(batch, base);
  return batch;
}

result<byte_buffer> batch_builder::build_compressed(offset base) const {
  byte_buffer batch(batch_layout::header_size);
  SLUICE_TRY(
      compress(options_.compression, std::span(batch_).subspan(batch_layout::header_size), batch));
  write_header(batch, base);
  return batch;
}

result<byte_buffer> batch_builder::take(offset base) {
  if (options_.compression != codec::none) {
    auto batch = build_compressed(base);
    clear();
    return batch;
  }
  assert(!empty());
  write_header(batch_, base);
  byte_buffer batch = std::move(batch_);
  batch_.assign(batch_layout::header_size, std::byte{0});
  clear();
  return batch;
}

void batch_builder::write_header(std::span<std::byte> batch, offset base) const {
  namespace L = batch_layout;
  int16_t attributes = static_cast<int16_t>(options_.compression);
  if (options_.ts_type == timestamp_type::log_append_time) attributes |= log_append_time_flag;
  std::byte* p = batch.data();
  store_be<int64_t>(p + L::base_offset, base.value);
  store_be<int32_t>(p + L::batch_length, static_cast<int32_t>(batch.size() - L::log_overhead));
  store_be<int32_t>(p + L::partition_leader_epoch, options_.partition_leader_epoch);
  store_be<int8_t>(p + L::magic, current_magic);
  store_be<int16_t>(p + L::attributes, attributes);
  store_be<int32_t>(p + L::last_offset_delta, last_offset_delta_.value_or(last_delta_));
  store_be<int64_t>(p + L::base_timestamp, base_timestamp_);
  store_be<int64_t>(p + L::max_timestamp, max_timestamp_);
  store_be<int64_t>(p + L::producer_id, options_.producer_id);
  store_be<int16_t>(p + L::producer_epoch, options_.producer_epoch);
  store_be<int32_t>(p + L::base_sequence, options_.base_sequence);
  store_be<int32_t>(p + L::record_count, count_);
  if (options_.compression != codec::none) {
    store_be<uint32_t>(p + L::crc, compute_batch_crc(batch));
    return;
  }
  const auto covered_header =
      batch.subspan(L::crc_covered_from, L::header_size - L::crc_covered_from);
  store_be<uint32_t>(p + L::crc, crc32c_combine(crc32c(covered_header), records_crc(),
                                                batch.size() - L::header_size));
}

uint32_t batch_builder::records_crc() const noexcept {
  return crc32c(std::span(batch_).subspan(crc_taken_), records_crc_);
}

void batch_builder::adopt(byte_buffer&& storage) {
  assert(empty());
  storage.resize(batch_layout::header_size);  // write_header() sets every header byte
  batch_ = std::move(storage);
}

void batch_builder::clear() noexcept {
  batch_.resize(batch_layout::header_size);
  count_ = 0;
  last_delta_ = -1;
  last_offset_delta_.reset();
  base_timestamp_ = 0;
  max_timestamp_ = INT64_MIN;
  records_crc_ = 0;
  crc_taken_ = batch_layout::header_size;
}

}  // namespace sluice::proto
