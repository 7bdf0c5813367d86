// A latency histogram in the manner of HdrHistogram: values (microseconds) fall into buckets
// that double in range and split into 1024 sub-buckets each, so any recorded value is known to
// within 0.1%, whatever its size, in fixed memory. Not thread-safe: one per thread, then merge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sluice::bench {

class histogram {
 public:
  histogram();

  void record(uint64_t micros);
  void merge(const histogram& other);

  [[nodiscard]] uint64_t count() const noexcept { return count_; }
  [[nodiscard]] uint64_t max() const noexcept { return max_; }
  // The smallest recorded value v such that at least `quantile` of the values are <= v
  // (to within a sub-bucket). 0 when empty.
  [[nodiscard]] uint64_t at(double quantile) const;

 private:
  static constexpr int sub_bits = 10;
  static constexpr int buckets = 64 - sub_bits;
  [[nodiscard]] static size_t index_of(uint64_t v) noexcept;
  [[nodiscard]] static uint64_t highest_in(size_t index) noexcept;

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace sluice::bench
