// Committed offsets do not outlive what they describe: a group empty for longer than
// offsets.retention.ms goes with its offsets, and a deleted topic's offsets go with it.
#include <catch2/catch.hpp>

#include "integration/group_members.h"

using namespace sluice;

TEST_CASE("groups empty past offsets.retention.ms are removed, groups with members are not",
          "[integration][group]") {
  auto settings = test::group_settings();
  settings.push_back("offsets.retention.ms=1500");
  test::broker_fixture f(settings);
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("t", 1));

  auto config = f.consumer_config();
  config.group_id = "busy";
  config.session_timeout = std::chrono::seconds(30);
  client::consumer member(config);
  REQUIRE(member.subscribe({"t"}));
  REQUIRE(test::eventually([&] {
    (void)member.poll(std::chrono::milliseconds(20));
    return !member.assignment().empty();
  }));
  const auto busy_since = std::chrono::steady_clock::now();
  REQUIRE(admin.commit_offsets("idle", {{{"t", 0}, 3}}));
  REQUIRE(admin.describe_group("idle"));

  REQUIRE(test::eventually([&] {
    (void)member.poll(std::chrono::milliseconds(20));
    return !admin.describe_group("idle");
  }));
  CHECK(std::chrono::steady_clock::now() - busy_since >= std::chrono::milliseconds(1500));
  auto gone = admin.describe_group("idle");
  CHECK(gone.error().message.find("GROUP_ID_NOT_FOUND") != std::string::npos);
  // Its offsets went with it: a group of that name starts from nothing.
  config.group_id = "idle";
  client::consumer fresh(config);
  CHECK(fresh.committed({"t", 0}).value() == std::nullopt);
  CHECK(admin.describe_group("busy"));
}

TEST_CASE("a deleted topic's committed offsets are removed", "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("kept", 1));
  REQUIRE(admin.create_topic("dropped", 2));
  REQUIRE(admin.commit_offsets("g", {{{"kept", 0}, 4}, {{"dropped", 0}, 7}, {{"dropped", 1}, 9}}));
  REQUIRE(admin.describe_group("g").value().partitions.size() == 3);

  REQUIRE(admin.delete_topic("dropped"));
  // A topic created again under the name does not inherit the old bookmarks.
  REQUIRE(admin.create_topic("dropped", 2));
  auto config = f.consumer_config();
  config.group_id = "g";
  client::consumer c(config);
  REQUIRE(test::eventually([&] {
    auto a = c.committed({"dropped", 0});
    auto b = c.committed({"dropped", 1});
    return a && b && !a.value() && !b.value();
  }));
  CHECK(c.committed({"kept", 0}).value() == 4);
}
