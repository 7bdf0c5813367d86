// Crash recovery against damaged segment files: a tail cut short, bits flipped, garbage appended.
// Reopening must never crash, never serve a corrupt batch, and keep every batch before the damage.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <random>

#include "storage/partition_log.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

struct batch_span {
  uint64_t position;
  uint64_t size;
  offset next;  // offset after the batch
};

std::vector<std::byte> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), {});
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

void write_file(const std::filesystem::path& p, std::span<const std::byte> bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

std::filesystem::path active_segment(const std::filesystem::path& dir) {
  std::filesystem::path last;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log" && (last.empty() || e.path() > last)) last = e.path();
  }
  return last;
}

std::shared_ptr<storage::partition_log> open_log(const std::filesystem::path& dir, bool clean) {
  storage::partition_options o;
  o.config.segment_bytes = 16 * 1024;
  auto log = storage::partition_log::open(storage::posix_filesystem(), dir, "t", partition_id{0}, o,
                                          clean);
  REQUIRE(log);
  return log.value();
}

}  // namespace

TEST_CASE("recovery cuts a damaged active segment at the first bad batch",
          "[storage][recovery][crash]") {
  test::temp_dir work;
  const auto pristine = work / "pristine";
  std::mt19937_64 rng(2024);

  // Three segments or so; the last one, the active segment, takes the damage.
  std::vector<test::plain_record> all_records;
  {
    auto log = open_log(pristine, true);
    for (int i = 0; i < 120; ++i) {
      std::vector<std::string> values;
      int n = 1 + static_cast<int>(rng() % 6);
      for (int r = 0; r < n; ++r)
        values.push_back(test::compressible_text(rng, 20 + rng() % 400));
      auto codec = static_cast<proto::codec>(rng() % 5);
      auto batch = test::make_batch(values, 1000 + i, codec);
      REQUIRE(log->append(batch));
    }
    all_records = test::read_all(*log);
    REQUIRE(log->close());
    REQUIRE(log->segment_count() >= 3);
  }
  const auto active = active_segment(pristine);
  const auto active_bytes = read_file(active);
  std::vector<batch_span> batches;
  {
    proto::batch_iterator it(active_bytes);
    while (auto b = it.next().value()) {
      batches.push_back({static_cast<uint64_t>(b->bytes.data() - active_bytes.data()),
                         b->bytes.size(), b->header.next_offset()});
    }
  }
  REQUIRE(batches.size() > 5);
  const offset active_base{std::stoll(active.stem().string())};

  for (int round = 0; round < 300; ++round) {
    const auto dir = work / ("round-" + std::to_string(round));
    std::filesystem::copy(pristine, dir, std::filesystem::copy_options::recursive);
    auto bytes = active_bytes;
    const uint64_t at = rng() % bytes.size();
    const int kind = static_cast<int>(rng() % 4);
    uint64_t damage = at;  // first damaged byte
    switch (kind) {
      case 0: bytes.resize(at); break;  // torn tail
      case 1: bytes[at] ^= static_cast<std::byte>(1u << (rng() % 8)); break;
      case 2:  // garbage from `at` on
        for (uint64_t i = at; i < bytes.size(); ++i)
          bytes[i] = static_cast<std::byte>(rng());
        break;
      case 3:  // garbage appended after the last whole batch
        damage = bytes.size();
        for (int i = 0; i < 1 + static_cast<int>(rng() % 200); ++i) {
          bytes.push_back(static_cast<std::byte>(rng()));
        }
        break;
    }
    write_file(dir / active.filename(), bytes);

    // What must survive: every batch that ends before the damage.
    offset expected_end = active_base;
    for (const auto& b : batches) {
      if (b.position + b.size <= damage) expected_end = b.next;
    }
    INFO("round " << round << " kind " << kind << " at byte " << at);
    auto log = open_log(dir, false);
    CHECK(log->log_end() == expected_end);
    auto records = test::read_all(*log);  // decoding checks every CRC again
    REQUIRE(records.size() <= all_records.size());
    CHECK(std::equal(records.begin(), records.end(), all_records.begin()));
    CHECK((records.empty() ? 0 : records.back().offset + 1) == expected_end.value);
    REQUIRE(log->close());
    std::filesystem::remove_all(dir);
  }
}

TEST_CASE("recovery of an empty or garbage-only active segment", "[storage][recovery]") {
  test::temp_dir work;
  {
    auto log = open_log(work / "p", true);
    REQUIRE(log->close());
  }
  std::vector<std::byte> junk(100, std::byte{0});
  write_file(active_segment(work / "p"), junk);
  auto log = open_log(work / "p", false);
  CHECK(log->log_end() == offset{0});
  auto batch = test::make_batch({"after"});
  CHECK(log->append(batch).value().base == offset{0});
}

TEST_CASE("recovery checks every segment from the recovery point on", "[storage][recovery]") {
  test::temp_dir work;
  const auto dir = work / "p";
  std::vector<test::plain_record> records;
  std::vector<std::filesystem::path> segments;
  {
    auto log = open_log(dir, true);
    for (int i = 0; i < 200; ++i) {
      auto batch = test::make_batch({std::string(300, 'a' + i % 26)}, i);
      REQUIRE(log->append(batch));
    }
    records = test::read_all(*log);
    REQUIRE(log->close());
  }
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log") segments.push_back(e.path());
  }
  std::sort(segments.begin(), segments.end());
  REQUIRE(segments.size() >= 4);

  SECTION("segments after the recovery point whose seal never finished are checked") {
    // As if the broker died before sealing the last three segments: stale recovery point,
    // no index files.
    write_file(dir / "recovery-point", test::as_bytes("0\n"));
    for (size_t i = segments.size() - 3; i < segments.size(); ++i) {
      auto s = segments[i];
      std::filesystem::remove(s.replace_extension(".index"));
      std::filesystem::remove(s.replace_extension(".timeindex"));
    }
    storage::recovery_stats stats;
    storage::partition_options o;
    o.config.segment_bytes = 16 * 1024;
    auto log = storage::partition_log::open(storage::posix_filesystem(), dir, "t", partition_id{0},
                                            o, false, &stats)
                   .value();
    CHECK(stats.batches_scanned == 200);
    CHECK(test::read_all(*log) == records);
    // Everything is sealed again: the recovery point moved to the active segment.
    auto point = read_file(dir / "recovery-point");
    CHECK(test::to_string(point) ==
          std::to_string(std::stoll(segments.back().stem().string())) + "\n");
  }

  SECTION("a torn segment before the last drops the segments after it") {
    write_file(dir / "recovery-point", test::as_bytes("0\n"));
    const auto torn = segments[segments.size() - 3];
    auto bytes = read_file(torn);
    bytes.resize(bytes.size() - 10);
    write_file(torn, bytes);
    auto log = open_log(dir, false);
    auto survived = test::read_all(*log);
    REQUIRE(!survived.empty());
    const int64_t torn_base = std::stoll(torn.stem().string());
    CHECK(log->log_end().value > torn_base);
    CHECK(log->log_end().value < std::stoll(segments[segments.size() - 2].stem().string()));
    CHECK(std::equal(survived.begin(), survived.end(), records.begin()));
    CHECK_FALSE(std::filesystem::exists(segments.back()));
    const offset end = log->log_end();
    auto next = test::make_batch({"after"});
    CHECK(log->append(next).value().base == end);
  }
}
