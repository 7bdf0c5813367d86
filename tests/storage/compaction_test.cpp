#include "storage/compaction.h"

#include <catch2/catch.hpp>
#include <map>

#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

struct fixture {
  test::temp_dir dir;
  storage::partition_options options;

  fixture() {
    options.config.cleanup_compact = true;
    options.config.cleanup_delete = false;
    options.config.segment_bytes = 1024;
    options.config.delete_retention_ms = 10'000;
  }

  std::shared_ptr<storage::partition_log> open() {
    return storage::partition_log::open(storage::posix_filesystem(), dir / "c-0", "c",
                                        partition_id{0}, options, true)
        .value();
  }
};

void put(storage::partition_log& log,
         std::vector<std::pair<std::string, std::optional<std::string>>> records,
         int64_t ts = 1000) {
  auto batch = test::make_keyed_batch(records, ts);
  REQUIRE(log.append(batch));
}

}  // namespace

TEST_CASE("compaction keeps the latest record per key at its original offset",
          "[storage][compaction]") {
  fixture f;
  auto log = f.open();
  std::map<std::string, std::pair<int64_t, std::string>> latest;
  int64_t next = 0;
  for (int round = 0; round < 30; ++round) {
    std::vector<std::pair<std::string, std::optional<std::string>>> batch;
    for (int k = 0; k < 4; ++k) {
      std::string key = "key-" + std::to_string((round * 3 + k) % 7);
      std::string value = "v" + std::to_string(round) + "-" + std::string(40, 'x');
      batch.push_back({key, value});
      latest[key] = {next++, value};
    }
    put(*log, batch);
  }
  auto before = test::read_all(*log);
  auto stats = storage::compact(*log, 2000);
  REQUIRE(stats);
  CHECK(stats.value().segments_rewritten > 0);
  CHECK(stats.value().records_removed > 0);

  auto after = test::read_all(*log);
  CHECK(after.size() < before.size());
  // Every surviving record is unchanged at its offset; every key's latest value survives.
  std::map<int64_t, test::plain_record> by_offset;
  for (const auto& r : before)
    by_offset[r.offset] = r;
  for (const auto& r : after)
    CHECK(by_offset.at(r.offset) == r);
  for (const auto& [key, v] : latest) {
    bool found = false;
    for (const auto& r : after)
      found |= (r.offset == v.first && r.value == v.second);
    CHECK(found);
  }
  // Below the active segment each key appears once.
  int64_t active_base = 0;
  for (const auto& e : std::filesystem::directory_iterator(log->dir())) {
    if (e.path().extension() == ".log") {
      active_base = std::max<int64_t>(active_base, std::stoll(e.path().stem().string()));
    }
  }
  REQUIRE(active_base > 0);
  std::map<std::string, int> compacted_keys;
  for (const auto& r : after) {
    if (r.offset < active_base) CHECK(++compacted_keys[*r.key] == 1);
  }
  CHECK(log->log_end() == offset{next});
}

TEST_CASE("compaction leaves the active segment and keyless records alone",
          "[storage][compaction]") {
  fixture f;
  auto log = f.open();
  for (int i = 0; i < 20; ++i) {
    auto keyless = test::make_batch({"no-key-" + std::to_string(i) + std::string(60, 'x')});
    REQUIRE(log->append(keyless));
    put(*log, {{"same", std::string(60, 'y')}});
  }
  size_t keyless_before = 0;
  for (const auto& r : test::read_all(*log))
    keyless_before += !r.key;
  REQUIRE(storage::compact(*log, 2000));
  size_t keyless_after = 0;
  size_t same = 0;
  for (const auto& r : test::read_all(*log)) {
    keyless_after += !r.key;
    same += r.key == "same";
  }
  CHECK(keyless_after == keyless_before);
  CHECK(same >= 1);
  CHECK(same < 20);
}

TEST_CASE("tombstones stay for delete.retention.ms, then go", "[storage][compaction]") {
  fixture f;
  auto log = f.open();
  put(*log, {{"gone", std::string(100, 'a')}, {"kept", std::string(100, 'b')}}, 1000);
  put(*log, {{"gone", std::nullopt}}, 1000);
  for (int i = 0; i < 20; ++i)
    put(*log, {{"filler-" + std::to_string(i), std::string(100, 'c')}}, 1000);

  auto has_tombstone = [&] {
    for (const auto& r : test::read_all(*log)) {
      if (r.key == "gone") return !r.value.has_value();
    }
    return false;
  };
  auto count_gone = [&] {
    size_t n = 0;
    for (const auto& r : test::read_all(*log))
      n += r.key == "gone";
    return n;
  };

  auto early = storage::compact(*log, 5000);  // 4 s after the tombstone: keep it
  REQUIRE(early);
  CHECK(early.value().tombstones_retained == 1);
  CHECK(count_gone() == 1);
  CHECK(has_tombstone());

  auto late = storage::compact(*log, 20'000);  // past delete.retention.ms
  REQUIRE(late);
  CHECK(late.value().tombstones_retained == 0);
  CHECK(count_gone() == 0);
  bool kept = false;
  for (const auto& r : test::read_all(*log))
    kept |= r.key == "kept";
  CHECK(kept);
}

TEST_CASE("a compacted log reopens with the same records", "[storage][compaction]") {
  fixture f;
  std::vector<test::plain_record> compacted;
  {
    auto log = f.open();
    for (int i = 0; i < 40; ++i)
      put(*log, {{"k" + std::to_string(i % 5), std::string(80, 'z')}});
    REQUIRE(storage::compact(*log, 2000));
    compacted = test::read_all(*log);
    REQUIRE(log->close());
  }
  auto log = f.open();
  CHECK(test::read_all(*log) == compacted);
  for (const auto& r : compacted) {
    CHECK(test::read_all(*log, r.offset).front() == r);
  }
}
