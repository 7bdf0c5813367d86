// Disk space allocated ahead of the active segment (segment::append's preallocate_bytes), on the
// real filesystem of $TMPDIR: the allocation is seen in st_blocks, the file size never.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "storage/errc.h"
#include "storage/fault_injection.h"
#include "storage/segment.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;
using storage::segment;

namespace {

constexpr uint64_t kib = 1024;
constexpr uint64_t step = 256 * kib;

struct disk_usage {
  uint64_t size;       // st_size
  uint64_t allocated;  // bytes of disk blocks
};

disk_usage usage_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return {static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_blocks) * 512};
}

// Blocks a file of `size` bytes needs at most, without preallocation.
uint64_t blocks_for(uint64_t size) {
  return (size + 65535) / 65536 * 65536;
}

// Appends `count` batches of one 1000-byte record, offsets from the segment's next offset.
result<void> append_batches(segment& seg, int count, uint64_t preallocate_bytes) {
  for (int i = 0; i < count; ++i) {
    SLUICE_TRY(next, seg.next_offset());
    auto bytes = test::make_batch({std::string(1000, 'p')});
    proto::set_base_offset(bytes, next);
    proto::set_partition_leader_epoch(bytes, storage::leader_epoch);
    SLUICE_TRY(h, proto::validate_batch(bytes));
    SLUICE_TRY(seg.append(bytes, h, 0, preallocate_bytes));
  }
  return success();
}

}  // namespace

TEST_CASE("an active segment has space allocated ahead, and gives it back when sealed",
          "[storage][preallocation]") {
  test::temp_dir dir;
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 4096).value();
  const auto log = seg->path(".log");

  // A young segment gets 64 KiB past its first batch.
  REQUIRE(append_batches(*seg, 1, step));
  CHECK(usage_of(log).size == seg->size());
  CHECK(usage_of(log).allocated >= 64 * kib);

  // Crossing that, it gets as much again as it holds.
  while (seg->size() < 80 * kib)
    REQUIRE(append_batches(*seg, 1, step));
  auto active = usage_of(log);
  CHECK(active.size == seg->size());
  CHECK(active.allocated >= 128 * kib);

  REQUIRE(seg->seal());
  auto sealed = usage_of(log);
  CHECK(sealed.size == seg->size());
  CHECK(sealed.allocated <= blocks_for(seg->size()));
}

TEST_CASE("a segment appended without preallocation allocates only what it writes",
          "[storage][preallocation]") {
  test::temp_dir dir;
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 4096).value();
  REQUIRE(append_batches(*seg, 10, 0));
  CHECK(usage_of(seg->path(".log")).allocated <= blocks_for(seg->size()));
}

TEST_CASE("a young segment allocates ahead only as much as it holds", "[storage][preallocation]") {
  test::temp_dir dir;
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 4096).value();
  const auto log = seg->path(".log");
  constexpr uint64_t large_step = 64u << 20;
  // An idle partition with one small batch reserves 64 KiB past it, not the whole step.
  REQUIRE(append_batches(*seg, 1, large_step));
  CHECK(usage_of(log).allocated >= 64 * kib);
  CHECK(usage_of(log).allocated <= 128 * kib);

  // From then on each step is as long as the segment, so a segment of 2 MB has at most about
  // twice its size allocated.
  REQUIRE(append_batches(*seg, 2000, large_step));
  auto grown = usage_of(log);
  CHECK(grown.allocated >= seg->size());
  CHECK(grown.allocated <= 2 * seg->size() + 64 * kib);
}

TEST_CASE("truncating a segment gives back its preallocated space", "[storage][preallocation]") {
  test::temp_dir dir;
  auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 4096).value();
  REQUIRE(append_batches(*seg, 5, step));
  const uint64_t keep = seg->size();
  REQUIRE(append_batches(*seg, 5, step));

  REQUIRE(seg->truncate(keep, offset{5}));
  auto cut = usage_of(seg->path(".log"));
  CHECK(cut.size == keep);
  CHECK(cut.allocated <= blocks_for(keep));

  // Appends after the cut preallocate again and land where the cut was.
  REQUIRE(append_batches(*seg, 1, step));
  CHECK(seg->next_offset().value() == offset{6});
  CHECK(usage_of(seg->path(".log")).allocated >= 64 * kib);
}

TEST_CASE("a failed write gives back the preallocated space", "[storage][preallocation]") {
  test::temp_dir dir;
  storage::fault_injecting_filesystem faulty;
  auto seg = segment::create(faulty, dir.path(), offset{0}, 4096).value();
  REQUIRE(append_batches(*seg, 5, step));
  REQUIRE(usage_of(seg->path(".log")).allocated >= 64 * kib);

  faulty.fail_writes(EIO);
  REQUIRE_FALSE(append_batches(*seg, 1, step));
  auto failed = usage_of(seg->path(".log"));
  CHECK(failed.size == seg->size());
  CHECK(failed.allocated <= blocks_for(seg->size()));

  faulty.clear_faults();
  REQUIRE(append_batches(*seg, 1, step));
  CHECK(seg->next_offset().value() == offset{6});
  CHECK(usage_of(seg->path(".log")).allocated >= 64 * kib);
}

TEST_CASE("a segment recovered after a crash gives back space preallocated before it",
          "[storage][preallocation]") {
  test::temp_dir dir;
  uint64_t size = 0;
  {
    auto seg = segment::create(storage::posix_filesystem(), dir.path(), offset{0}, 4096).value();
    REQUIRE(append_batches(*seg, 20, step));
    size = seg->size();
    // No seal: the process dies with the space still allocated past the end.
  }
  const auto log = dir.path() / segment::file_name(offset{0}, ".log");
  REQUIRE(usage_of(log).allocated >= 64 * kib);

  auto seg = segment::open(storage::posix_filesystem(), dir.path(), offset{0}, 4096,
                           segment::open_mode::recover)
                 .value();
  CHECK(seg->size() == size);
  CHECK(seg->next_offset().value() == offset{20});
  CHECK(usage_of(log).allocated <= blocks_for(size));
}

TEST_CASE("appends go on when the disk cannot preallocate, until it is full",
          "[storage][preallocation]") {
  test::temp_dir dir;
  storage::fault_injecting_filesystem faulty;
  auto seg = segment::create(faulty, dir.path(), offset{0}, 4096).value();
  // Room for a few batches, far less than one preallocation step.
  faulty.limit_space(5 * 1100);

  REQUIRE(append_batches(*seg, 4, step));
  CHECK(seg->next_offset().value() == offset{4});
  CHECK(usage_of(seg->path(".log")).allocated <= blocks_for(seg->size()));

  auto full = append_batches(*seg, 4, step);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == storage::errc::no_space);
  // The batch that did not fit was cut off again.
  CHECK(seg->next_offset().value() == offset{5});
  CHECK(usage_of(seg->path(".log")).size == seg->size());
}
