// Fencing over the wire: heartbeats and commits with a stale epoch, from fenced or unknown
// members, or from outside a group that has members, are refused with errors that say why.
#include <catch2/catch.hpp>

#include "integration/group_members.h"
#include "support/raw_client.h"

using namespace sluice;

namespace {

struct raw_member {
  std::string id;
  int32_t epoch = 0;
  google::protobuf::RepeatedPtrField<v1::TopicPartitions> owned;
};

// One heartbeat of `m` in group "g" subscribed to "t"; on success `m` takes the answer and owns
// exactly what it was told to. The response header's error.
v1::Error beat(test::raw_client& c, raw_member& m, uint32_t session_ms = 30'000) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::CONSUMER_GROUP_HEARTBEAT);
  meta.mutable_header()->set_api_version(1);
  auto* req = meta.mutable_consumer_group_heartbeat();
  req->set_group_id("g");
  req->set_member_id(m.id);
  req->set_member_epoch(m.epoch);
  req->set_session_timeout_ms(session_ms);
  req->add_subscribed_topic_names("t");
  *req->mutable_owned_partitions() = m.owned;
  c.send_request(meta);
  auto resp = c.read_response();
  REQUIRE(resp);
  if (resp->header().error().code() == v1::NONE) {
    m.id = resp->consumer_group_heartbeat().member_id();
    m.epoch = resp->consumer_group_heartbeat().member_epoch();
    m.owned = resp->consumer_group_heartbeat().assignment();
  }
  return resp->header().error();
}

std::set<int32_t> owned_set(const raw_member& m) {
  std::set<int32_t> out;
  for (const auto& t : m.owned)
    out.insert(t.partitions().begin(), t.partitions().end());
  return out;
}

int32_t first_owned(const raw_member& m) {
  return *owned_set(m).begin();
}

size_t owned_count(const raw_member& m) {
  size_t n = 0;
  for (const auto& t : m.owned)
    n += t.partitions_size();
  return n;
}

// Commits offset 1 of t-`partition` as `member_id` at `epoch`: the partition's error.
v1::Error commit(test::raw_client& c, const std::string& member_id, int32_t epoch,
                 int32_t partition) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::OFFSET_COMMIT);
  meta.mutable_header()->set_api_version(1);
  auto* req = meta.mutable_offset_commit();
  req->set_group_id("g");
  req->set_member_id(member_id);
  req->set_member_epoch(epoch);
  auto* topic = req->add_topics();
  topic->set_name("t");
  auto* p = topic->add_partitions();
  p->set_partition(partition);
  p->set_offset(1);
  c.send_request(meta);
  auto resp = c.read_response();
  REQUIRE(resp);
  REQUIRE(resp->offset_commit().topics_size() == 1);
  REQUIRE(resp->offset_commit().topics(0).partitions_size() == 1);
  return resp->offset_commit().topics(0).partitions(0).error();
}

// Heartbeats `members` in turn until each owns `want[i]` partitions.
void settle(test::raw_client& c, const std::vector<raw_member*>& members,
            const std::vector<size_t>& want) {
  for (int round = 0; round < 20; ++round) {
    bool done = true;
    for (size_t i = 0; i < members.size(); ++i) {
      REQUIRE(beat(c, *members[i]).code() == v1::NONE);
      done = done && owned_count(*members[i]) == want[i];
    }
    if (done) return;
  }
  FAIL("the group did not settle");
}

}  // namespace

TEST_CASE("stale epochs and fenced members are refused over the wire", "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("t", 6));
  test::raw_client c(f.broker->port());

  raw_member a;
  settle(c, {&a}, {6});
  const int32_t first_epoch = a.epoch;
  CHECK(commit(c, a.id, a.epoch, first_owned(a)).code() == v1::NONE);

  // b then d join: a gives up partitions twice, and its epoch moves twice.
  raw_member b, d;
  settle(c, {&a, &b}, {3, 3});
  settle(c, {&a, &b, &d}, {2, 2, 2});
  REQUIRE(a.epoch > first_epoch);

  SECTION("a commit with an epoch two rebalances old") {
    auto e = commit(c, a.id, first_epoch, first_owned(a));
    CHECK(e.code() == v1::STALE_MEMBER_EPOCH);
    CHECK(e.message().find("epoch " + std::to_string(first_epoch)) != std::string::npos);
    CHECK(commit(c, a.id, a.epoch, first_owned(a)).code() == v1::NONE);
  }
  SECTION("a heartbeat with an epoch two rebalances old") {
    raw_member stale = a;
    stale.epoch = first_epoch;
    auto e = beat(c, stale);
    CHECK(e.code() == v1::FENCED_MEMBER_EPOCH);
    CHECK(e.message().find("rejoin") != std::string::npos);
    // a is out of the group, and its partitions went to the others at once.
    CHECK(beat(c, a).code() == v1::UNKNOWN_MEMBER_ID);
    settle(c, {&b, &d}, {3, 3});
    auto g = admin.describe_group("g");
    REQUIRE(g);
    CHECK(g.value().members.size() == 2);
    CHECK(g.value().rebalances.back().cause == "fenced");
  }
  SECTION("a commit of a partition the member does not own") {
    std::set<int32_t> others = owned_set(b);
    const int32_t not_mine = *others.begin();
    auto e = commit(c, a.id, a.epoch, not_mine);
    CHECK(e.code() == v1::STALE_MEMBER_EPOCH);
    CHECK(e.message().find("does not own t-" + std::to_string(not_mine)) != std::string::npos);
  }
  SECTION("a commit from a member nobody knows") {
    auto e = commit(c, "no-such-member", 1, 0);
    CHECK(e.code() == v1::UNKNOWN_MEMBER_ID);
    CHECK(e.message().find("no-such-member") != std::string::npos);
  }
  SECTION("a commit from outside a group that has members") {
    auto e = commit(c, "", -1, 0);
    CHECK(e.code() == v1::UNKNOWN_MEMBER_ID);
    CHECK(e.message().find("has members") != std::string::npos);
  }
  SECTION("a member fenced for missing its session") {
    raw_member late;
    REQUIRE(beat(c, late, 500).code() == v1::NONE);
    // The others keep heartbeating; late falls silent until the broker fences it.
    REQUIRE(test::eventually([&] {
      for (auto* m : {&a, &b, &d})
        (void)beat(c, *m);
      auto g = admin.describe_group("g");
      return g && g.value().members.size() == 3;
    }));
    auto e = commit(c, late.id, late.epoch, 0);
    CHECK(e.code() == v1::UNKNOWN_MEMBER_ID);
    CHECK(e.message().find("fenced") != std::string::npos);
    auto hb = beat(c, late);
    CHECK(hb.code() == v1::UNKNOWN_MEMBER_ID);
  }
}
