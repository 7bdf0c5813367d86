// The x86-64 implementations of CRC-32C: the SSE4.2 crc32 instruction on three streams, and
// folding with AVX-512 carry-less multiplies (VPCLMULQDQ). Elsewhere both fall back to the table.
#include "proto/crc32c.h"

#include <array>
#include <cstring>

#include "proto/crc32c_poly.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace sluice::proto {
namespace {

using namespace crc32c_poly;

// Shifting a CRC register past n zero bytes multiplies it by x^(8n) modulo the polynomial. That
// lets three independent streams be checksummed at once (the crc32 instruction has a latency of
// three cycles and a throughput of one) and their registers joined: for a raw (not inverted)
// register r, crc(r, A ++ B) == shift(crc(r, A), |B|) ^ crc(0, B).

// The shift past a fixed number of zero bytes, a byte of the register at a time (it is linear).
using shift_table = std::array<std::array<uint32_t, 256>, 4>;

constexpr shift_table make_shift_table(uint64_t bytes) {
  const uint32_t factor = x_pow(8 * bytes);
  shift_table t{};
  for (uint32_t k = 0; k < 4; ++k) {
    for (uint32_t b = 0; b < 256; ++b)
      t[k][b] = mul_mod_p(factor, b << (8 * k));
  }
  return t;
}

uint32_t shift(const shift_table& t, uint32_t crc) noexcept {
  return t[0][crc & 0xFF] ^ t[1][(crc >> 8) & 0xFF] ^ t[2][(crc >> 16) & 0xFF] ^ t[3][crc >> 24];
}

constexpr size_t long_block = 4096;  // bytes per stream in a round of three
constexpr size_t short_block = 256;
constexpr shift_table long_shift = make_shift_table(long_block);
constexpr shift_table short_shift = make_shift_table(short_block);

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

// Folding (Intel, "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"). Sixteen message
// bytes loaded little-endian are a polynomial of degree below 128 held reflected (bit 0 is x^127).
// Moving such a block `bits` further from the message's end multiplies it by x^bits; that is done
// per 64-bit half by a carry-less multiply with x^(bits + 64), or x^bits, modulo the polynomial.
// The products are congruent to the moved block and fit in 128 bits, so blocks fold into the one
// after them with an xor. A carry-less product of two reflected 64-bit values comes out multiplied
// by x once more, hence the - 1.
struct fold_constants {
  uint64_t low;   // for a block's first 8 bytes
  uint64_t high;  // for its last 8
};

constexpr uint64_t reflected64(uint32_t p) {
  return static_cast<uint64_t>(p) << 32;
}

constexpr fold_constants fold_by(uint64_t bytes) {
  return {reflected64(x_pow(8 * bytes + 64 - 1)), reflected64(x_pow(8 * bytes - 1))};
}

constexpr size_t fold_stride = 4 * 64;  // four registers of four blocks each in flight
constexpr fold_constants by_stride_k = fold_by(fold_stride);
constexpr fold_constants by_64_k = fold_by(64);
constexpr fold_constants by_16_k = fold_by(16);

#define SLUICE_CLMUL_TARGET __attribute__((target("pclmul,sse4.2")))
#define SLUICE_FOLD_TARGET __attribute__((target("avx512f,vpclmulqdq,pclmul,sse4.2")))

SLUICE_CLMUL_TARGET inline __m128i to_m128(fold_constants k) noexcept {
  return _mm_set_epi64x(static_cast<int64_t>(k.high), static_cast<int64_t>(k.low));
}

SLUICE_CLMUL_TARGET inline __m128i fold(__m128i x, __m128i k, __m128i next) noexcept {
  return _mm_xor_si128(
      _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11)), next);
}

// Folds `p`'s 16-byte blocks into x while n lasts, then returns the raw register after the
// message so far: x is congruent to it, so checksumming x's 16 bytes from a zero register gives
// that register. The rest (under 16 bytes) goes on from there.
SLUICE_CLMUL_TARGET inline uint32_t register_after(__m128i x, const uint8_t*& p,
                                                   size_t& n) noexcept {
  const __m128i by_16 = to_m128(by_16_k);
  for (; n >= 16; p += 16, n -= 16)
    x = fold(x, by_16, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  uint64_t c = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(x)));
  return static_cast<uint32_t>(_mm_crc32_u64(c, static_cast<uint64_t>(_mm_extract_epi64(x, 1))));
}

// The same on four 16-byte blocks at once.
SLUICE_FOLD_TARGET inline __m512i fold(__m512i x, __m512i k, __m512i next) noexcept {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00),
                                   _mm512_clmulepi64_epi128(x, k, 0x11), next, 0x96);
}

SLUICE_FOLD_TARGET inline __m512i load64(const uint8_t* p) noexcept {
  return _mm512_loadu_si512(p);
}

// The same with 256-bit registers, on CPUs with VPCLMULQDQ but without AVX-512 (AMD Zen 3).
#define SLUICE_FOLD256_TARGET __attribute__((target("avx2,vpclmulqdq,pclmul,sse4.2")))

constexpr fold_constants by_32_k = fold_by(32);

SLUICE_FOLD256_TARGET inline __m256i fold(__m256i x, __m256i k, __m256i next) noexcept {
  return _mm256_xor_si256(
      _mm256_xor_si256(_mm256_clmulepi64_epi128(x, k, 0x00), _mm256_clmulepi64_epi128(x, k, 0x11)),
      next);
}

SLUICE_FOLD256_TARGET inline __m256i load32(const uint8_t* p) noexcept {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
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
    c = load_crc(c, p);
    p += 8;
    n -= 8;
  }
  auto c32 = static_cast<uint32_t>(c);
  while (n-- > 0)
    c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

SLUICE_FOLD_TARGET uint32_t crc32c_fold(std::span<const std::byte> data, uint32_t crc) noexcept {
  constexpr size_t stride = fold_stride;
  if (data.size() < stride) return crc32c_sse42(data, crc);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  // The starting register joins the message's first four bytes.
  const __m512i start = _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(~crc)));
  __m512i z0 = _mm512_xor_si512(load64(p), start);
  __m512i z1 = load64(p + 64), z2 = load64(p + 128), z3 = load64(p + 192);
  p += stride;
  n -= stride;
  const __m512i by_stride = _mm512_broadcast_i32x4(to_m128(by_stride_k));
  for (; n >= stride; p += stride, n -= stride) {
    z0 = fold(z0, by_stride, load64(p));
    z1 = fold(z1, by_stride, load64(p + 64));
    z2 = fold(z2, by_stride, load64(p + 128));
    z3 = fold(z3, by_stride, load64(p + 192));
  }
  const __m512i by_64 = _mm512_broadcast_i32x4(to_m128(by_64_k));
  z1 = fold(z0, by_64, z1);
  z2 = fold(z1, by_64, z2);
  z3 = fold(z2, by_64, z3);
  for (; n >= 64; p += 64, n -= 64)
    z3 = fold(z3, by_64, load64(p));
  const __m128i by_16 = to_m128(by_16_k);
  __m128i x = _mm512_extracti32x4_epi32(z3, 0);
  x = fold(x, by_16, _mm512_extracti32x4_epi32(z3, 1));
  x = fold(x, by_16, _mm512_extracti32x4_epi32(z3, 2));
  x = fold(x, by_16, _mm512_extracti32x4_epi32(z3, 3));
  const uint32_t raw = register_after(x, p, n);
  return crc32c_sse42({reinterpret_cast<const std::byte*>(p), n}, ~raw);
}

// Eight registers of two blocks each in flight: the same stride as crc32c_fold's. On Zen 3 the
// carry-less multiplies and the crc32 instruction run on different units, so long inputs go in
// blocks whose first part is folded while three crc32 streams take the rest, about twice either
// alone.
constexpr size_t hybrid_rounds = 16;       // of fold_stride folded bytes each
constexpr size_t hybrid_stream_words = 8;  // 8-byte words per crc32 stream and round
constexpr size_t hybrid_stream = (hybrid_rounds - 1) * 8 * hybrid_stream_words;
constexpr size_t hybrid_block = hybrid_rounds * fold_stride + 3 * hybrid_stream;
constexpr shift_table hybrid_shift = make_shift_table(hybrid_stream);

constexpr size_t lanes = fold_stride / 32;
using lanes256 = __m256i[lanes];

SLUICE_FOLD256_TARGET inline void load_lanes(lanes256& z, const uint8_t* p, uint32_t raw) noexcept {
  for (size_t i = 0; i < lanes; ++i)
    z[i] = load32(p + 32 * i);
  z[0] = _mm256_xor_si256(z[0], _mm256_zextsi128_si256(_mm_cvtsi32_si128(static_cast<int>(raw))));
}

SLUICE_FOLD256_TARGET inline void fold_lanes(lanes256& z, __m256i by_stride,
                                             const uint8_t* p) noexcept {
  for (size_t i = 0; i < lanes; ++i)
    z[i] = fold(z[i], by_stride, load32(p + 32 * i));
}

// Folds the lanes into one register, then `p`'s 32-byte blocks while n lasts; returns its halves
// folded together.
SLUICE_FOLD256_TARGET inline __m128i merge_lanes(const lanes256& z, const uint8_t*& p,
                                                 size_t& n) noexcept {
  const __m256i by_32 = _mm256_broadcastsi128_si256(to_m128(by_32_k));
  __m256i y = z[0];
  for (size_t i = 1; i < lanes; ++i)
    y = fold(y, by_32, z[i]);
  for (; n >= 32; p += 32, n -= 32)
    y = fold(y, by_32, load32(p));
  return fold(_mm256_castsi256_si128(y), to_m128(by_16_k), _mm256_extracti128_si256(y, 1));
}

// One hybrid_block from p, continuing raw register `raw`.
SLUICE_FOLD256_TARGET inline uint32_t hybrid_block_crc(const uint8_t* p, uint32_t raw) noexcept {
  const __m256i by_stride = _mm256_broadcastsi128_si256(to_m128(by_stride_k));
  const uint8_t* s = p + hybrid_rounds * fold_stride;
  uint64_t c1 = 0, c2 = 0, c3 = 0;
  lanes256 z;
  load_lanes(z, p, raw);
  for (size_t r = 1; r < hybrid_rounds; ++r) {
    fold_lanes(z, by_stride, p + r * fold_stride);
    for (size_t w = 0; w < hybrid_stream_words; ++w, s += 8) {
      c1 = load_crc(c1, s);
      c2 = load_crc(c2, s + hybrid_stream);
      c3 = load_crc(c3, s + 2 * hybrid_stream);
    }
  }
  size_t none = 0;  // the lanes hold the whole folded part
  uint32_t c = register_after(merge_lanes(z, p, none), p, none);
  c = shift(hybrid_shift, c) ^ static_cast<uint32_t>(c1);
  c = shift(hybrid_shift, c) ^ static_cast<uint32_t>(c2);
  return shift(hybrid_shift, c) ^ static_cast<uint32_t>(c3);
}

SLUICE_FOLD256_TARGET uint32_t crc32c_fold256(std::span<const std::byte> data,
                                              uint32_t crc) noexcept {
  constexpr size_t stride = fold_stride;
  if (data.size() < stride) return crc32c_sse42(data, crc);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint32_t raw = ~crc;
  for (; n >= hybrid_block; p += hybrid_block, n -= hybrid_block)
    raw = hybrid_block_crc(p, raw);
  if (n >= stride) {
    lanes256 z;
    load_lanes(z, p, raw);
    p += stride;
    n -= stride;
    const __m256i by_stride = _mm256_broadcastsi128_si256(to_m128(by_stride_k));
    for (; n >= stride; p += stride, n -= stride)
      fold_lanes(z, by_stride, p);
    raw = register_after(merge_lanes(z, p, n), p, n);
  }
  return crc32c_sse42({reinterpret_cast<const std::byte*>(p), n}, ~raw);
}

bool crc32c_has_sse42() noexcept {
  return __builtin_cpu_supports("sse4.2");
}

bool crc32c_has_fold() noexcept {
  return crc32c_has_sse42() && __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("pclmul");
}

bool crc32c_has_fold256() noexcept {
  return crc32c_has_sse42() && __builtin_cpu_supports("avx2") &&
         __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("pclmul");
}

}  // namespace sluice::proto
#else
namespace sluice::proto {

uint32_t crc32c_sse42(std::span<const std::byte> data, uint32_t crc) noexcept {
  return crc32c_table(data, crc);
}
uint32_t crc32c_fold(std::span<const std::byte> data, uint32_t crc) noexcept {
  return crc32c_table(data, crc);
}
uint32_t crc32c_fold256(std::span<const std::byte> data, uint32_t crc) noexcept {
  return crc32c_table(data, crc);
}
bool crc32c_has_sse42() noexcept {
  return false;
}
bool crc32c_has_fold256() noexcept {
  return false;
}
bool crc32c_has_fold() noexcept {
  return false;
}

}  // namespace sluice::proto
#endif
