// Consumer groups with real `sluice consume --group` processes: even splits, incremental moves,
// fencing of a killed member, static membership.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>

#include "integration/group_members.h"

using namespace sluice;
using test::member_process;

namespace {

constexpr int32_t partitions = 6;

using test::consumed;
using test::value_of;

void produce_rounds(const test::broker_fixture& f, const std::string& topic, int64_t first,
                    int64_t count) {
  test::produce_rounds(f, topic, partitions, first, count);
}

// Every offset below `end` of every partition printed by at least one of `members`.
bool all_consumed(const std::vector<member_process*>& members, int64_t end) {
  auto seen = consumed(members);
  for (int32_t p = 0; p < partitions; ++p) {
    for (int64_t o = 0; o < end; ++o) {
      if (!seen[p].count(o)) return false;
    }
  }
  return true;
}

// Within each partition a member prints increasing offsets, each record the one produced there.
void check_in_order(const member_process& m) {
  std::map<int32_t, int64_t> last;
  for (const auto& r : m.records()) {
    CHECK(r.value == value_of(r.partition, r.offset));
    auto it = last.find(r.partition);
    if (it != last.end()) CHECK(r.offset > it->second);
    last[r.partition] = r.offset;
  }
}

// The partitions named by `m`'s `event` lines after its first `skip` ones.
std::set<int32_t> events_after(const member_process& m, const std::string& event, size_t skip) {
  std::set<int32_t> out;
  const auto all = m.events(event);
  for (size_t i = skip; i < all.size(); ++i)
    out.insert(all[i].begin(), all[i].end());
  return out;
}

std::set<int32_t> partitions_printed(const member_process& m, int64_t from_offset) {
  std::set<int32_t> out;
  for (const auto& r : m.records()) {
    if (r.offset >= from_offset) out.insert(r.partition);
  }
  return out;
}

}  // namespace

TEST_CASE("three consumers split six partitions and a fourth joining pauses only what moves",
          "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", partitions));
  member_process c1(f, "orders", "shop"), c2(f, "orders", "shop"), c3(f, "orders", "shop");
  std::vector<member_process*> three{&c1, &c2, &c3};
  REQUIRE(test::eventually([&] { return test::settled(admin, "shop", three); }));
  std::set<int32_t> all;
  for (auto* m : three) {
    CHECK(m->owned().size() == 2);
    const auto owned = m->owned();
    all.insert(owned.begin(), owned.end());
  }
  CHECK(all.size() == 6);

  produce_rounds(f, "orders", 0, 20);
  REQUIRE(test::eventually([&] { return all_consumed(three, 20); }));
  std::map<member_process*, std::set<int32_t>> before;
  std::map<member_process*, size_t> revokes_before, assigns_before;
  for (auto* m : three) {
    before[m] = m->owned();
    revokes_before[m] = m->events("revoked").size();
    assigns_before[m] = m->events("assigned").size();
    CHECK(partitions_printed(*m, 0) == before[m]);
  }

  member_process c4(f, "orders", "shop");
  std::vector<member_process*> four{&c1, &c2, &c3, &c4};
  REQUIRE(test::eventually([&] { return test::settled(admin, "shop", four); }));
  INFO("c1:\n"
       << c1.process().err() << "c2:\n"
       << c2.process().err() << "c3:\n"
       << c3.process().err() << "c4:\n"
       << c4.process().err() << "group:\n"
       << test::history_text(admin, "shop"));
  std::multiset<size_t> sizes;
  for (auto* m : four)
    sizes.insert(m->owned().size());
  CHECK(sizes == std::multiset<size_t>{1, 1, 2, 2});

  // 2,2,2 -> 2,2,1,1 needs one move and the sticky assignor makes no more. Exactly the
  // partition c4 took was revoked; the others were never revoked and so never paused.
  const auto taken = c4.owned();
  CHECK(taken.size() == 1);
  std::set<int32_t> revoked_all;
  for (auto* m : three) {
    const auto revoked = events_after(*m, "revoked", revokes_before[m]);
    revoked_all.insert(revoked.begin(), revoked.end());
    std::set<int32_t> kept;
    for (int32_t p : before[m]) {
      if (!taken.count(p)) kept.insert(p);
    }
    CHECK(m->owned() == kept);
    CHECK(events_after(*m, "assigned", assigns_before[m]).empty());
    CHECK(m->events("lost").empty());
  }
  CHECK(revoked_all == taken);
  auto g = admin.describe_group("shop");
  REQUIRE(g);
  REQUIRE(!g.value().rebalances.empty());
  const auto& last = g.value().rebalances.back();
  CHECK(last.cause == "join");
  CHECK(last.duration_ms >= 0);
  CHECK(last.moved.size() == taken.size());
  for (const auto& move : last.moved) {
    CHECK(taken.count(move.partition) == 1);
    CHECK(move.to_member == test::member_id_of(g.value(), c4));
  }

  // Kept partitions go on with their owners; the moved ones continue at the committed offsets.
  produce_rounds(f, "orders", 20, 20);
  REQUIRE(test::eventually([&] { return all_consumed(four, 40); }));
  for (auto* m : three)
    CHECK(partitions_printed(*m, 20) == m->owned());
  for (const auto& r : c4.records())
    CHECK(r.offset >= 20);
  for (auto* m : four)
    check_in_order(*m);
  auto seen = consumed(four);
  for (int32_t p = 0; p < partitions; ++p)
    CHECK(seen[p].size() == 40);  // handed over at the commit: nothing twice
}

TEST_CASE("a killed consumer's partitions go to the others after its session timeout",
          "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", partitions));
  member_process c1(f, "orders", "shop"), c2(f, "orders", "shop"), c3(f, "orders", "shop");
  std::vector<member_process*> three{&c1, &c2, &c3};
  REQUIRE(test::eventually([&] { return test::settled(admin, "shop", three); }));
  const auto orphaned = c2.owned();

  // Records keep coming while c2 dies and the group recovers.
  std::atomic<bool> stop{false};
  std::atomic<int64_t> rounds{0};
  std::thread writer([&] {
    client::producer producer(f.producer_config());
    for (int64_t i = 0; i < 5000 && !stop; ++i) {
      for (int32_t p = 0; p < partitions; ++p)
        (void)producer.send({"orders", p, std::nullopt, value_of(p, i), {}, std::nullopt},
                            [](const auto&) {});
      producer.flush();
      rounds = i + 1;
    }
  });
  REQUIRE(test::eventually([&] { return c2.records().size() >= 30; }));
  c2.process().signal(SIGKILL);
  c2.process().wait();
  std::vector<member_process*> two{&c1, &c3};
  REQUIRE(test::eventually([&] { return test::settled(admin, "shop", two); }));
  const int64_t settled_at = rounds;
  REQUIRE(test::eventually([&] { return rounds >= settled_at + 20; }));
  stop = true;
  writer.join();

  REQUIRE(test::eventually([&] { return all_consumed(three, rounds); }));
  for (auto* m : three)
    check_in_order(*m);
  std::set<int32_t> picked_up;
  for (auto* m : two) {
    for (const auto& e : m->events("assigned")) {
      for (int32_t p : e) {
        if (orphaned.count(p)) picked_up.insert(p);
      }
    }
  }
  CHECK(picked_up == orphaned);
  auto g = admin.describe_group("shop");
  REQUIRE(g);
  bool timed_out = false;
  for (const auto& r : g.value().rebalances)
    timed_out = timed_out || r.cause == "timeout";
  CHECK(timed_out);
}

TEST_CASE("a consumer restarted with its instance id gets its partitions back, nobody else's move",
          "[integration][group]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("orders", partitions));
  const int session_ms = 20'000;  // far longer than a restart
  auto a = std::make_unique<member_process>(f, "orders", "shop", "a", session_ms);
  auto b = std::make_unique<member_process>(f, "orders", "shop", "b", session_ms);
  auto c = std::make_unique<member_process>(f, "orders", "shop", "c", session_ms);
  REQUIRE(test::eventually([&] {
    return test::settled(admin, "shop", {a.get(), b.get(), c.get()});
  }));
  produce_rounds(f, "orders", 0, 10);
  auto committed_all = [&](int64_t offset) {
    return test::all_committed(admin, "shop", partitions, offset);
  };
  REQUIRE(test::eventually([&] { return committed_all(10); }));
  auto g0 = admin.describe_group("shop");
  REQUIRE(g0);
  const auto a_owned = a->owned(), b_owned = b->owned(), c_owned = c->owned();
  const size_t a_revokes = a->events("revoked").size(), c_revokes = c->events("revoked").size();
  const size_t a_assigns = a->events("assigned").size(), c_assigns = c->events("assigned").size();

  SECTION("after a crash") {
    b->process().signal(SIGKILL);
    b->process().wait();
  }
  SECTION("after a clean stop") {
    b->process().signal(SIGTERM);
    CHECK(b->process().wait() == 0);
  }
  b = std::make_unique<member_process>(f, "orders", "shop", "b", session_ms);
  REQUIRE(test::eventually([&] {
    return test::settled(admin, "shop", {a.get(), b.get(), c.get()});
  }));
  INFO("a:\n"
       << a->process().err() << "b:\n"
       << b->process().err() << "c:\n"
       << c->process().err() << "group:\n"
       << test::history_text(admin, "shop"));
  CHECK(b->owned() == b_owned);
  CHECK(a->owned() == a_owned);
  CHECK(c->owned() == c_owned);
  CHECK(events_after(*a, "revoked", a_revokes).empty());
  CHECK(events_after(*c, "revoked", c_revokes).empty());
  CHECK(events_after(*a, "assigned", a_assigns).empty());
  CHECK(events_after(*c, "assigned", c_assigns).empty());
  auto g1 = admin.describe_group("shop");
  REQUIRE(g1);
  CHECK(g1.value().group_epoch == g0.value().group_epoch);
  CHECK(g1.value().rebalances.size() == g0.value().rebalances.size());

  // The new b resumes after what the old one committed.
  produce_rounds(f, "orders", 10, 10);
  REQUIRE(test::eventually([&] { return committed_all(20); }));
  CHECK(partitions_printed(*b, 0) == b_owned);
  for (const auto& r : b->records())
    CHECK(r.offset >= 10);
  CHECK(b->records().size() == 10 * b_owned.size());
}
