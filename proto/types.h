// Strong vocabulary types used on the wire and on disk, so that an offset cannot be passed where a
// partition id or a byte position is expected.
#pragma once

#include <compare>
#include <cstdint>
#include <functional>

namespace sluice {

// The position of a record in its partition's log. Offsets start at 0 and grow by one per record.
struct offset {
  int64_t value = 0;

  constexpr auto operator<=>(const offset&) const = default;
  constexpr offset operator+(int64_t n) const { return offset{value + n}; }
  constexpr offset operator-(int64_t n) const { return offset{value - n}; }
  constexpr int64_t operator-(offset o) const { return value - o.value; }
};

struct partition_id {
  int32_t value = 0;

  constexpr auto operator<=>(const partition_id&) const = default;
};

}  // namespace sluice

template <>
struct std::hash<sluice::offset> {
  size_t operator()(sluice::offset o) const noexcept { return std::hash<int64_t>{}(o.value); }
};
