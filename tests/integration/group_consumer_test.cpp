// The client library's group mode against a real broker: subscribe by name and by regex, the
// rebalance listener, auto-commit, explicit and asynchronous commits, close() that commits and
// leaves, resuming at the bookmark, and a consumer fenced by a newer one with its instance id.
#include <catch2/catch.hpp>
#include <future>
#include <mutex>

#include "integration/group_members.h"

using namespace sluice;
using client::topic_partition;

namespace {

// Records what the consumer was told, for the test thread to read.
class recording_listener : public client::rebalance_listener {
 public:
  void on_assigned(const std::vector<topic_partition>& tps) override { add("assigned", tps); }
  void on_revoked(const std::vector<topic_partition>& tps) override { add("revoked", tps); }
  void on_lost(const std::vector<topic_partition>& tps) override { add("lost", tps); }

  // What the listener's events say the consumer owns.
  std::set<topic_partition> owned() const {
    std::lock_guard lock(mu_);
    return owned_;
  }
  std::set<topic_partition> all(const std::string& event) const {
    std::lock_guard lock(mu_);
    auto it = events_.find(event);
    return it == events_.end() ? std::set<topic_partition>{} : it->second;
  }

 private:
  void add(const std::string& event, const std::vector<topic_partition>& tps) {
    std::lock_guard lock(mu_);
    for (const auto& tp : tps) {
      events_[event].insert(tp);
      if (event == "assigned") {
        owned_.insert(tp);
      } else {
        owned_.erase(tp);
      }
    }
  }
  mutable std::mutex mu_;
  std::map<std::string, std::set<topic_partition>> events_;
  std::set<topic_partition> owned_;
};

client::consumer_config group_config(const test::broker_fixture& f, const std::string& group) {
  auto c = f.consumer_config();
  c.group_id = group;
  c.session_timeout = std::chrono::milliseconds(3000);
  c.fetch_max_wait = std::chrono::milliseconds(100);
  return c;
}

// Polls until `done` holds (checked after every poll) or 60 s pass; returns what was polled.
std::vector<client::consumer_record> poll_until(
    client::consumer& c,
    const std::function<bool(const std::vector<client::consumer_record>&)>& done) {
  std::vector<client::consumer_record> out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!done(out) && std::chrono::steady_clock::now() < deadline) {
    auto r = c.poll(std::chrono::milliseconds(100));
    if (!r) continue;
    for (auto& rec : r.value())
      out.push_back(std::move(rec));
  }
  return out;
}

std::set<topic_partition> tps(const std::string& topic, std::initializer_list<int32_t> ps) {
  std::set<topic_partition> out;
  for (int32_t p : ps)
    out.insert({topic, p});
  return out;
}

}  // namespace

TEST_CASE("a library consumer commits, closes, and its successor resumes at the bookmark",
          "[integration][group][client]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("t", 2));
  test::produce_rounds(f, "t", 2, 0, 20);

  auto config = group_config(f, "lib");
  config.auto_commit_interval = std::chrono::minutes(10);  // only close() will commit
  {
    recording_listener listener;
    client::consumer first(config);
    REQUIRE(first.subscribe({"t"}, &listener));
    auto got = poll_until(first, [](const auto& r) { return r.size() >= 40; });
    CHECK(got.size() == 40);
    CHECK(listener.owned() == tps("t", {0, 1}));
    // Nothing committed yet: the interval is long.
    CHECK(first.committed({"t", 0}).value() == std::nullopt);
    first.close();
  }
  // close() committed the consumed positions and left: the group is empty at once.
  auto g = admin.describe_group("lib");
  REQUIRE(g);
  CHECK(g.value().members.empty());
  CHECK(test::all_committed(admin, "lib", 2, 20));

  test::produce_rounds(f, "t", 2, 20, 10);
  client::consumer second(config);
  REQUIRE(second.subscribe({"t"}));
  auto got = poll_until(second, [](const auto& r) { return r.size() >= 20; });
  REQUIRE(got.size() == 20);
  for (const auto& r : got)
    CHECK(r.offset >= 20);

  // Explicit offsets, then the consumed positions asynchronously.
  REQUIRE(second.commit_sync({{{"t", 0}, 25}}));
  CHECK(second.committed({"t", 0}).value() == 25);
  std::promise<result<void>> async_done;
  second.commit_async([&](const result<void>& r) { async_done.set_value(r); });
  REQUIRE(async_done.get_future().get());
  CHECK(second.committed({"t", 0}).value() == 30);
  CHECK(second.committed({"t", 1}).value() == 30);
}

TEST_CASE("auto-commit commits consumed positions on its interval",
          "[integration][group][client]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("t", 1));
  test::produce_rounds(f, "t", 1, 0, 10);
  auto config = group_config(f, "auto");
  config.auto_commit_interval = std::chrono::milliseconds(200);
  client::consumer c(config);
  REQUIRE(c.subscribe({"t"}));
  // Commits happen inside poll(): keep polling until the commit shows.
  std::vector<client::consumer_record> got;
  REQUIRE(test::eventually([&] {
    auto r = c.poll(std::chrono::milliseconds(50));
    if (r) got.insert(got.end(), r.value().begin(), r.value().end());
    return test::all_committed(admin, "auto", 1, 10);
  }));
  CHECK(got.size() == 10);
}

TEST_CASE("a regex subscription picks up new topics and partitions and shares them on a join",
          "[integration][group][client]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("metrics-a", 1));
  REQUIRE(admin.create_topic("other", 1));
  auto config = group_config(f, "re");
  recording_listener one_events;
  client::consumer one(config);
  REQUIRE(one.subscribe_regex("metrics-.*", &one_events));
  auto owned_by_one = [&](const std::set<topic_partition>& want) {
    return [&, want](const auto&) { return one_events.owned() == want; };
  };
  poll_until(one, owned_by_one(tps("metrics-a", {0})));
  REQUIRE(one_events.owned() == tps("metrics-a", {0}));

  // A topic created later, and a partition added later, are picked up.
  REQUIRE(admin.create_topic("metrics-b", 2));
  REQUIRE(admin.add_partitions("metrics-a", 2));
  std::set<topic_partition> all = tps("metrics-a", {0, 1});
  all.merge(tps("metrics-b", {0, 1}));
  poll_until(one, owned_by_one(all));
  REQUIRE(one_events.owned() == all);
  test::produce_rounds(f, "metrics-b", 2, 0, 5);
  auto got = poll_until(one, [](const auto& r) { return r.size() >= 10; });
  CHECK(got.size() == 10);
  for (const auto& r : got)
    CHECK(r.topic == "metrics-b");

  // A second member: `one` revokes what moves and keeps the rest; together they own it all.
  recording_listener two_events;
  client::consumer two(config);
  REQUIRE(two.subscribe_regex("metrics-.*", &two_events));
  REQUIRE(test::eventually([&] {
    (void)one.poll(std::chrono::milliseconds(20));
    (void)two.poll(std::chrono::milliseconds(20));
    return one_events.owned().size() == 2 && two_events.owned().size() == 2;
  }));
  auto union_owned = one_events.owned();
  union_owned.merge(two_events.owned());
  CHECK(union_owned == all);
  CHECK(one_events.all("revoked") == two_events.owned());
  CHECK(one_events.all("lost").empty());

  // A member commits only what it owns: another's bookmark is not its to move.
  const auto theirs = *two_events.owned().begin();
  auto refused = one.commit_sync({{theirs, 0}});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("not owned by this member") != std::string::npos);
  const auto mine = *one_events.owned().begin();
  CHECK(one.commit_sync({{mine, 1}}));
  CHECK(one.committed(mine).value() == 1);
}

TEST_CASE("a consumer replaced by a newer one with its instance id loses its partitions for good",
          "[integration][group][client]") {
  test::broker_fixture f(test::group_settings());
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("t", 2));
  auto config = group_config(f, "static");
  config.group_instance_id = "worker-1";
  recording_listener old_events, new_events;
  client::consumer old_one(config);
  REQUIRE(old_one.subscribe({"t"}, &old_events));
  poll_until(old_one, [&](const auto&) { return old_events.owned().size() == 2; });
  REQUIRE(old_events.owned().size() == 2);

  client::consumer new_one(config);
  REQUIRE(new_one.subscribe({"t"}, &new_events));
  std::optional<error> fenced;
  REQUIRE(test::eventually([&] {
    auto r = old_one.poll(std::chrono::milliseconds(20));
    if (!r) fenced = r.error();
    (void)new_one.poll(std::chrono::milliseconds(20));
    return fenced && new_events.owned().size() == 2;
  }));
  CHECK(fenced->message.find("FENCED_INSTANCE_ID") != std::string::npos);
  CHECK(old_events.all("lost") == tps("t", {0, 1}));
  CHECK(old_events.owned().empty());
  // The old one does not come back and take them again.
  for (int i = 0; i < 10; ++i) {
    (void)old_one.poll(std::chrono::milliseconds(50));
    (void)new_one.poll(std::chrono::milliseconds(50));
  }
  CHECK(new_events.owned().size() == 2);
  CHECK(new_events.all("lost").empty());
  auto g = admin.describe_group("static");
  REQUIRE(g);
  CHECK(g.value().members.size() == 1);
}
