// An offset store that cannot be opened (RocksDB reports corruption): the broker still serves
// produce and fetch, group and producer-id requests say why they cannot be served, and once the
// store is repaired every group and commit is back.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "integration/group_members.h"
#include "support/raw_client.h"

using namespace sluice;

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void overwrite(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

}  // namespace

TEST_CASE("a corrupt offset store fails group requests but not produce and fetch",
          "[integration][group]") {
  test::broker_fixture f;
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("t", 1));
  REQUIRE(admin.commit_offsets("g", {{{"t", 0}, 5}}));
  REQUIRE(f.broker->terminate() == 0);

  const auto current = f.dir / "data" / "offsets" / "CURRENT";
  REQUIRE(std::filesystem::exists(current));
  const std::string good = slurp(current);
  overwrite(current, "MANIFEST-999999");  // RocksDB: "CURRENT file does not end with newline"
  f.broker->restart();
  CHECK(f.broker->log().find("offset store") != std::string::npos);
  CHECK(f.broker->log().find("consumer groups and idempotent producers are unavailable") !=
        std::string::npos);

  // Produce and fetch go on.
  auto pc = f.producer_config();
  pc.idempotence = false;
  {
    client::producer producer(pc);
    for (int i = 0; i < 10; ++i)
      REQUIRE(producer.send({"t", 0, std::nullopt, "v" + std::to_string(i), {}, std::nullopt},
                            [](const auto&) {}));
    producer.flush();
    CHECK(producer.failed() == 0);
  }
  CHECK(test::consume_all(f.consumer_config(), {{"t", 0}}, 10).size() == 10);

  // Group requests are refused with the store's own words.
  auto commit = admin.commit_offsets("g", {{{"t", 0}, 7}});
  REQUIRE_FALSE(commit);
  CHECK(commit.error().message.find("COORDINATOR_NOT_AVAILABLE") != std::string::npos);
  CHECK(commit.error().message.find("Corruption") != std::string::npos);
  auto listed = admin.list_groups();
  REQUIRE_FALSE(listed);
  CHECK(listed.error().message.find("consumer groups are unavailable") != std::string::npos);
  CHECK_FALSE(admin.describe_group("g"));

  test::raw_client c(f.broker->port());
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::INIT_PRODUCER_ID);
  meta.mutable_header()->set_api_version(1);
  meta.mutable_init_producer_id();
  c.send_request(meta);
  auto resp = c.read_response();
  REQUIRE(resp);
  CHECK(resp->header().error().code() != v1::NONE);
  CHECK(resp->header().error().message().find("offset store") != std::string::npos);

  // Repaired, the store has everything it had.
  REQUIRE(f.broker->terminate() == 0);
  overwrite(current, good);
  f.broker->restart();
  auto g = admin.describe_group("g");
  REQUIRE(g);
  REQUIRE(g.value().partitions.size() == 1);
  CHECK(g.value().partitions[0].committed_offset == 5);
}
