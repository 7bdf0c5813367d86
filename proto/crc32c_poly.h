// Arithmetic on polynomials modulo CRC-32C's, shared by its implementations. Internal to proto/.
#pragma once

#include <cstdint>

namespace sluice::proto::crc32c_poly {

// A polynomial of degree below 32 is held reflected, as CRC-32C's register is: bit 31 is x^0.
constexpr uint32_t poly = 0x82F63B78;  // x^32 + ... reflected, without its x^32 term
constexpr uint32_t one = 1u << 31;     // x^0

// a * b modulo the polynomial.
constexpr uint32_t mul_mod_p(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t m = one; m != 0; m >>= 1) {
    if (a & m) product ^= b;
    b = (b & 1) ? (b >> 1) ^ poly : b >> 1;
  }
  return product;
}

// x^n modulo the polynomial.
constexpr uint32_t x_pow(uint64_t n) {
  uint32_t result = one;
  uint32_t square = one >> 1;  // x^1
  for (; n != 0; n >>= 1) {
    if (n & 1) result = mul_mod_p(square, result);
    square = mul_mod_p(square, square);
  }
  return result;
}

}  // namespace sluice::proto::crc32c_poly
