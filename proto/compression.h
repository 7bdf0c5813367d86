// The compression codecs of record batch v2, in the framings Kafka clients use: gzip (RFC 1952),
// snappy (xerial framing written, xerial or raw read), lz4 (LZ4 frame format), zstd (frames).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proto/byte_buffer.h"
#include "proto/result.h"

namespace sluice::proto {

enum class codec : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

inline constexpr uint8_t max_codec_id = 4;

[[nodiscard]] std::string_view codec_name(codec c) noexcept;
// Parses "none", "gzip", "snappy", "lz4" or "zstd".
[[nodiscard]] std::optional<codec> parse_codec(std::string_view name) noexcept;

// Appends the compressed form of `input` to `out`. REQUIRES: c != codec::none.
[[nodiscard]] result<void> compress(codec c, std::span<const std::byte> input, byte_buffer& out);

// Returns the decompressed form of `input`, failing with errc::too_large as soon as it would
// exceed `max_output` bytes (a decompression bomb never allocates more than that).
// REQUIRES: c != codec::none.
[[nodiscard]] result<byte_buffer> decompress(codec c, std::span<const std::byte> input,
                                             size_t max_output);

}  // namespace sluice::proto
