// The group model without I/O: incremental reconciliation, fencing, static membership.
#include "broker/group/consumer_group.h"
#include "group/group_state.pb.h"

#include <catch2/catch.hpp>
#include <deque>

using namespace sluice::broker;

namespace {

const topic_catalog catalog{{"t", 6}};

struct member_handle {
  std::string id;
  int32_t epoch = 0;
  partition_set owned;
};

heartbeat_answer beat(consumer_group& g, member_handle& m, int64_t now,
                      const std::string& instance = {}, int64_t session = 10'000) {
  heartbeat_request req;
  req.member_id = m.id;
  req.member_epoch = m.epoch;
  req.instance_id = instance;
  req.session_timeout_ms = session;
  req.topics = {"t"};
  req.owned = m.owned;
  auto a = g.heartbeat(req, now, catalog);
  if (a.error == sluice::v1::NONE) {
    m.id = a.member_id;
    m.epoch = a.member_epoch;
    m.owned = a.assignment;  // an obedient member: owns exactly what it is told
  }
  return a;
}

// Heartbeats every member until nothing changes.
void settle(consumer_group& g, std::vector<member_handle*> ms, int64_t now) {
  for (int round = 0; round < 10; ++round) {
    for (auto* m : ms)
      REQUIRE(beat(g, *m, now).error == sluice::v1::NONE);
  }
}

}  // namespace

TEST_CASE("three members split six partitions evenly", "[broker][group]") {
  consumer_group g("g");
  member_handle a, b, c;
  settle(g, {&a, &b, &c}, 100);
  CHECK(a.owned.size() == 2);
  CHECK(b.owned.size() == 2);
  CHECK(c.owned.size() == 2);
  CHECK(g.state() == "stable");
}

TEST_CASE("a partition moves only after its old owner revoked it", "[broker][group]") {
  consumer_group g("g");
  member_handle a, b;
  settle(g, {&a, &b}, 100);
  REQUIRE(a.owned.size() == 3);
  auto a_before = a.owned;
  member_handle c;
  beat(g, c, 200);
  // The newcomer gets nothing another member still owns.
  for (const auto& tp : c.owned) {
    CHECK(a.owned.count(tp) == 0);
    CHECK(b.owned.count(tp) == 0);
  }
  CHECK(g.state() == "assigning");
  // a's next heartbeat tells it to drop what moves, and keeps the rest.
  beat(g, a, 300);
  for (const auto& tp : a.owned)
    CHECK(a_before.count(tp) == 1);
  settle(g, {&a, &b, &c}, 400);
  CHECK(c.owned.size() == 2);
  CHECK(g.state() == "stable");
  const auto& last = g.history().back();
  CHECK(last.cause() == "join");
  CHECK(last.moved_size() == 2);
  CHECK(last.duration_ms() >= 0);
}

TEST_CASE("a member that misses its session is fenced and its partitions reassigned",
          "[broker][group]") {
  consumer_group g("g");
  member_handle a, b, c;
  settle(g, {&a, &b, &c}, 100);
  // b and c keep heartbeating, a goes silent.
  for (int64_t t = 1000; t <= 12'000; t += 1000) {
    beat(g, b, t);
    beat(g, c, t);
    g.expire(t, catalog);
  }
  settle(g, {&b, &c}, 12'500);
  CHECK(b.owned.size() + c.owned.size() == 6);
  CHECK(g.history().back().cause() == "timeout");
  const auto& timeout = g.history().back();
  CHECK(timeout.moved_size() == 2);
  for (const auto& move : timeout.moved())
    CHECK(move.from_member() == a.id);
  auto fenced = beat(g, a, 13'000);
  CHECK(fenced.error == sluice::v1::UNKNOWN_MEMBER_ID);
  CHECK(g.check_commit(a.id, a.epoch)->first == sluice::v1::UNKNOWN_MEMBER_ID);
}

TEST_CASE("leaving members' partitions are recorded as moved from them", "[broker][group]") {
  consumer_group g("g");
  member_handle a, b;
  settle(g, {&a, &b}, 100);
  auto left = a;
  left.epoch = -1;
  REQUIRE(beat(g, left, 200).error == sluice::v1::NONE);
  CHECK(g.history().back().cause() == "leave");
  CHECK(g.history().back().moved_size() == 3);
  for (const auto& move : g.history().back().moved()) {
    CHECK(move.from_member() == a.id);
    CHECK(move.to_member() == b.id);
  }
  settle(g, {&b}, 300);
  CHECK(b.owned.size() == 6);
  // The last one out: the group is empty and its last rebalance is finished, not pending.
  b.epoch = -1;
  REQUIRE(beat(g, b, 400).error == sluice::v1::NONE);
  CHECK(g.state() == "empty");
  CHECK(g.history().back().duration_ms() == 0);
}

TEST_CASE("a bad regex is refused on any heartbeat, not only on the join", "[broker][group]") {
  consumer_group g("g");
  member_handle a;
  settle(g, {&a}, 100);
  heartbeat_request req;
  req.member_id = a.id;
  req.member_epoch = a.epoch;
  req.session_timeout_ms = 10'000;
  req.regex = "(";
  req.owned = a.owned;
  auto r = g.heartbeat(req, 200, catalog);
  CHECK(r.error == sluice::v1::INVALID_REGULAR_EXPRESSION);
  CHECK(r.message.find("'('") != std::string::npos);
  // The group is untouched and still works.
  CHECK_FALSE(g.refresh_metadata(300, catalog));
  CHECK(beat(g, a, 400).error == sluice::v1::NONE);
  CHECK(a.owned.size() == 6);
}

TEST_CASE("stale epochs are fenced on heartbeats and refused on commits", "[broker][group]") {
  consumer_group g("g");
  member_handle a, b;
  settle(g, {&a, &b}, 100);
  CHECK_FALSE(g.check_commit(a.id, a.epoch));
  const int32_t old_epoch = a.epoch;
  // Newcomers join until a's assignment, and so its epoch, has changed twice: one epoch back is
  // still accepted (a response may have been lost), two back is stale. Which members lose
  // partitions depends on the random member ids, so count rather than assume.
  std::deque<member_handle> newcomers;
  std::vector<member_handle*> all{&a, &b};
  std::vector<int32_t> a_epochs{a.epoch};
  for (int64_t now = 200; a_epochs.size() < 3 && newcomers.size() < 4; now += 100) {
    all.push_back(&newcomers.emplace_back());
    settle(g, all, now);
    if (a.epoch != a_epochs.back()) a_epochs.push_back(a.epoch);
  }
  REQUIRE(a_epochs.size() >= 3);
  auto refused = g.check_commit(a.id, old_epoch);
  REQUIRE(refused);
  CHECK(refused->first == sluice::v1::STALE_MEMBER_EPOCH);
  CHECK(refused->second.find("epoch") != std::string::npos);
  // Only what a owns or was told to own is a's to commit.
  for (int32_t p = 0; p < 6; ++p) {
    const bool mine = a.owned.count({"t", p}) > 0;
    CHECK(g.may_commit(a.id, {"t", p}) == mine);
  }
  CHECK_FALSE(g.may_commit("", {"t", 0}));
  // A heartbeat that far behind fences a: it is out, and what it held is free at once.
  const size_t a_had = a.owned.size();
  member_handle stale = a;
  stale.epoch = old_epoch;
  auto r = beat(g, stale, 1000);
  CHECK(r.error == sluice::v1::FENCED_MEMBER_EPOCH);
  CHECK(g.members().count(a.id) == 0);
  CHECK(g.history().back().cause() == "fenced");
  CHECK(static_cast<size_t>(g.history().back().moved_size()) >= a_had);
  CHECK(beat(g, a, 1100).error == sluice::v1::UNKNOWN_MEMBER_ID);
  // Commits from outside the group are refused while it has members.
  CHECK(g.check_commit("", -1)->first == sluice::v1::UNKNOWN_MEMBER_ID);
}

TEST_CASE("a static member back within its session gets its partitions, nobody else moves",
          "[broker][group]") {
  consumer_group g("g");
  member_handle a, b, c;
  beat(g, a, 100, "a");
  beat(g, b, 100, "b");
  beat(g, c, 100, "c");
  for (int i = 0; i < 5; ++i) {
    beat(g, a, 100, "a");
    beat(g, b, 100, "b");
    beat(g, c, 100, "c");
  }
  const auto a_had = a.owned, b_had = b.owned, c_had = c.owned;
  const int32_t epoch = g.epoch();
  // a crashes and comes back as a new process with the same instance id.
  member_handle a2;
  beat(g, a2, 2000, "a");
  CHECK(a2.owned == a_had);
  CHECK(g.epoch() == epoch);  // no rebalance
  beat(g, b, 2100, "b");
  beat(g, c, 2100, "c");
  CHECK(b.owned == b_had);
  CHECK(c.owned == c_had);
  // The old process is fenced for good, and told why.
  auto old = beat(g, a, 2200, "a");
  CHECK(old.error == sluice::v1::FENCED_INSTANCE_ID);
  CHECK(old.message.find("instance id 'a'") != std::string::npos);
  CHECK(g.check_commit(a.id, a.epoch)->first == sluice::v1::FENCED_INSTANCE_ID);
  REQUIRE(beat(g, a2, 2300, "a").error == sluice::v1::NONE);
  CHECK(a2.owned == a_had);
}

TEST_CASE("regex subscriptions pick up new topics and partition growth", "[broker][group]") {
  consumer_group g("g");
  heartbeat_request req;
  req.member_epoch = 0;
  req.regex = "orders\\..*";
  req.session_timeout_ms = 10'000;
  topic_catalog cat{{"orders.eu", 2}, {"other", 3}};
  auto a = g.heartbeat(req, 100, cat);
  REQUIRE(a.error == sluice::v1::NONE);
  CHECK(a.assignment.size() == 2);
  req.member_id = a.member_id;
  req.member_epoch = a.member_epoch;
  req.owned = a.assignment;
  cat["orders.us"] = 1;
  cat["orders.eu"] = 4;
  auto b = g.heartbeat(req, 200, cat);
  CHECK(b.assignment.size() == 5);
  CHECK(g.history().back().cause() == "metadata change");
  // Switching from the regex to a topic list is a subscription change.
  req.member_epoch = b.member_epoch;
  req.owned = b.assignment;
  req.regex.clear();
  req.topics = {"other"};
  auto c = g.heartbeat(req, 250, cat);
  REQUIRE(c.error == sluice::v1::NONE);
  CHECK(g.history().back().cause() == "subscription change");
  req.member_epoch = c.member_epoch;
  req.owned = c.assignment;
  auto d = g.heartbeat(req, 260, cat);
  CHECK(d.assignment == partition_set{{"other", 0}, {"other", 1}, {"other", 2}});
  req.topics.clear();
  req.regex = "(";
  req.member_id.clear();
  req.member_epoch = 0;
  CHECK(g.heartbeat(req, 300, cat).error == sluice::v1::INVALID_REGULAR_EXPRESSION);
}

TEST_CASE("group state survives a save and load", "[broker][group]") {
  consumer_group g("g");
  member_handle a, b;
  settle(g, {&a, &b}, 100);
  sluice::state::Group saved;
  g.save(saved);
  auto loaded = consumer_group::load(saved, 5000);
  CHECK(loaded.epoch() == g.epoch());
  CHECK(loaded.members().size() == 2);
  CHECK(loaded.members().at(a.id).assigned == a.owned);
  CHECK_FALSE(loaded.check_commit(a.id, a.epoch));
}
