// Zigzag varints as record batch v2 uses them (protobuf `sint32`/`sint64` encoding): varint for
// 32-bit fields (at most 5 bytes), varlong for 64-bit fields (at most 10 bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::proto {

[[nodiscard]] constexpr uint64_t zigzag_encode(int64_t v) noexcept {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

[[nodiscard]] constexpr int64_t zigzag_decode(uint64_t v) noexcept {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// Number of bytes the varint encoding of `v` takes.
[[nodiscard]] constexpr size_t varlong_size(int64_t v) noexcept {
  uint64_t u = zigzag_encode(v);
  size_t n = 1;
  while (u >= 0x80) {
    u >>= 7;
    ++n;
  }
  return n;
}

// Writes the encoding of `v` at `out` and returns the byte after it.
// REQUIRES: `out` has room for varlong_size(v) bytes.
inline std::byte* write_varlong(std::byte* out, int64_t v) noexcept {
  uint64_t u = zigzag_encode(v);
  while (u >= 0x80) {
    *out++ = static_cast<std::byte>(u | 0x80);
    u >>= 7;
  }
  *out++ = static_cast<std::byte>(u);
  return out;
}

inline void append_varlong(std::vector<std::byte>& out, int64_t v) {
  std::byte tmp[10];
  std::byte* end = write_varlong(tmp, v);
  out.insert(out.end(), tmp, end);
}

// A forward-only view over bytes being decoded. Every read checks bounds and returns false when
// the input is too short or malformed; nothing reads past `end`.
struct byte_cursor {
  const std::byte* pos;
  const std::byte* end;

  [[nodiscard]] size_t remaining() const noexcept { return static_cast<size_t>(end - pos); }

  // Reads a zigzag varint of at most `max_bytes` bytes (5 for int32 fields, 10 for int64).
  [[nodiscard]] bool read_varlong(int64_t& out, int max_bytes = 10) noexcept {
    uint64_t u = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (pos == end) return false;
      auto b = static_cast<uint8_t>(*pos++);
      u |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) {
        out = zigzag_decode(u);
        return true;
      }
    }
    return false;
  }

  [[nodiscard]] bool read_varint(int32_t& out) noexcept {
    int64_t v;
    if (!read_varlong(v, 5) || v < INT32_MIN || v > INT32_MAX) return false;
    out = static_cast<int32_t>(v);
    return true;
  }

  [[nodiscard]] bool read_int8(int8_t& out) noexcept {
    if (pos == end) return false;
    out = static_cast<int8_t>(*pos++);
    return true;
  }

  // Takes the next `n` bytes as a span.
  [[nodiscard]] bool take(size_t n, const std::byte*& start) noexcept {
    if (remaining() < n) return false;
    start = pos;
    pos += n;
    return true;
  }
};

}  // namespace sluice::proto
