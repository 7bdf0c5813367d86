// A real full disk: sluiced on a small tmpfs, filled by a ballast file and then by producing.
// The broker refuses what does not fit with DISK_FULL, acknowledges nothing it did not store,
// keeps serving reads, and takes writes and commits again once the ballast is removed.
#include <catch2/catch.hpp>
#include <fstream>

#include "client/admin.h"
#include "client/consumer.h"
#include "client/producer.h"
#include "fault/produce_check.h"
#include "fault/tmpfs_mount.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

using namespace sluice;
using namespace sluice::fault;

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
  const auto [pc, ccfg] = clients_for(broker.address());
  REQUIRE(client::admin(pc).create_topic("full", 1));

  // Leave about 3 MiB for the log and the offsets store.
  const auto ballast = disk.path() / "ballast";
  write_ballast(ballast, disk.free_bytes() - 3 * mib);

  outcome sent;
  for (int round = 0; round < 40 && sent.first_failure.empty(); ++round) {
    client::producer p(pc);
    auto o = produce(p, "full", round * 500, 500);
    sent.add(o);
  }
  INFO("acknowledged before the disk filled: " << sent.acked.size());
  REQUIRE_FALSE(sent.first_failure.empty());
  CHECK_THAT(sent.first_failure, Catch::Contains("DISK_FULL"));
  CHECK(broker.running());

  // Reads go on.
  check_log(read_all(ccfg, "full"), sent);

  // Space returns: writes and commits are taken again.
  std::filesystem::remove(ballast);
  {
    client::producer p(pc);
    auto later = produce(p, "full", 1'000'000, 200);
    CHECK(later.first_failure.empty());
    CHECK(later.acked.size() == 200);
    sent.add(later);
  }
  const auto log = read_all(ccfg, "full");
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
