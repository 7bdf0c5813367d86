#include "storage/retention.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace sluice::storage;

TEST_CASE("time retention deletes the oldest segments past retention.ms", "[storage][retention]") {
  log_config c;
  c.retention_ms = 1000;
  std::vector<segment_summary> segs{{100, 1000}, {100, 1500}, {100, 5000}, {50, 9000}};
  CHECK(expired_segments(segs, c, 2000) == 0);
  CHECK(expired_segments(segs, c, 2001) == 1);
  CHECK(expired_segments(segs, c, 6001) == 3);
  CHECK(expired_segments(segs, c, 99999) == 4);  // the active one too: the caller rolls first
}

TEST_CASE("time retention stops at the first segment still retained", "[storage][retention]") {
  log_config c;
  c.retention_ms = 1000;
  std::vector<segment_summary> segs{{100, 5000}, {100, 1000}, {100, 9000}};
  CHECK(expired_segments(segs, c, 6000) == 0);
}

TEST_CASE("size retention keeps the partition at or above retention.bytes",
          "[storage][retention]") {
  log_config c;
  c.retention_bytes = 250;
  std::vector<segment_summary> segs{{100, 1}, {100, 2}, {100, 3}, {100, 4}};
  CHECK(expired_segments(segs, c, 0) == 1);  // 400 - 100 >= 250, 300 - 100 < 250
  c.retention_bytes = 0;
  CHECK(expired_segments(segs, c, 0) == 3);  // never the active segment
}

TEST_CASE("retention does nothing for compact-only topics or empty segments",
          "[storage][retention]") {
  log_config c;
  c.retention_ms = 0;
  c.cleanup_delete = false;
  std::vector<segment_summary> segs{{100, 1}, {100, 2}};
  CHECK(expired_segments(segs, c, 1000) == 0);
  c.cleanup_delete = true;
  std::vector<segment_summary> empty{{0, -1}};
  CHECK(expired_segments(empty, c, 1000) == 0);
}

TEST_CASE("an empty segment before the active one is past time retention", "[storage][retention]") {
  log_config c;
  c.retention_ms = 1000;
  // The first segment was emptied by compaction; the second is old; the active one is new.
  std::vector<segment_summary> segs{{0, -1}, {100, 10}, {100, 99'000}};
  CHECK(expired_segments(segs, c, 100'000) == 2);
  std::vector<segment_summary> only_active{{0, -1}};
  CHECK(expired_segments(only_active, c, 100'000) == 0);
}
