#include "storage/segment.h"

#include <catch2/catch.hpp>
#include <random>

#include "storage/fault_injection.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;
using storage::segment;

namespace {

struct written_batch {
  offset base;
  offset last;
  uint64_t position;
  uint64_t size;
  int64_t max_ts;
};

// Appends `count` batches of 1..5 records starting at offset `base`, timestamps from `ts`.
std::vector<written_batch> fill(segment& seg, offset base, int count, std::mt19937_64& rng,
                                int64_t ts = 1000) {
  std::vector<written_batch> out;
  offset next = base;
  for (int i = 0; i < count; ++i) {
    proto::batch_builder b;
    int n = 1 + static_cast<int>(rng() % 5);
    for (int r = 0; r < n; ++r) {
      b.append(ts + static_cast<int64_t>(rng() % 100), std::nullopt,
               test::as_bytes(std::string(50 + rng() % 200, 'v')));
    }
    auto bytes = b.build(next).value();
    proto::set_partition_leader_epoch(bytes, storage::leader_epoch);
    auto h = proto::validate_batch(bytes).value();
    uint64_t pos = seg.size();
    REQUIRE(seg.append(bytes, h, 0));
    out.push_back({h.base_offset, h.last_offset(), pos, bytes.size(), h.max_timestamp});
    next = h.next_offset();
    ts += 50;
  }
  return out;
}

void check_locate_everywhere(segment& seg, const std::vector<written_batch>& batches) {
  for (const auto& b : batches) {
    for (offset o = b.base; o <= b.last; o = o + 1) {
      auto loc = seg.locate(o, seg.size());
      REQUIRE(loc);
      REQUIRE(loc.value());
      CHECK(loc.value()->position == b.position);
      CHECK(loc.value()->header.base_offset == b.base);
    }
  }
  auto past = seg.locate(batches.back().last + 1, seg.size());
  REQUIRE(past);
  CHECK_FALSE(past.value());
}

}  // namespace

TEST_CASE("segment file names are 20-digit base offsets", "[storage][segment]") {
  CHECK(segment::file_name(offset{42}, ".log") == "00000000000000000042.log");
}

TEST_CASE("segment finds every offset, at index entries and between them", "[storage][segment]") {
  test::temp_dir dir;
  std::mt19937_64 rng(11);
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{500}, 1024).value();
  auto batches = fill(*seg, offset{500}, 60, rng);
  check_locate_everywhere(*seg, batches);
  CHECK(seg->next_offset().value() == batches.back().last + 1);
  // A target below the base is found in the first batch.
  CHECK(seg->locate(offset{0}, seg->size()).value()->position == 0);
}

TEST_CASE("segment read returns whole batches within max bytes", "[storage][segment]") {
  test::temp_dir dir;
  std::mt19937_64 rng(12);
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 512).value();
  auto batches = fill(*seg, offset{0}, 40, rng);

  const offset end = batches.back().last + 1;
  // Everything fits.
  auto all = seg->read(offset{0}, 1 << 20, seg->size(), end).value();
  CHECK(all->range.length == seg->size());
  CHECK(all->next == end);

  // A budget smaller than the first batch still returns that batch.
  auto one = seg->read(batches[3].base, 1, seg->size(), end).value();
  CHECK(one->range.position == batches[3].position);
  CHECK(one->range.length == batches[3].size);
  CHECK(one->next == batches[3].last + 1);

  // A budget in the middle ends at a batch boundary, never splitting one, and takes as many
  // whole batches as fit.
  for (uint64_t budget : {300, 1000, 2500, 7000}) {
    auto r = seg->read(batches[5].base, budget, seg->size(), end).value();
    const uint64_t stop = r->range.position + r->range.length;
    auto last = std::find_if(batches.begin(), batches.end(),
                             [&](const auto& b) { return b.position + b.size == stop; });
    REQUIRE(last != batches.end());
    CHECK(r->next == last->last + 1);
    CHECK((r->range.length <= budget || r->range.length == batches[5].size));
    if (std::next(last) != batches.end()) CHECK(r->range.length + std::next(last)->size > budget);
  }

  // Never past end_pos, which stands for end_offset.
  auto capped = seg->read(offset{0}, 1 << 20, batches[10].position, batches[10].base).value();
  CHECK(capped->range.length == batches[10].position);
  CHECK(capped->next == batches[10].base);
  CHECK_FALSE(seg->read(batches[10].base, 1 << 20, batches[10].position, batches[10].base).value());
}

TEST_CASE("segment timestamp lookup agrees with a scan of every record", "[storage][segment]") {
  test::temp_dir dir;
  std::mt19937_64 rng(13);
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 300).value();
  fill(*seg, offset{0}, 80, rng);
  auto bytes =
      test::read_ranges({{seg->read(offset{0}, 1 << 30, seg->size(), offset{}).value()->range},
                         0,
                         offset{},
                         offset{},
                         offset{}});
  auto records = test::decode_records(bytes);
  for (int64_t t = 900; t < 6000; t += 37) {
    std::optional<int64_t> expected;
    for (const auto& r : records) {
      if (r.timestamp >= t) {
        expected = r.offset;
        break;
      }
    }
    auto found = seg->offset_for_timestamp(t, seg->size(), {});
    REQUIRE(found);
    INFO("t=" << t);
    CHECK(found.value().has_value() == expected.has_value());
    if (expected) CHECK(found.value()->value == *expected);
  }
}

TEST_CASE("a sealed segment reopens from its index files", "[storage][segment]") {
  test::temp_dir dir;
  std::mt19937_64 rng(14);
  storage::fault_injecting_filesystem fs;
  std::vector<written_batch> batches;
  {
    auto seg = segment::create(fs, dir.path(), offset{0}, 256).value();
    batches = fill(*seg, offset{0}, 50, rng);
    REQUIRE(seg->seal());
  }
  storage::fault_injecting_filesystem reopen_fs;
  auto seg =
      segment::open(reopen_fs, dir.path(), offset{0}, 256, segment::open_mode::trust).value();
  CHECK(reopen_fs.bytes_read(".log") == 0);  // nothing read until needed
  CHECK(seg->max_timestamp() ==
        std::max_element(batches.begin(), batches.end(), [](auto& a, auto& b) {
          return a.max_ts < b.max_ts;
        })->max_ts);
  check_locate_everywhere(*seg, batches);
  CHECK(seg->next_offset().value() == batches.back().last + 1);
}

TEST_CASE("missing index files are rebuilt from the log", "[storage][segment]") {
  test::temp_dir dir;
  std::mt19937_64 rng(15);
  std::vector<written_batch> batches;
  {
    auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{7}, 256).value();
    batches = fill(*seg, offset{7}, 30, rng);
    REQUIRE(seg->seal());
    std::filesystem::remove(seg->path(".index"));
  }
  auto seg = segment::open(storage::posix_filesystem(), dir.path(), offset{7}, 256,
                           segment::open_mode::trust)
                 .value();
  check_locate_everywhere(*seg, batches);
  CHECK(std::filesystem::exists(seg->path(".index")));
}
