// The consumer's group membership: heartbeats on the runtime thread; reconciliation (revoke,
// commit, assign), listener calls and commits on the application thread inside poll().
#include <algorithm>

#include "client/consumer_impl.h"
#include "client/errors.h"
#include "client/group_requests.h"

namespace sluice::client {
namespace {

std::vector<topic_partition> as_vector(const std::set<topic_partition>& s) {
  return {s.begin(), s.end()};
}

std::set<topic_partition> minus(const std::set<topic_partition>& a,
                                const std::set<topic_partition>& b) {
  std::set<topic_partition> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

}  // namespace

awaitable<void> consumer::impl::heartbeat_loop() {
  while (true) {
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::CONSUMER_GROUP_HEARTBEAT);
    auto* hb = meta.mutable_consumer_group_heartbeat();
    {
      std::lock_guard lock(mu);
      if (stopped || !subscribed || heartbeats_done) break;
      hb->set_group_id(config.group_id);
      hb->set_member_id(member_id);
      hb->set_member_epoch(member_epoch);
      hb->set_instance_id(config.group_instance_id);
      hb->set_session_timeout_ms(static_cast<uint32_t>(config.session_timeout.count()));
      for (const auto& t : topics)
        hb->add_subscribed_topic_names(t);
      hb->set_subscribed_topic_regex(regex);
      hb->set_server_assignor(config.group_assignor);
      // Partitions being taken on count as owned: once told to the coordinator that they are
      // not, it could give them to another member while this one starts on them.
      std::set<topic_partition> reported = owned;
      reported.insert(adding.begin(), adding.end());
      add_topic_partitions(reported, hb->mutable_owned_partitions());
    }
    auto resp = co_await group_conn.call(std::move(meta));
    std::chrono::milliseconds wait = heartbeat_interval;
    {
      std::lock_guard lock(mu);
      if (stopped || !subscribed || heartbeats_done) break;
      if (!resp) {
        const auto code = wire_code(resp.error());
        if (code == v1::FENCED_INSTANCE_ID) {
          // Another consumer took this one's instance id: it owns these partitions now. This
          // one stops for good rather than rejoin and fence it back.
          lost.insert(owned.begin(), owned.end());
          drop_partitions(owned);
          owned.clear();
          target.clear();
          heartbeats_done = true;
          error_once = resp.error();
          data_ready.notify_all();
          break;
        }
        if (code == v1::UNKNOWN_MEMBER_ID || code == v1::FENCED_MEMBER_EPOCH) {
          // Fenced: what this member owned may already be another's. Stop consuming it now,
          // tell the application in poll(), and rejoin owning nothing.
          lost.insert(owned.begin(), owned.end());
          drop_partitions(owned);
          owned.clear();
          adding.clear();
          target.clear();
          member_id.clear();
          member_epoch = 0;
          wait = std::chrono::milliseconds(0);
        } else {
          if (!retriable(resp.error())) error_once = resp.error();
          wait = config.retry_backoff;
        }
        data_ready.notify_all();
      } else {
        const auto& r = resp.value().meta.consumer_group_heartbeat();
        member_id = r.member_id();
        member_epoch = r.member_epoch();
        if (r.heartbeat_interval_ms() > 0) {
          heartbeat_interval = std::chrono::milliseconds(r.heartbeat_interval_ms());
        }
        wait = heartbeat_interval;
        std::set<topic_partition> next;
        for (const auto& t : r.assignment()) {
          for (int32_t p : t.partitions())
            next.insert({t.topic(), p});
        }
        if (next != target) {
          target = std::move(next);
          data_ready.notify_all();
        }
      }
    }
    heartbeat_wake.expires_after(wait);
    error_code ignored;
    co_await heartbeat_wake.async_wait(into(ignored));
  }
}

std::map<topic_partition, int64_t> consumer::impl::positions_to_commit(
    const std::set<topic_partition>& of) {
  std::map<topic_partition, int64_t> out;
  for (const auto& tp : of) {
    auto it = parts.find(tp);
    if (it == parts.end() || it->second.position < 0) continue;
    auto done = last_committed.find(tp);
    if (done != last_committed.end() && done->second == it->second.position) continue;
    out[tp] = it->second.position;
  }
  return out;
}

awaitable<result<void>> consumer::impl::commit(std::map<topic_partition, int64_t> offsets) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::OFFSET_COMMIT);
  auto* req = meta.mutable_offset_commit();
  req->set_group_id(config.group_id);
  std::string not_owned;
  {
    std::lock_guard lock(mu);
    if (subscribed) {
      // A partition this member no longer owns (revoked, or lost when it was fenced) may have a
      // new owner already; committing it could move that owner's bookmark backwards.
      std::erase_if(offsets, [&](const auto& kv) {
        if (owned.count(kv.first)) return false;
        not_owned += (not_owned.empty() ? "" : ",") + kv.first.topic + "-" +
                     std::to_string(kv.first.partition);
        return true;
      });
    }
    req->set_member_id(member_id);
    req->set_member_epoch(member_id.empty() ? -1 : member_epoch);
  }
  const auto refused_here = [&]() -> result<void> {
    if (not_owned.empty()) return success();
    return make_error(errc::invalid_argument, "not committed: " + not_owned +
                                                  " not owned by this member (revoked or lost)");
  };
  if (offsets.empty()) co_return refused_here();
  add_commit_offsets(offsets, req);
  auto resp = co_await group_conn.call(std::move(meta));
  if (!resp) co_return resp.error();
  std::lock_guard lock(mu);
  for (const auto& t : resp.value().meta.offset_commit().topics()) {
    for (const auto& p : t.partitions()) {
      if (p.error().code() != v1::NONE) co_return broker_error(p.error());
      topic_partition tp{t.name(), p.partition()};
      last_committed[tp] = offsets[tp];
    }
  }
  co_return refused_here();
}

result<void> consumer::impl::reconcile() {
  std::set<topic_partition> lost_now, revoke, add;
  {
    std::lock_guard lock(mu);
    if (!subscribed) return success();
    lost_now.swap(lost);
    revoke = minus(owned, target);
    add = minus(target, owned);
    adding = add;
  }
  if (!lost_now.empty() && listener != nullptr) listener->on_lost(as_vector(lost_now));
  if (!revoke.empty()) {
    if (config.enable_auto_commit) {
      std::map<topic_partition, int64_t> offsets;
      {
        std::lock_guard lock(mu);
        offsets = positions_to_commit(revoke);
      }
      // A refused commit (fenced meanwhile) changes nothing here: the partitions go anyway.
      (void)rt.run([this, offsets]() { return commit(offsets); });
    }
    if (listener != nullptr) listener->on_revoked(as_vector(revoke));
    std::lock_guard lock(mu);
    drop_partitions(revoke);
    for (const auto& tp : revoke)
      owned.erase(tp);
  }
  if (!add.empty()) {
    // Start where the group left off.
    v1::RequestMeta meta;
    meta.mutable_header()->set_api_key(v1::OFFSET_FETCH);
    meta.mutable_offset_fetch()->set_group_id(config.group_id);
    add_topic_partitions(add, meta.mutable_offset_fetch()->mutable_topics());
    auto resp = rt.run([this, meta]() -> awaitable<result<response>> {
      co_return co_await group_conn.call(meta);
    });
    if (!resp) {
      std::lock_guard lock(mu);
      adding.clear();
      return resp.error();
    }
    std::map<topic_partition, int64_t> committed_offsets;
    for (const auto& t : resp.value().meta.offset_fetch().topics()) {
      for (const auto& p : t.partitions()) {
        if (p.error().code() != v1::NONE) return broker_error(p.error());
        if (p.offset() >= 0) committed_offsets[{t.name(), p.partition()}] = p.offset();
      }
    }
    {
      std::lock_guard lock(mu);
      // The coordinator may have changed its mind meanwhile; only still-targeted ones.
      std::set<topic_partition> still;
      for (const auto& tp : add) {
        if (target.count(tp)) still.insert(tp);
      }
      add = std::move(still);
      add_partitions(add);
      for (const auto& tp : add) {
        auto& st = parts[tp];
        if (auto c = committed_offsets.find(tp); c != committed_offsets.end()) {
          st.fetch_position = c->second;
          st.position = c->second;
          last_committed[tp] = c->second;
        }
        owned.insert(tp);
      }
      adding.clear();
    }
    if (listener != nullptr && !add.empty()) listener->on_assigned(as_vector(add));
  }
  if (!revoke.empty() || !add.empty()) {
    // Tell the coordinator at once: partitions wait for their old owner's report.
    asio::post(rt.executor(), [this] { heartbeat_wake.cancel(); });
  }
  return success();
}

void consumer::impl::leave() {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::CONSUMER_GROUP_HEARTBEAT);
  auto* hb = meta.mutable_consumer_group_heartbeat();
  {
    std::lock_guard lock(mu);
    if (member_id.empty()) return;
    hb->set_group_id(config.group_id);
    hb->set_member_id(member_id);
    // A static member steps out meaning to come back: its partitions wait for it.
    hb->set_member_epoch(config.group_instance_id.empty() ? -1 : -2);
    hb->set_instance_id(config.group_instance_id);
  }
  (void)rt.run(
      [this, meta]() -> awaitable<result<response>> { co_return co_await group_conn.call(meta); });
}

result<void> consumer::impl::join(std::vector<std::string> subscribed_topics,
                                  std::string subscribed_regex, rebalance_listener* l) {
  auto& d = *this;
  if (d.config.group_id.empty()) {
    return make_error(errc::invalid_argument, "subscribe needs consumer_config::group_id");
  }
  std::lock_guard lock(d.mu);
  if (d.stopped) return make_error(errc::closed, "the consumer is closed");
  if (d.subscribed) return make_error(errc::invalid_argument, "the consumer is already subscribed");
  if (!d.parts.empty()) {
    return make_error(
        errc::invalid_argument,
        "the consumer has assigned partitions: use assign() or subscribe(), not both");
  }
  d.subscribed = true;
  d.topics = std::move(subscribed_topics);
  d.regex = std::move(subscribed_regex);
  d.listener = l;
  asio::co_spawn(d.rt.executor(), d.heartbeat_loop(), asio::detached);
  return success();
}

result<void> consumer::subscribe(const std::vector<std::string>& topics,
                                 rebalance_listener* listener) {
  return impl_->join(topics, "", listener);
}

result<void> consumer::subscribe_regex(const std::string& regex, rebalance_listener* listener) {
  return impl_->join({}, regex, listener);
}

result<void> consumer::commit_sync() {
  auto& d = *impl_;
  std::map<topic_partition, int64_t> offsets;
  {
    std::lock_guard lock(d.mu);
    std::set<topic_partition> mine = d.subscribed ? d.owned : std::set<topic_partition>{};
    if (!d.subscribed) {
      for (const auto& [tp, _] : d.parts)
        mine.insert(tp);
    }
    offsets = d.positions_to_commit(mine);
  }
  return commit_sync(offsets);
}

result<void> consumer::commit_sync(const std::map<topic_partition, int64_t>& offsets) {
  auto& d = *impl_;
  if (d.config.group_id.empty()) {
    return make_error(errc::invalid_argument, "committing needs consumer_config::group_id");
  }
  return d.rt.run([&d, offsets]() { return d.commit(offsets); });
}

void consumer::commit_async(std::function<void(const result<void>&)> done) {
  auto& d = *impl_;
  std::map<topic_partition, int64_t> offsets;
  {
    std::lock_guard lock(d.mu);
    if (d.config.group_id.empty() || d.stopped) return;
    offsets = d.positions_to_commit(d.subscribed ? d.owned : std::set<topic_partition>{});
  }
  asio::co_spawn(
      d.rt.executor(),
      [&d, offsets, done = std::move(done)]() -> awaitable<void> {
        auto r = co_await d.commit(offsets);
        if (done) done(r);
      },
      asio::detached);
}

result<std::optional<int64_t>> consumer::committed(const topic_partition& tp) {
  auto& d = *impl_;
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::OFFSET_FETCH);
  meta.mutable_offset_fetch()->set_group_id(d.config.group_id);
  add_topic_partitions({tp}, meta.mutable_offset_fetch()->mutable_topics());
  auto resp = d.rt.run(
      [&d, meta]() -> awaitable<result<response>> { co_return co_await d.group_conn.call(meta); });
  if (!resp) return resp.error();
  for (const auto& t : resp.value().meta.offset_fetch().topics()) {
    for (const auto& p : t.partitions()) {
      if (p.error().code() != v1::NONE) return broker_error(p.error());
      if (p.offset() >= 0) return std::optional<int64_t>(p.offset());
    }
  }
  return std::optional<int64_t>{};
}

}  // namespace sluice::client
