// Frames of the Sluice wire protocol (proto/FRAMING.md):
//   u32 frame_length | u32 meta_length | meta (protobuf) | data (raw record batches)
// frame_length counts the bytes after itself. This file only splits and joins frames; reading
// them off a socket is the caller's business.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include <google/protobuf/message_lite.h>

#include "proto/result.h"

namespace sluice::proto {

inline constexpr size_t frame_length_bytes = 4;
inline constexpr size_t frame_header_bytes = 8;  // frame_length and meta_length

// Decodes frame_length from the first four bytes. Fails with errc::too_large above
// `max_frame_bytes` and errc::bad_length below 4 (no room for meta_length), before the caller
// allocates anything.
[[nodiscard]] result<uint32_t> parse_frame_length(
    std::span<const std::byte, frame_length_bytes> prefix, uint32_t max_frame_bytes);

struct frame_body {
  std::span<const std::byte> meta;
  std::span<const std::byte> data;
};

// Splits the `frame_length` bytes after the length prefix into meta and data.
[[nodiscard]] result<frame_body> split_frame(std::span<const std::byte> body);

// The 8-byte header for a frame with this much meta and data.
[[nodiscard]] std::array<std::byte, frame_header_bytes> frame_header(size_t meta_bytes,
                                                                     size_t data_bytes);

// Header and serialized meta, ready to be followed on the wire by `data_bytes` of data.
[[nodiscard]] std::vector<std::byte> encode_frame_head(const google::protobuf::MessageLite& meta,
                                                       size_t data_bytes);

// A data slice (offset, length) named by meta, checked against the data section.
[[nodiscard]] result<std::span<const std::byte>> data_slice(std::span<const std::byte> data,
                                                            uint64_t offset, uint64_t length);

}  // namespace sluice::proto
