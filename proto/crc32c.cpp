#include "proto/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace sluice::proto {
namespace {

constexpr uint32_t poly = 0x82F63B78;  // reflected Castagnoli polynomial

using table_t = std::array<std::array<uint32_t, 256>, 8>;

constexpr table_t make_tables() {
  table_t t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    t[0][i] = c;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (size_t s = 1; s < 8; ++s)
      t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
  }
  return t;
}

constexpr table_t tables = make_tables();

using impl_fn = uint32_t (*)(std::span<const std::byte>, uint32_t) noexcept;

impl_fn pick_impl() noexcept {
  return crc32c_has_sse42() ? &crc32c_sse42 : &crc32c_table;
}

}  // namespace

uint32_t crc32c_table(std::span<const std::byte> data, uint32_t crc) noexcept {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian hosts only; see the static_assert below
    word ^= c;
    c = tables[7][word & 0xFF] ^ tables[6][(word >> 8) & 0xFF] ^ tables[5][(word >> 16) & 0xFF] ^
        tables[4][(word >> 24) & 0xFF] ^ tables[3][(word >> 32) & 0xFF] ^
        tables[2][(word >> 40) & 0xFF] ^ tables[1][(word >> 48) & 0xFF] ^ tables[0][word >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0)
    c = (c >> 8) ^ tables[0][(c ^ *p++) & 0xFF];
  return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::span<const std::byte> data,
                                                        uint32_t crc) noexcept {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0)
    c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

bool crc32c_has_sse42() noexcept {
  return __builtin_cpu_supports("sse4.2");
}
#else
uint32_t crc32c_sse42(std::span<const std::byte> data, uint32_t crc) noexcept {
  return crc32c_table(data, crc);
}
bool crc32c_has_sse42() noexcept {
  return false;
}
#endif

static_assert(std::endian::native == std::endian::little, "crc32c_table assumes little-endian");

uint32_t crc32c(std::span<const std::byte> data, uint32_t crc) noexcept {
  static const impl_fn impl = pick_impl();
  return impl(data, crc);
}

}  // namespace sluice::proto
