#include "broker/group/coordinator.h"

#include <spdlog/spdlog.h>

#include "broker/group/partition_set_proto.h"
#include "broker/group/record_times.h"
#include "broker/wire_error.h"
#include "group/group_state.pb.h"

namespace sluice::broker {

std::optional<std::string> invalid_group_id(const std::string& id) {
  if (id.empty()) return "group id is empty";
  if (id.size() > 255) return "group id is longer than 255 characters";
  for (unsigned char c : id) {
    if (c < 0x20 || c == 0x7f) return "group id '" + id + "' contains a control character";
  }
  return std::nullopt;
}

group_coordinator::group_coordinator(storage::log_manager& logs, storage::offset_store& store,
                                     const broker_config& config, metrics_registry& metrics,
                                     clock_fn clock)
    : logs_(logs), store_(store), config_(config), metrics_(metrics), clock_(std::move(clock)) {}

uint32_t group_coordinator::heartbeat_interval_ms() const {
  return static_cast<uint32_t>(config_.group_heartbeat_interval_ms);
}

topic_catalog group_coordinator::catalog() const {
  topic_catalog out;
  for (const auto& t : logs_.list_topics())
    out[t.name] = t.partitions;
  return out;
}

std::optional<error> group_coordinator::unavailable() const {
  if (store_.unavailable_reason()) return store_.unavailable_reason();
  return load_error_;
}

result<void> group_coordinator::load() {
  auto loaded = store_.load_groups();
  if (!loaded) {
    load_error_ = loaded.error();
    return loaded.error();
  }
  const auto& stored = loaded.value();
  const int64_t now = clock_();
  for (const auto& [id, bytes] : stored) {
    state::Group g;
    if (!g.ParseFromString(bytes)) {
      spdlog::warn("ignoring unreadable state of group {}", id);
      continue;
    }
    groups_.emplace(id, consumer_group::load(g, now));
  }
  if (!groups_.empty()) spdlog::info("loaded {} consumer groups", groups_.size());
  return success();
}

void group_coordinator::persist(const consumer_group& g) {
  state::Group s;
  g.save(s);
  std::string bytes;
  s.SerializeToString(&bytes);
  storage::offset_write w;
  w.groups.emplace_back(g.id(), std::move(bytes));
  store_.write(std::move(w), [id = g.id()](const result<void>& r) {
    if (!r) spdlog::warn("storing group {} failed: {}", id, r.error().message);
  });
}

v1::ConsumerGroupHeartbeatResponse group_coordinator::heartbeat(
    const v1::ConsumerGroupHeartbeatRequest& req, const std::string& client_id,
    v1::Error* header_error) {
  v1::ConsumerGroupHeartbeatResponse resp;
  if (auto bad = invalid_group_id(req.group_id())) {
    set_error(header_error, v1::INVALID_GROUP_ID, *bad);
    return resp;
  }
  heartbeat_request in;
  in.member_id = req.member_id();
  in.member_epoch = req.member_epoch();
  in.instance_id = req.instance_id();
  in.client_id = client_id;
  in.session_timeout_ms =
      req.session_timeout_ms() == 0
          ? config_.group_session_timeout_ms
          : std::clamp<int64_t>(req.session_timeout_ms(), config_.group_min_session_timeout_ms,
                                config_.group_max_session_timeout_ms);
  in.topics.assign(req.subscribed_topic_names().begin(), req.subscribed_topic_names().end());
  in.regex = req.subscribed_topic_regex();
  in.assignor = req.server_assignor();
  in.owned = from_proto(req.owned_partitions());
  auto [it, created] = groups_.try_emplace(req.group_id(), req.group_id());
  const int32_t epoch_before = it->second.epoch();
  auto answer = it->second.heartbeat(in, clock_(), catalog());
  if (answer.error != v1::NONE) {
    set_error(header_error, answer.error, answer.message);
    if (created) groups_.erase(it);
    return resp;
  }
  resp.set_member_id(answer.member_id);
  resp.set_member_epoch(answer.member_epoch);
  resp.set_heartbeat_interval_ms(heartbeat_interval_ms());
  to_proto(answer.assignment, resp.mutable_assignment());
  // Joins, leaves, epoch and ownership changes are stored; plain heartbeats are not.
  if (created || epoch_before != it->second.epoch() || answer.member_epoch != req.member_epoch()) {
    persist(it->second);
  }
  return resp;
}

void group_coordinator::commit(const v1::OffsetCommitRequest& req,
                               std::function<void(v1::OffsetCommitResponse)> done) {
  v1::OffsetCommitResponse resp;
  std::optional<std::pair<v1::ErrorCode, std::string>> refusal;
  const consumer_group* group = nullptr;
  if (auto bad = invalid_group_id(req.group_id())) {
    refusal = std::pair{v1::INVALID_GROUP_ID, *bad};
  } else {
    auto it = groups_.find(req.group_id());
    if (it != groups_.end()) {
      group = &it->second;
      refusal = it->second.check_commit(req.member_id(), req.member_epoch());
    } else if (!req.member_id().empty()) {
      refusal = std::pair{v1::UNKNOWN_MEMBER_ID,
                          "group " + req.group_id() + " has no member " + req.member_id()};
    }
  }
  storage::offset_write write;
  std::vector<v1::OffsetCommitResponse::Partition*> written;
  const int64_t now = clock_();
  for (const auto& t : req.topics()) {
    auto* topic = resp.add_topics();
    topic->set_name(t.name());
    for (const auto& p : t.partitions()) {
      auto* out = topic->add_partitions();
      out->set_partition(p.partition());
      if (refusal) {
        set_error(out->mutable_error(), refusal->first, refusal->second);
        continue;
      }
      auto log = logs_.partition(t.name(), partition_id{p.partition()});
      if (!log) {
        to_wire_error(log.error(), out->mutable_error());
        continue;
      }
      if (group != nullptr && !req.member_id().empty() &&
          !group->may_commit(req.member_id(), {t.name(), p.partition()})) {
        set_error(out->mutable_error(), v1::STALE_MEMBER_EPOCH,
                  "member " + req.member_id() + " does not own " + t.name() + "-" +
                      std::to_string(p.partition()) +
                      " (it was revoked or moved to another member); not committed");
        continue;
      }
      if (p.offset() < 0) {
        set_error(out->mutable_error(), v1::INVALID_REQUEST,
                  "offset " + std::to_string(p.offset()) + " is negative");
        continue;
      }
      write.offsets.push_back({{req.group_id(), t.name(), p.partition()},
                               {p.offset(), p.leader_epoch(), now, p.metadata()}});
      written.push_back(out);
    }
  }
  if (write.offsets.empty()) {
    done(std::move(resp));
    return;
  }
  if (auto& g = groups_.try_emplace(req.group_id(), req.group_id()).first->second; g.empty()) {
    // Offsets set from outside (reset-offsets, a standalone consumer): the group exists, empty,
    // and offsets.retention.ms counts from this commit.
    g.mark_empty_since(now);
    state::Group s;
    g.save(s);
    write.groups.emplace_back(g.id(), s.SerializeAsString());
  }
  auto shared = std::make_shared<v1::OffsetCommitResponse>(std::move(resp));
  store_.write(std::move(write), [shared, written = std::move(written),
                                  done = std::move(done)](const result<void>& r) {
    if (!r) {
      for (auto* p : written)
        to_wire_error(r.error(), p->mutable_error());
    }
    done(std::move(*shared));
  });
}

v1::OffsetFetchResponse group_coordinator::fetch_offsets(const v1::OffsetFetchRequest& req) {
  v1::OffsetFetchResponse resp;
  std::map<std::string, v1::OffsetFetchResponse::Topic*> topics;
  auto add = [&](const std::string& topic, int32_t partition,
                 const result<std::optional<storage::committed_offset>>& c) {
    auto*& t = topics[topic];
    if (t == nullptr) {
      t = resp.add_topics();
      t->set_name(topic);
    }
    auto* p = t->add_partitions();
    p->set_partition(partition);
    p->set_offset(-1);
    p->set_leader_epoch(-1);
    if (!c) {
      to_wire_error(c.error(), p->mutable_error());
    } else if (c.value()) {
      p->set_offset(c.value()->offset);
      p->set_leader_epoch(c.value()->leader_epoch);
      p->set_metadata(c.value()->metadata);
      p->set_commit_time_ms(c.value()->commit_time_ms);
    }
  };
  if (req.topics().empty()) {
    auto all = store_.group_offsets(req.group_id());
    if (all) {
      for (const auto& [k, v] : all.value()) {
        add(k.topic, k.partition, result<std::optional<storage::committed_offset>>(v));
      }
    }
    return resp;
  }
  for (const auto& t : req.topics()) {
    for (int32_t p : t.partitions())
      add(t.topic(), p, store_.get({req.group_id(), t.topic(), p}));
  }
  return resp;
}

v1::ListGroupsResponse group_coordinator::list_groups() {
  v1::ListGroupsResponse resp;
  for (const auto& [id, g] : groups_) {
    auto* out = resp.add_groups();
    out->set_group_id(id);
    out->set_state(g.state());
    out->set_members(static_cast<int32_t>(g.members().size()));
  }
  return resp;
}

void group_coordinator::fill_lag(const consumer_group& g, v1::DescribeGroupsResponse::Group& out) {
  const auto cat = catalog();
  partition_set partitions = g.subscribed_partitions(cat);
  std::map<topic_partition, int64_t> committed;
  if (auto offsets = store_.group_offsets(g.id())) {
    for (const auto& [k, v] : offsets.value()) {
      committed[{k.topic, k.partition}] = v.offset;
      if (cat.count(k.topic) && k.partition < cat.at(k.topic))
        partitions.insert({k.topic, k.partition});
    }
  }
  std::map<topic_partition, std::string> owner;
  for (const auto& [id, m] : g.members()) {
    for (const auto& tp : m.assigned)
      owner[tp] = id;
  }
  const int64_t now = clock_();
  out.set_consumed_event_time(-1);
  out.set_event_time_lag_ms(-1);
  for (const auto& tp : partitions) {
    auto log = logs_.partition(tp.first, partition_id{tp.second});
    if (!log) continue;
    auto* p = out.add_partitions();
    p->set_topic(tp.first);
    p->set_partition(tp.second);
    p->set_owner_member_id(owner.count(tp) ? owner[tp] : "");
    const int64_t end = log.value()->high_watermark().value;
    const int64_t start = log.value()->log_start().value;
    const int64_t done = committed.count(tp) ? committed[tp] : -1;
    p->set_committed_offset(done);
    p->set_log_end_offset(end);
    const int64_t from = std::max(done, start);
    p->set_lag(std::max<int64_t>(0, end - from));
    p->set_lag_ms(-1);
    if (end > from) {
      if (auto ts = timestamp_at(*log.value(), offset{from}))
        p->set_lag_ms(std::max<int64_t>(0, now - *ts));
    }
    fill_event_time(*log.value(), done, *p);
    if (p->consumed_timestamp() < 0) continue;
    if (out.consumed_event_time() < 0 || p->consumed_timestamp() < out.consumed_event_time())
      out.set_consumed_event_time(p->consumed_timestamp());
    out.set_event_time_lag_ms(std::max(out.event_time_lag_ms(), p->event_time_lag_ms()));
  }
}

void group_coordinator::fill_event_time(storage::partition_log& log, int64_t committed,
                                        v1::DescribeGroupsResponse::PartitionLag& out) {
  const int64_t newest = log.max_timestamp();
  std::optional<int64_t> consumed;
  if (committed > 0) consumed = timestamp_before(log, offset{committed});
  out.set_max_timestamp(newest);
  out.set_consumed_timestamp(consumed.value_or(-1));
  const bool known = consumed && newest >= 0;
  out.set_event_time_lag_ms(known ? std::max<int64_t>(0, newest - *consumed) : -1);
}

std::map<std::string, consumer_group>::iterator group_coordinator::find_group(const std::string& id,
                                                                              v1::Error* error) {
  auto it = groups_.find(id);
  if (it == groups_.end())
    set_error(error, v1::GROUP_ID_NOT_FOUND, "group " + id + " does not exist");
  return it;
}

v1::DescribeGroupsResponse group_coordinator::describe_groups(
    const v1::DescribeGroupsRequest& req) {
  v1::DescribeGroupsResponse resp;
  for (const auto& id : req.group_ids()) {
    auto* out = resp.add_groups();
    out->set_group_id(id);
    auto it = find_group(id, out->mutable_error());
    if (it == groups_.end()) continue;
    const auto& g = it->second;
    out->set_state(g.state());
    out->set_group_epoch(g.epoch());
    out->set_assignor(g.assignor());
    for (const auto& [mid, m] : g.members()) {
      auto* pm = out->add_members();
      pm->set_member_id(mid);
      pm->set_instance_id(m.instance_id);
      pm->set_client_id(m.client_id);
      pm->set_member_epoch(m.epoch);
      for (const auto& t : m.topics)
        pm->add_subscribed_topics(t);
      pm->set_subscribed_regex(m.regex);
      to_proto(m.assigned, pm->mutable_assignment());
      if (auto t = g.target().find(mid); t != g.target().end()) {
        to_proto(t->second, pm->mutable_target_assignment());
      }
    }
    fill_lag(g, *out);
    for (const auto& r : g.history())
      *out->add_rebalances() = r;
  }
  return resp;
}

v1::DeleteGroupsResponse group_coordinator::delete_groups(const v1::DeleteGroupsRequest& req) {
  v1::DeleteGroupsResponse resp;
  for (const auto& id : req.group_ids()) {
    auto* out = resp.add_groups();
    out->set_group_id(id);
    auto it = find_group(id, out->mutable_error());
    if (it == groups_.end()) continue;
    if (!it->second.empty()) {
      set_error(out->mutable_error(), v1::NON_EMPTY_GROUP,
                "group " + id + " has " + std::to_string(it->second.members().size()) +
                    " members; it can be deleted once they have left");
      continue;
    }
    storage::offset_write w;
    if (auto offsets = store_.group_offsets(id)) {
      for (const auto& [k, _] : offsets.value())
        w.deleted_offsets.push_back(k);
    }
    w.groups.emplace_back(id, std::nullopt);
    auto written = store_.write_sync(std::move(w));
    if (!written) {
      to_wire_error(written.error(), out->mutable_error());
      continue;
    }
    groups_.erase(it);
  }
  return resp;
}

void group_coordinator::topic_deleted(const std::string& topic) {
  auto keys = store_.topic_offsets(topic);
  if (!keys || keys.value().empty()) return;
  storage::offset_write w;
  w.deleted_offsets = std::move(keys).value();
  store_.write(std::move(w), [topic](const result<void>& r) {
    if (!r) spdlog::warn("removing offsets of deleted topic {}: {}", topic, r.error().message);
  });
}

void group_coordinator::sweep() {
  const int64_t now = clock_();
  const auto cat = catalog();
  for (auto& [id, g] : groups_) {
    bool changed = g.expire(now, cat);
    changed |= g.refresh_metadata(now, cat);
    if (changed) persist(g);
  }
  std::vector<std::string> expired;
  for (const auto& [id, g] : groups_) {
    if (g.empty() && now - g.empty_since_ms() > config_.offsets_retention_ms) expired.push_back(id);
  }
  for (const auto& id : expired) {
    v1::DeleteGroupsRequest req;
    req.add_group_ids(id);
    delete_groups(req);
    spdlog::info("group {} was empty for offsets.retention.ms: removed with its offsets", id);
  }
}

void group_coordinator::render_metrics(std::string& out) {
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  family("sluice_group_members", "gauge", "Members of a consumer group.");
  for (const auto& [id, g] : groups_) {
    out += "sluice_group_members{group=\"" + label_value(id) + "\"} " +
           std::to_string(g.members().size()) + "\n";
  }
  family("sluice_group_epoch", "gauge", "Group epoch: it grows by one per rebalance.");
  for (const auto& [id, g] : groups_) {
    out +=
        "sluice_group_epoch{group=\"" + label_value(id) + "\"} " + std::to_string(g.epoch()) + "\n";
  }
  family("sluice_group_rebalances_total", "counter",
         "Rebalances since the broker started, by cause (join, leave, timeout, ...).");
  for (const auto& [id, g] : groups_) {
    for (const auto& [cause, n] : g.rebalance_counts()) {
      out += "sluice_group_rebalances_total{group=\"" + label_value(id) + "\",cause=\"" +
             label_value(cause) + "\"} " + std::to_string(n) + "\n";
    }
  }
  family(
      "sluice_group_rebalance_duration_seconds", "gauge",
      "How long the last finished rebalance took, from target change to every member reconciled.");
  for (const auto& [id, g] : groups_) {
    for (auto it = g.history().rbegin(); it != g.history().rend(); ++it) {
      if (it->duration_ms() < 0) continue;
      out += "sluice_group_rebalance_duration_seconds{group=\"" + label_value(id) + "\"} " +
             std::to_string(static_cast<double>(it->duration_ms()) / 1000.0) + "\n";
      break;
    }
  }
  family("sluice_group_lag_records", "gauge", "Records not yet committed as consumed.");
  std::string seconds;
  for (const auto& [id, g] : groups_) {
    v1::DescribeGroupsResponse::Group d;
    fill_lag(g, d);
    for (const auto& p : d.partitions()) {
      const std::string labels = "{group=\"" + label_value(id) + "\",topic=\"" +
                                 label_value(p.topic()) + "\",partition=\"" +
                                 std::to_string(p.partition()) + "\"}";
      out += "sluice_group_lag_records" + labels + " " + std::to_string(p.lag()) + "\n";
      seconds += "sluice_group_lag_seconds" + labels + " " +
                 std::to_string(p.lag_ms() < 0 ? 0.0 : static_cast<double>(p.lag_ms()) / 1000.0) +
                 "\n";
    }
  }
  family("sluice_group_lag_seconds", "gauge", "Age of the oldest record not yet consumed.");
  out += seconds;
}

}  // namespace sluice::broker
