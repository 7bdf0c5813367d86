#include "proto/crc32c.h"

#include <array>
#include <bit>
#include <cstring>

#include "proto/crc32c_poly.h"

namespace sluice::proto {
namespace {

using table_t = std::array<std::array<uint32_t, 256>, 8>;

constexpr table_t make_tables() {
  table_t t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ crc32c_poly::poly : c >> 1;
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
  if (crc32c_has_fold()) return &crc32c_fold;
  if (crc32c_has_fold256()) return &crc32c_fold256;
  return crc32c_has_sse42() ? &crc32c_sse42 : &crc32c_table;
}

}  // namespace

static_assert(std::endian::native == std::endian::little, "crc32c_table assumes little-endian");

uint32_t crc32c_table(std::span<const std::byte> data, uint32_t crc) noexcept {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
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

uint32_t crc32c(std::span<const std::byte> data, uint32_t crc) noexcept {
  static const impl_fn impl = pick_impl();
  return impl(data, crc);
}

// The inversions before and after cancel out, leaving a's CRC moved past |b| bytes: multiplied
// by x^(8|b|).
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t b_size) noexcept {
  return crc32c_poly::mul_mod_p(crc32c_poly::x_pow(8 * b_size), crc_a) ^ crc_b;
}

}  // namespace sluice::proto
