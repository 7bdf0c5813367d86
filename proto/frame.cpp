#include "proto/frame.h"

#include <string>

#include "proto/byte_order.h"
#include "proto/errc.h"

namespace sluice::proto {

result<uint32_t> parse_frame_length(std::span<const std::byte, frame_length_bytes> prefix,
                                    uint32_t max_frame_bytes) {
  auto length = load_be<uint32_t>(prefix.data());
  if (length > max_frame_bytes) {
    return make_error(errc::too_large, "frame of " + std::to_string(length) +
                                           " bytes is over the limit of " +
                                           std::to_string(max_frame_bytes));
  }
  if (length < 4) {
    return make_error(errc::bad_length,
                      "frame length " + std::to_string(length) + " leaves no room for meta_length");
  }
  return length;
}

result<frame_body> split_frame(std::span<const std::byte> body) {
  if (body.size() < 4) return make_error(errc::truncated, "frame body shorter than meta_length");
  auto meta_length = load_be<uint32_t>(body.data());
  if (meta_length > body.size() - 4) {
    return make_error(errc::bad_length, "meta_length " + std::to_string(meta_length) +
                                            " runs past the frame's " +
                                            std::to_string(body.size() - 4) + " bytes");
  }
  return frame_body{body.subspan(4, meta_length), body.subspan(4 + meta_length)};
}

std::array<std::byte, frame_header_bytes> frame_header(size_t meta_bytes, size_t data_bytes) {
  std::array<std::byte, frame_header_bytes> out;
  store_be<uint32_t>(out.data(), static_cast<uint32_t>(4 + meta_bytes + data_bytes));
  store_be<uint32_t>(out.data() + 4, static_cast<uint32_t>(meta_bytes));
  return out;
}

std::vector<std::byte> encode_frame_head(const google::protobuf::MessageLite& meta,
                                         size_t data_bytes) {
  const size_t meta_bytes = meta.ByteSizeLong();
  std::vector<std::byte> out(frame_header_bytes + meta_bytes);
  auto header = frame_header(meta_bytes, data_bytes);
  std::copy(header.begin(), header.end(), out.begin());
  meta.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(out.data() + frame_header_bytes));
  return out;
}

result<std::span<const std::byte>> data_slice(std::span<const std::byte> data, uint64_t offset,
                                              uint64_t length) {
  if (offset > data.size() || length > data.size() - offset) {
    return make_error(errc::bad_length, "data slice [" + std::to_string(offset) + ", +" +
                                            std::to_string(length) + ") is outside the " +
                                            std::to_string(data.size()) + "-byte data section");
  }
  return data.subspan(offset, length);
}

}  // namespace sluice::proto
