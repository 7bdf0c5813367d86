#include "proto/batch_reader.h"

#include <string>

#include "proto/byte_order.h"
#include "proto/errc.h"
#include "proto/varint.h"

namespace sluice::proto {
namespace {

error at(size_t position, error e) {
  e.message = "batch at byte " + std::to_string(position) + ": " + e.message;
  return e;
}

error malformed_record(const batch_header& h, int32_t index, std::string_view what) {
  return make_error(errc::bad_varint, "record " + std::to_string(index) + " of batch at offset " +
                                          std::to_string(h.base_offset.value) + ": " +
                                          std::string(what));
}

// Reads a length-prefixed field: -1 means null when `nullable`.
bool read_bytes(byte_cursor& c, bool nullable, std::optional<std::span<const std::byte>>& out) {
  int32_t len;
  if (!c.read_varint(len)) return false;
  if (len == -1 && nullable) {
    out.reset();
    return true;
  }
  const std::byte* start;
  if (len < 0 || !c.take(static_cast<size_t>(len), start)) return false;
  out.emplace(start, static_cast<size_t>(len));
  return true;
}

}  // namespace

result<std::optional<batch_view>> batch_iterator::next() {
  auto rest = bytes_.subspan(pos_);
  if (rest.empty()) return std::optional<batch_view>{};
  if (rest.size() < batch_layout::header_size) {
    return at(pos_, make_error(errc::truncated, "only " + std::to_string(rest.size()) +
                                                    " bytes left, a batch header needs " +
                                                    std::to_string(batch_layout::header_size)));
  }
  auto header = parse_batch_header(rest);
  if (!header) return at(pos_, header.error());
  const batch_header& h = header.value();
  if (h.total_size() > limits_.max_batch_bytes) {
    return at(pos_, make_error(errc::too_large, "batch of " + std::to_string(h.total_size()) +
                                                    " bytes is over the limit of " +
                                                    std::to_string(limits_.max_batch_bytes)));
  }
  if (h.total_size() > rest.size()) {
    return at(pos_, make_error(errc::truncated, "batch of " + std::to_string(h.total_size()) +
                                                    " bytes but only " +
                                                    std::to_string(rest.size()) + " left"));
  }
  batch_view view{h, rest.first(h.total_size())};
  if (limits_.verify_crc) {
    uint32_t actual = compute_batch_crc(view.bytes);
    if (actual != h.crc) {
      return at(pos_, make_error(errc::crc_mismatch, "stored CRC " + std::to_string(h.crc) +
                                                         ", computed " + std::to_string(actual)));
    }
  }
  pos_ += h.total_size();
  return std::optional<batch_view>{view};
}

result<record_iterator> record_iterator::open(const batch_view& batch,
                                              const reader_limits& limits) {
  record_iterator it;
  it.header_ = batch.header;
  it.remaining_ = batch.header.record_count;
  if (batch.header.compression() == codec::none) {
    it.rest_ = batch.records();
    return it;
  }
  auto plain =
      decompress(batch.header.compression(), batch.records(), limits.max_uncompressed_bytes);
  if (!plain) return plain.error();
  it.decompressed_ = std::move(plain).value();
  it.rest_ = it.decompressed_;
  return it;
}

result<std::optional<record_view>> record_iterator::next() {
  // Every path returns `out`, so it is built in the caller's storage. Returning a local record
  // view copied it into the result twice, which took as long as decoding it (decode_bench).
  result<std::optional<record_view>> out{std::optional<record_view>{}};
  if (remaining_ == 0) {
    if (!rest_.empty()) {
      out = make_error(errc::bad_length,
                       "batch at offset " + std::to_string(header_.base_offset.value) + " has " +
                           std::to_string(rest_.size()) + " bytes after its last record");
    }
    return out;
  }
  const int32_t index = header_.record_count - remaining_;
  if (const char* problem = read_record(out.assume_value().emplace())) {
    out = malformed_record(header_, index, problem);
  }
  return out;
}

const char* record_iterator::read_record(record_view& r) {
  byte_cursor outer{rest_.data(), rest_.data() + rest_.size()};
  int32_t length;
  const std::byte* body;
  if (!outer.read_varint(length) || length < 0 || !outer.take(static_cast<size_t>(length), body)) {
    return "length runs past the end of the batch";
  }
  byte_cursor c{body, body + length};
  int64_t timestamp_delta;
  int32_t header_count;
  if (!c.read_int8(r.attributes) || !c.read_varlong(timestamp_delta) ||
      !c.read_varint(r.offset_delta) || !read_bytes(c, true, r.key) ||
      !read_bytes(c, true, r.value) || !c.read_varint(header_count) || header_count < 0) {
    return "a field runs past the end of the record";
  }
  const std::byte* headers_start = c.pos;
  for (int32_t i = 0; i < header_count; ++i) {
    std::optional<std::span<const std::byte>> key, value;
    if (!read_bytes(c, false, key) || !read_bytes(c, true, value)) {
      return "a header runs past the end of the record";
    }
  }
  if (c.remaining() != 0) return "record length disagrees with its fields";
  if (r.offset_delta < 0 || r.offset_delta > header_.last_offset_delta) {
    return "offsetDelta outside the batch";
  }
  r.header_count = header_count;
  r.header_bytes = std::span<const std::byte>(headers_start, c.pos);
  r.record_offset = header_.base_offset + r.offset_delta;
  r.timestamp = header_.ts_type() == timestamp_type::log_append_time
                    ? header_.max_timestamp
                    : static_cast<int64_t>(static_cast<uint64_t>(header_.base_timestamp) +
                                           static_cast<uint64_t>(timestamp_delta));
  rest_ = rest_.subspan(static_cast<size_t>(outer.pos - rest_.data()));
  --remaining_;
  return nullptr;
}

std::vector<header_view> record_view::headers() const {
  std::vector<header_view> out;
  out.reserve(static_cast<size_t>(header_count));
  byte_cursor c{header_bytes.data(), header_bytes.data() + header_bytes.size()};
  for (int32_t i = 0; i < header_count; ++i) {
    std::optional<std::span<const std::byte>> key, value;
    bool ok = read_bytes(c, false, key) && read_bytes(c, true, value);
    if (!ok) break;  // unreachable for records from record_iterator
    out.push_back(
        {std::string_view(reinterpret_cast<const char*>(key->data()), key->size()), value});
  }
  return out;
}

}  // namespace sluice::proto
