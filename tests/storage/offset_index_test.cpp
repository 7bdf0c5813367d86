#include "storage/offset_index.h"

#include <catch2/catch.hpp>

#include "storage/errc.h"

using namespace sluice;
using storage::offset_index;

namespace {
offset_index sample() {
  offset_index idx(offset{100});
  idx.append(offset{110}, 4096);
  idx.append(offset{125}, 8200);
  idx.append(offset{140}, 12300);
  return idx;
}
}  // namespace

TEST_CASE("offset index floor at and between entries", "[storage][index]") {
  auto idx = sample();
  CHECK(idx.floor(offset{100}).position == 0);  // before the first entry: segment start
  CHECK(idx.floor(offset{109}).position == 0);
  CHECK(idx.floor(offset{110}).position == 4096);  // exactly an entry
  CHECK(idx.floor(offset{124}).position == 4096);
  CHECK(idx.floor(offset{125}).batch_offset == offset{125});
  CHECK(idx.floor(offset{1000}).position == 12300);  // past the last entry
  CHECK(idx.floor(offset{5}).position == 0);         // below the base
}

TEST_CASE("offset index floor by position", "[storage][index]") {
  auto idx = sample();
  CHECK(idx.floor_position(0).position == 0);
  CHECK(idx.floor_position(4095).position == 0);
  CHECK(idx.floor_position(4096).position == 4096);
  CHECK(idx.floor_position(12299).batch_offset == offset{125});
  CHECK(idx.floor_position(UINT64_MAX).position == 12300);
}

TEST_CASE("offset index truncation drops entries at and after a position", "[storage][index]") {
  auto idx = sample();
  idx.truncate_from(8200);
  CHECK(idx.size() == 1);
  CHECK(idx.floor(offset{200}).position == 4096);
}

TEST_CASE("offset index file round trips", "[storage][index]") {
  auto idx = sample();
  auto parsed = offset_index::parse(offset{100}, idx.serialize(), 20000);
  REQUIRE(parsed);
  CHECK(parsed.value().size() == 3);
  CHECK(parsed.value().floor(offset{130}).position == 8200);
}

TEST_CASE("offset index files that cannot be right are refused", "[storage][index]") {
  auto bytes = sample().serialize();
  auto odd = bytes;
  odd.pop_back();
  CHECK(offset_index::parse(offset{100}, odd, 20000).error().code ==
        storage::errc::corrupt_metadata);
  // A position past the end of the log.
  CHECK_FALSE(offset_index::parse(offset{100}, bytes, 12300));
  // Entries out of order.
  auto swapped = bytes;
  std::swap_ranges(swapped.begin(), swapped.begin() + 8, swapped.begin() + 8);
  CHECK_FALSE(offset_index::parse(offset{100}, swapped, 20000));
}
