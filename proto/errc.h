// Error codes of the record batch codec (proto/): what can be wrong with bytes that claim to be
// record batches.
#pragma once

#include <system_error>

namespace sluice::proto {

enum class errc {
  truncated = 1,         // the input ends before a length field says it should
  bad_length,            // a length or count field is negative or disagrees with the bytes present
  bad_varint,            // a varint runs past the end of its field or is longer than allowed
  crc_mismatch,          // stored CRC-32C differs from the one computed over the batch
  unsupported_magic,     // a batch whose magic byte is not 2
  unknown_codec,         // attributes name a compression codec that does not exist
  too_large,             // a batch or its decompressed records exceed a configured limit
  decompression_failed,  // the codec rejected the compressed bytes
  compression_failed,    // the codec failed to compress (out of memory)
};

[[nodiscard]] const std::error_category& codec_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), codec_category()};
}

}  // namespace sluice::proto

template <>
struct std::is_error_code_enum<sluice::proto::errc> : std::true_type {};
