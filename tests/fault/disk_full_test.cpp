// A real full disk: sluiced on a small tmpfs, filled by a ballast file and then by producing.
// The broker refuses what does not fit with DISK_FULL, acknowledges nothing it did not store,
// keeps serving reads, and takes writes and commits again once the ballast is removed.
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <map>
#include <set>

#include "client/admin.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "fault/tmpfs_mount.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

using namespace sluice;

namespace {

constexpr uint64_t mib = 1 << 20;

void write_ballast(const std::filesystem::path& path, uint64_t bytes) {
  std::ofstream out(path, std::ios::binary);
  const std::string chunk(64 * 1024, 'b');
  for (uint64_t left = bytes; left > 0 && out;) {
    const auto n = std::min<uint64_t>(left, chunk.size());
    out.write(chunk.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
}

struct outcome {
  std::vector<std::string> acked;   // in the order sent
  std::vector<std::string> failed;  // may or may not be in the log
  std::string first_failure;
};

// Sends `count` records numbered from `first` and waits for each outcome.
outcome produce(client::producer& p, int first, int count) {
  std::vector<std::pair<std::string, std::future<result<client::record_metadata>>>> sent;
  for (int i = first; i < first + count; ++i) {
    std::string v = std::to_string(i) + ":" + std::string(1000, 'v');
    auto f = p.send({.topic = "full", .value = v});
    sent.emplace_back(std::move(v), std::move(f));
  }
  outcome out;
  for (auto& [v, f] : sent) {
    auto r = f.get();
    if (r) {
      out.acked.push_back(v);
    } else {
      if (out.first_failure.empty()) out.first_failure = r.error().message;
      out.failed.push_back(v);
    }
  }
  return out;
}

// The log holds every acknowledged record once and in order, and nothing that was not sent.
// A record whose send failed may be there (at least once: the broker may have written it).
void check_log(const std::vector<std::string>& log, const outcome& sent) {
  const std::set<std::string> acked(sent.acked.begin(), sent.acked.end());
  const std::set<std::string> failed(sent.failed.begin(), sent.failed.end());
  std::set<std::string> seen;
  std::vector<std::string> acked_in_log;
  for (const auto& v : log) {
    INFO("record " << v.substr(0, v.find(':')));
    CHECK(seen.insert(v).second);
    CHECK((acked.count(v) == 1 || failed.count(v) == 1));
    if (acked.count(v) == 1) acked_in_log.push_back(v);
  }
  CHECK(acked_in_log.size() == sent.acked.size());
  CHECK(acked_in_log == sent.acked);
}

// Every value in the partition, up to its high watermark.
std::vector<std::string> read_all(const client::consumer_config& config) {
  auto info = client::admin(config).describe_topic("full");
  REQUIRE(info);
  const auto expected = static_cast<size_t>(info.value().partitions[0].high_watermark);
  client::consumer c(config);
  REQUIRE(c.assign({{"full", 0}}));
  REQUIRE(c.seek_to_beginning());
  std::vector<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (values.size() < expected && std::chrono::steady_clock::now() < deadline) {
    auto records = c.poll(std::chrono::milliseconds(200));
    REQUIRE(records);
    for (auto& r : records.value())
      values.push_back(r.value.value_or(""));
  }
  return values;
}

}  // namespace

TEST_CASE("a full disk refuses produce with DISK_FULL, loses nothing, and recovers with space",
          "[fault][disk]") {
  test::temp_dir dir;
  test::tmpfs_mount disk(dir / "disk", 24 * mib);
  if (!disk.mounted()) {
    WARN("not tested: " << disk.why_not());
    return;
  }
  test::broker_process broker(disk.path() / "data",
                              {"log.flush.policy=always", "log.segment.bytes=1048576"});
  client::client_config cc;
  cc.broker = broker.address();
  REQUIRE(client::admin(cc).create_topic("full", 1));

  client::producer_config pc;
  static_cast<client::client_config&>(pc) = cc;
  pc.linger = std::chrono::milliseconds(1);
  pc.delivery_timeout = std::chrono::seconds(2);
  pc.retry_backoff = std::chrono::milliseconds(50);
  client::consumer_config ccfg;
  static_cast<client::client_config&>(ccfg) = cc;
  ccfg.group_id = "readers";
  ccfg.enable_auto_commit = false;

  // Leave about 3 MiB for the log and the offsets store.
  const auto ballast = disk.path() / "ballast";
  write_ballast(ballast, disk.free_bytes() - 3 * mib);

  outcome sent;
  for (int round = 0; round < 40 && sent.first_failure.empty(); ++round) {
    client::producer p(pc);
    auto o = produce(p, round * 500, 500);
    sent.acked.insert(sent.acked.end(), o.acked.begin(), o.acked.end());
    sent.failed.insert(sent.failed.end(), o.failed.begin(), o.failed.end());
    sent.first_failure = o.first_failure;
  }
  INFO("acknowledged before the disk filled: " << sent.acked.size());
  REQUIRE_FALSE(sent.first_failure.empty());
  CHECK_THAT(sent.first_failure, Catch::Contains("DISK_FULL"));
  CHECK(broker.running());

  // Reads go on.
  check_log(read_all(ccfg), sent);

  // Space returns: writes and commits are taken again.
  std::filesystem::remove(ballast);
  {
    client::producer p(pc);
    auto later = produce(p, 1'000'000, 200);
    CHECK(later.first_failure.empty());
    CHECK(later.acked.size() == 200);
    sent.acked.insert(sent.acked.end(), later.acked.begin(), later.acked.end());
  }
  const auto log = read_all(ccfg);
  check_log(log, sent);
  {
    client::consumer c(ccfg);
    REQUIRE(c.assign({{"full", 0}}));
    const auto end = static_cast<int64_t>(log.size());
    REQUIRE(c.commit_sync({{{"full", 0}, end}}));
    auto committed = c.committed({"full", 0});
    REQUIRE(committed);
    CHECK(committed.value() == std::optional<int64_t>(end));
  }
  CHECK(broker.running());
}
