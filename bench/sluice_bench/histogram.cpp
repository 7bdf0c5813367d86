#include "bench/sluice_bench/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sluice::bench {

// Index layout: values below 2^sub_bits map to themselves; above, the bucket is the position of
// the highest set bit and the sub-bucket the next sub_bits bits below it.
histogram::histogram() : counts_(static_cast<size_t>(buckets + 1) << sub_bits, 0) {}

size_t histogram::index_of(uint64_t v) noexcept {
  if (v < (uint64_t{1} << sub_bits)) return static_cast<size_t>(v);
  const int top = 63 - std::countl_zero(v);  // >= sub_bits
  const int shift = top - sub_bits;
  const uint64_t sub = (v >> shift) & ((uint64_t{1} << sub_bits) - 1);
  return (static_cast<size_t>(shift + 1) << sub_bits) + static_cast<size_t>(sub);
}

uint64_t histogram::highest_in(size_t index) noexcept {
  const size_t bucket = index >> sub_bits;
  const uint64_t sub = index & ((size_t{1} << sub_bits) - 1);
  if (bucket == 0) return sub;
  const int shift = static_cast<int>(bucket) - 1;
  const uint64_t low = ((uint64_t{1} << sub_bits) | sub) << shift;
  return low + ((uint64_t{1} << shift) - 1);
}

void histogram::record(uint64_t micros) {
  ++counts_[index_of(micros)];
  ++count_;
  max_ = std::max(max_, micros);
}

void histogram::merge(const histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t histogram::at(double quantile) const {
  if (count_ == 0) return 0;
  const auto wanted = static_cast<uint64_t>(
      std::ceil(std::clamp(quantile, 0.0, 1.0) * static_cast<double>(count_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= std::max<uint64_t>(wanted, 1)) return std::min(highest_in(i), max_);
  }
  return max_;
}

}  // namespace sluice::bench
