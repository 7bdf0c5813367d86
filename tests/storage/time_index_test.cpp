#include "storage/time_index.h"

#include <catch2/catch.hpp>

using namespace sluice;
using storage::time_index;

TEST_CASE("time index keeps only growing timestamps", "[storage][index]") {
  time_index idx(offset{0});
  idx.maybe_append(100, offset{0});
  idx.maybe_append(90, offset{5});  // not a new maximum
  idx.maybe_append(200, offset{10});
  REQUIRE(idx.last());
  CHECK(idx.last()->timestamp == 200);
  CHECK(idx.serialize().size() == 2 * time_index::entry_size);
}

TEST_CASE("time index finds the last entry strictly before a time", "[storage][index]") {
  time_index idx(offset{50});
  idx.maybe_append(100, offset{50});
  idx.maybe_append(200, offset{60});
  idx.maybe_append(300, offset{70});
  CHECK_FALSE(idx.last_before(100));
  CHECK(idx.last_before(101)->batch_offset == offset{50});
  CHECK(idx.last_before(200)->batch_offset == offset{50});
  CHECK(idx.last_before(250)->batch_offset == offset{60});
  CHECK(idx.last_before(1000)->batch_offset == offset{70});
}

TEST_CASE("time index truncation and file round trip", "[storage][index]") {
  time_index idx(offset{0});
  idx.maybe_append(100, offset{0});
  idx.maybe_append(200, offset{10});
  auto parsed = time_index::parse(offset{0}, idx.serialize());
  REQUIRE(parsed);
  CHECK(parsed.value().last()->timestamp == 200);
  parsed.value().truncate_from(offset{10});
  CHECK(parsed.value().last()->timestamp == 100);
  auto bytes = idx.serialize();
  bytes.pop_back();
  CHECK_FALSE(time_index::parse(offset{0}, bytes));
}
