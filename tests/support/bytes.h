// Small helpers for tests that build and compare byte buffers.
#pragma once

#include <cstddef>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::test {

inline std::span<const std::byte> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::string to_string(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline std::vector<std::byte> random_bytes(std::mt19937_64& rng, size_t n) {
  std::vector<std::byte> out(n);
  for (auto& b : out)
    b = static_cast<std::byte>(rng());
  return out;
}

// Text that compresses well but not trivially.
inline std::string compressible_text(std::mt19937_64& rng, size_t n) {
  static constexpr std::string_view words[] = {"alpha ",  "beta ",   "gamma ",   "delta ",
                                               "sluice ", "offset ", "segment ", "partition "};
  std::string s;
  while (s.size() < n)
    s += words[rng() % std::size(words)];
  s.resize(n);
  return s;
}

}  // namespace sluice::test
