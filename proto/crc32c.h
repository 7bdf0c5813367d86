// CRC-32C (Castagnoli), the checksum of record batch v2. Uses AVX-512 carry-less multiplies when
// the CPU has them (about 2.5x the next); else 256-bit ones (VPCLMULQDQ with AVX2, as on AMD Zen
// 3) alongside the crc32 instruction, about 1.6x the next at 64 KiB on Zen 3; else the SSE4.2 crc32
// instruction on three streams at once whose CRCs are then joined (about 2x one stream); else a
// slicing-by-8 table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sluice::proto {

// Returns the CRC-32C of `data` continued from `crc` (the CRC of everything before it; 0 to
// start). crc32c(b, crc32c(a)) == crc32c(a ++ b).
[[nodiscard]] uint32_t crc32c(std::span<const std::byte> data, uint32_t crc = 0) noexcept;

// Returns crc32c(a ++ b) from crc_a = crc32c(a), crc_b = crc32c(b) and b_size = |b|, in time
// logarithmic in b_size: a CRC can be taken of data in pieces made in any order.
[[nodiscard]] uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t b_size) noexcept;

// The implementations behind crc32c(), exposed so that tests can compare them. On x86-64,
// crc32c_sse42, crc32c_fold and crc32c_fold256 REQUIRE crc32c_has_sse42(), crc32c_has_fold() and
// crc32c_has_fold256(): without them they stop the process with an illegal instruction. On other
// CPUs all three are the table.
[[nodiscard]] uint32_t crc32c_table(std::span<const std::byte> data, uint32_t crc = 0) noexcept;
[[nodiscard]] uint32_t crc32c_sse42(std::span<const std::byte> data, uint32_t crc = 0) noexcept;
[[nodiscard]] uint32_t crc32c_fold(std::span<const std::byte> data, uint32_t crc = 0) noexcept;
[[nodiscard]] uint32_t crc32c_fold256(std::span<const std::byte> data, uint32_t crc = 0) noexcept;
[[nodiscard]] bool crc32c_has_sse42() noexcept;
[[nodiscard]] bool crc32c_has_fold() noexcept;
[[nodiscard]] bool crc32c_has_fold256() noexcept;

}  // namespace sluice::proto
