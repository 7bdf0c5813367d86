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

// Shifting a CRC register past n zero bytes multiplies it by x^(8n) modulo the polynomial. That
// lets three independent streams be checksummed at once (the crc32 instruction has a latency of
// three cycles and a throughput of one) and their registers joined: for a raw (not inverted)
// register r, crc(r, A ++ B) == shift(crc(r, A), |B|) ^ crc(0, B).

// a * b modulo the polynomial, in the reflected order CRC-32C uses (bit 31 is x^0).
constexpr uint32_t mul_mod_p(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = 1u << 31; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
  }
  return product;
}

// x^(8n) modulo the polynomial.
constexpr uint32_t x_pow_8n(uint64_t n) {
  uint32_t result = 1u << 31;  // x^0
  uint32_t square = 1u << 23;  // x^8
  for (; n != 0; n >>= 1) {
    if (n & 1) result = mul_mod_p(square, result);
    square = mul_mod_p(square, square);
  }
  return result;
}

// The shift past a fixed number of zero bytes, a byte of the register at a time (it is linear).
using shift_table = std::array<std::array<uint32_t, 256>, 4>;

constexpr shift_table make_shift_table(uint64_t bytes) {
  const uint32_t factor = x_pow_8n(bytes);
  shift_table t{};
  for (uint32_t k = 0; k < 4; ++k) {
    for (uint32_t b = 0; b < 256; ++b)
      t[k][b] = mul_mod_p(factor, b << (8 * k));
  }
  return t;
}

[[maybe_unused]] uint32_t shift(const shift_table& t, uint32_t crc) noexcept {
  return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24];
}

constexpr size_t long_block = 4096;  // bytes per stream in a round of three
constexpr size_t short_block = 256;
constexpr shift_table long_shift = make_shift_table(long_block);
constexpr shift_table short_shift = make_shift_table(short_block);

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
namespace {

__attribute__((target("sse4.2"))) inline uint64_t load_crc(uint64_t c, const uint8_t* p) noexcept {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return _mm_crc32_u64(c, word);
}

// Consumes rounds of three `block`-byte streams from p, n while they last, into register c.
template <size_t block>
__attribute__((target("sse4.2"))) void crc32c_3way(const uint8_t*& p, size_t& n, uint64_t& c,
                                                   const shift_table& shift_block) noexcept {
  while (n >= 3 * block) {
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < block; i += 8) {
      c = load_crc(c, p + i);
      c1 = load_crc(c1, p + block + i);
      c2 = load_crc(c2, p + 2 * block + i);
    }
    c = shift(shift_block, static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c1);
    c = shift(shift_block, static_cast<uint32_t>(c)) ^ static_cast<uint32_t>(c2);
    p += 3 * block;
    n -= 3 * block;
  }
}

}  // namespace

__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(std::span<const std::byte> data,
                                                        uint32_t crc) noexcept {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint64_t c = ~crc;
  crc32c_3way<long_block>(p, n, c, long_shift);
  crc32c_3way<short_block>(p, n, c, short_shift);
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
