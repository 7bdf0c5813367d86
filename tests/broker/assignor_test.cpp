#include "broker/group/assignor.h"

#include <catch2/catch.hpp>

using namespace sluice::broker;

namespace {

std::vector<assignor_member> members(int n, std::set<std::string> topics = {"t"}) {
  std::vector<assignor_member> out;
  for (int i = 0; i < n; ++i) {
    std::string id = "m" + std::to_string(i);
    out.push_back({id, id, topics, {}});
  }
  return out;
}

void check_complete(const assignment& a, const std::map<std::string, int32_t>& partitions) {
  partition_set seen;
  for (const auto& [_, set] : a) {
    for (const auto& tp : set)
      CHECK(seen.insert(tp).second);  // nobody twice
  }
  size_t total = 0;
  for (const auto& [_, n] : partitions)
    total += static_cast<size_t>(n);
  CHECK(seen.size() == total);
}

}  // namespace

TEST_CASE("every assignor gives each partition to exactly one member", "[broker][assignor]") {
  std::map<std::string, int32_t> partitions{{"t", 7}, {"u", 3}};
  for (auto name : {"range", "roundrobin", "sticky"}) {
    INFO(name);
    auto a = assign_partitions(name, members(3, {"t", "u"}), partitions);
    CHECK(a.size() == 3);
    check_complete(a, partitions);
  }
}

TEST_CASE("range gives contiguous ranges per topic", "[broker][assignor]") {
  auto a = assign_partitions("range", members(3), {{"t", 7}});
  CHECK(a["m0"] == partition_set{{"t", 0}, {"t", 1}, {"t", 2}});
  CHECK(a["m1"] == partition_set{{"t", 3}, {"t", 4}});
  CHECK(a["m2"] == partition_set{{"t", 5}, {"t", 6}});
}

TEST_CASE("round robin deals partitions in turn", "[broker][assignor]") {
  auto a = assign_partitions("roundrobin", members(2), {{"t", 4}});
  CHECK(a["m0"] == partition_set{{"t", 0}, {"t", 2}});
  CHECK(a["m1"] == partition_set{{"t", 1}, {"t", 3}});
}

TEST_CASE("only subscribed members get a topic's partitions", "[broker][assignor]") {
  std::vector<assignor_member> ms{{"a", "a", {"t"}, {}}, {"b", "b", {"u"}, {}}};
  for (auto name : {"range", "roundrobin", "sticky"}) {
    auto a = assign_partitions(name, ms, {{"t", 3}, {"u", 2}});
    for (const auto& tp : a["a"])
      CHECK(tp.first == "t");
    for (const auto& tp : a["b"])
      CHECK(tp.first == "u");
    CHECK(a["a"].size() == 3);
  }
}

TEST_CASE("sticky moves as few partitions as balance needs", "[broker][assignor]") {
  std::map<std::string, int32_t> partitions{{"t", 6}};
  auto three = assign_partitions("sticky", members(3), partitions);
  for (const auto& [_, set] : three)
    CHECK(set.size() == 2);
  // A fourth member joins: two partitions move to it, the rest stay put.
  auto ms = members(4);
  for (int i = 0; i < 3; ++i)
    ms[i].current = three["m" + std::to_string(i)];
  auto four = assign_partitions("sticky", ms, partitions);
  check_complete(four, partitions);
  size_t moved = 0;
  for (int i = 0; i < 3; ++i) {
    const auto& before = three["m" + std::to_string(i)];
    for (const auto& tp : before)
      moved += four["m" + std::to_string(i)].count(tp) == 0;
  }
  // Balanced (2, 2, 1, 1 in some order), and only what the newcomer got moved.
  CHECK(four["m3"].size() >= 1);
  CHECK(moved == four["m3"].size());
  size_t most = 0, least = 6;
  for (const auto& [_, set] : four) {
    most = std::max(most, set.size());
    least = std::min(least, set.size());
  }
  CHECK(most - least <= 1);
  // A member leaves: only its partitions move.
  std::vector<assignor_member> left{ms[0], ms[1], ms[3]};
  left[0].current = four["m0"];
  left[1].current = four["m1"];
  left[2].current = four["m3"];
  auto after = assign_partitions("sticky", left, partitions);
  for (auto id : {"m0", "m1", "m3"}) {
    for (const auto& tp : four[id])
      CHECK(after[id].count(tp) == 1);
  }
  check_complete(after, partitions);
}
