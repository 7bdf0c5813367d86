#include "broker/group/consumer_group.h"

#include <random>
#include <regex>

#include "broker/group/partition_set_proto.h"
#include "group/group_state.pb.h"

namespace sluice::broker {
namespace {

heartbeat_answer refused(v1::ErrorCode code, std::string message) {
  heartbeat_answer a;
  a.error = code;
  a.message = std::move(message);
  return a;
}

}  // namespace

std::string new_member_id() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string id(22, 'A');
  for (auto& c : id)
    c = alphabet[rng() % 64];
  return id;
}

std::set<std::string> consumer_group::resolve(const group_member& m,
                                              const topic_catalog& catalog) const {
  std::set<std::string> out;
  for (const auto& t : m.topics) {
    if (catalog.count(t)) out.insert(t);
  }
  if (!m.regex.empty()) {
    std::regex re(m.regex);  // checked when the member joined
    for (const auto& [topic, _] : catalog) {
      if (std::regex_match(topic, re)) out.insert(topic);
    }
  }
  return out;
}

std::string consumer_group::fingerprint(const topic_catalog& catalog) const {
  std::set<std::string> topics;
  for (const auto& [_, m] : members_) {
    for (const auto& t : resolve(m, catalog))
      topics.insert(t);
  }
  std::string out;
  for (const auto& t : topics)
    out += t + ":" + std::to_string(catalog.at(t)) + ";";
  return out;
}

partition_set consumer_group::subscribed_partitions(const topic_catalog& catalog) const {
  partition_set out;
  for (const auto& [_, m] : members_) {
    for (const auto& t : resolve(m, catalog)) {
      for (int32_t p = 0; p < catalog.at(t); ++p)
        out.insert({t, p});
    }
  }
  return out;
}

heartbeat_answer consumer_group::heartbeat(const heartbeat_request& req, int64_t now_ms,
                                           const topic_catalog& catalog) {
  if (req.member_epoch == -1 || req.member_epoch == -2) {
    auto it = members_.find(req.member_id);
    if (it == members_.end()) {
      return refused(v1::UNKNOWN_MEMBER_ID, "member " + req.member_id + " is not in group " + id_);
    }
    heartbeat_answer left;
    left.member_id = req.member_id;
    left.member_epoch = req.member_epoch;
    if (req.member_epoch == -2 && !it->second.instance_id.empty()) {
      // A static member stepping out to come back: its partitions wait for it, unconsumed,
      // for one session timeout, and nobody else's move.
      auto& m = it->second;
      m.static_left = true;
      m.owned.clear();
      m.assigned.clear();
      m.last_heartbeat_ms = now_ms;
      check_done(now_ms);
      return left;
    }
    remove_member(req.member_id, now_ms);
    bump("leave", now_ms, catalog);
    check_done(now_ms);  // the last member gone: nothing left to reconcile
    return left;
  }

  // Checked on every heartbeat: a subscription may change at any time, and resolve() relies
  // on stored regexes being valid.
  if (!req.regex.empty()) {
    try {
      std::regex check(req.regex);
    } catch (const std::regex_error& e) {
      return refused(v1::INVALID_REGULAR_EXPRESSION,
                     "subscription regex '" + req.regex + "': " + e.what());
    }
  }
  group_member* m = nullptr;
  bool subscription_changed = false;
  if (req.member_epoch == 0) {
    if (!req.assignor.empty() && !known_assignor(req.assignor)) {
      return refused(v1::UNSUPPORTED_ASSIGNOR,
                     "assignor '" + req.assignor + "' is not one of sticky, range, roundrobin");
    }
    if (members_.empty() && !req.assignor.empty()) assignor_ = req.assignor;
    auto previous = req.instance_id.empty()
                        ? members_.end()
                        : std::find_if(members_.begin(), members_.end(), [&](const auto& kv) {
                            return kv.second.instance_id == req.instance_id;
                          });
    group_member fresh;
    const bool returning = previous != members_.end();
    if (returning) {
      // A static member back (or restarted): it takes over its predecessor's place and target,
      // and the predecessor is fenced.
      fresh = previous->second;
      if (!fresh.static_left) {
        if (replaced_.size() >= 1000) replaced_.erase(replaced_.begin());
        replaced_[previous->first] = req.instance_id;
      }
      subscription_changed = fresh.topics != req.topics || fresh.regex != req.regex;
      fresh.assigned.clear();
      target_[fresh.id = new_member_id()] = target_[previous->first];
      target_.erase(previous->first);
      members_.erase(previous);
    } else {
      fresh.id = new_member_id();
      fresh.instance_id = req.instance_id;
      fresh.epoch = epoch_ + 1;
    }
    fresh.static_left = false;
    fresh.topics = req.topics;
    fresh.regex = req.regex;
    fresh.owned = req.owned;
    m = &members_.emplace(fresh.id, std::move(fresh)).first->second;
    if (!returning) {
      // Inserted a new member: the group changes.
      m->last_heartbeat_ms = now_ms;
      m->session_timeout_ms = req.session_timeout_ms;
      bump("join", now_ms, catalog);
    }
  } else {
    auto it = members_.find(req.member_id);
    if (auto r = replaced_.find(req.member_id); r != replaced_.end()) {
      return refused(v1::FENCED_INSTANCE_ID,
                     "member " + req.member_id +
                         " was replaced by a newer member with instance id '" + r->second +
                         "'; two consumers must not share a group.instance.id");
    }
    if (it == members_.end() || it->second.static_left) {
      return refused(v1::UNKNOWN_MEMBER_ID,
                     "member " + req.member_id + " is not in group " + id_ +
                         ": it left, or missed its session timeout and was fenced; rejoin");
    }
    m = &it->second;
    if (req.member_epoch != m->epoch && req.member_epoch != m->previous_epoch) {
      // A member that lost track of its epoch is out: it must rejoin, and what it held is
      // free for others at once rather than after its session timeout.
      auto answer = refused(v1::FENCED_MEMBER_EPOCH,
                            "member " + m->id + " sent epoch " + std::to_string(req.member_epoch) +
                                ", its epoch is " + std::to_string(m->epoch) + "; rejoin");
      remove_member(req.member_id, now_ms);
      bump("fenced", now_ms, catalog);
      check_done(now_ms);
      return answer;
    }
    subscription_changed = m->topics != req.topics || m->regex != req.regex;
    m->topics = req.topics;
    m->regex = req.regex;
    m->owned = req.owned;
  }
  m->last_heartbeat_ms = now_ms;
  m->client_id = req.client_id;
  m->session_timeout_ms = req.session_timeout_ms;
  if (subscription_changed) bump("subscription change", now_ms, catalog);
  refresh_metadata(now_ms, catalog);
  reconcile(*m);
  check_done(now_ms);
  heartbeat_answer ok;
  ok.member_id = m->id;
  ok.member_epoch = m->epoch;
  ok.assignment = m->assigned;
  return ok;
}

bool consumer_group::refresh_metadata(int64_t now_ms, const topic_catalog& catalog) {
  if (members_.empty() || fingerprint(catalog) == fingerprint_) return false;
  bump("metadata change", now_ms, catalog);
  return true;
}

bool consumer_group::expire(int64_t now_ms, const topic_catalog& catalog) {
  std::vector<std::string> gone;
  for (const auto& [id, m] : members_) {
    if (now_ms - m.last_heartbeat_ms > m.session_timeout_ms) gone.push_back(id);
  }
  for (const auto& id : gone)
    remove_member(id, now_ms);
  if (!gone.empty()) {
    bump("timeout", now_ms, catalog);
    check_done(now_ms);
  }
  return !gone.empty();
}

// Its target stays until the reassignment that must follow, so the rebalance records what
// moved from it.
void consumer_group::remove_member(const std::string& id, int64_t now_ms) {
  members_.erase(id);
  if (members_.empty()) empty_since_ms_ = now_ms;
}

void consumer_group::bump(const std::string& cause, int64_t now_ms, const topic_catalog& catalog) {
  ++epoch_;
  reassign(cause, now_ms, catalog);
}

void consumer_group::reassign(const std::string& cause, int64_t now_ms,
                              const topic_catalog& catalog) {
  std::vector<assignor_member> input;
  for (const auto& [id, m] : members_) {
    input.push_back({id, m.instance_id.empty() ? id : m.instance_id, resolve(m, catalog),
                     target_.count(id) ? target_.at(id) : partition_set{}});
  }
  assignment next = assign_partitions(assignor_, input, catalog);

  v1::DescribeGroupsResponse::Rebalance record;
  record.set_cause(cause);
  record.set_group_epoch(epoch_);
  record.set_started_ms(now_ms);
  record.set_duration_ms(-1);
  std::map<topic_partition, std::string> before, after;
  for (const auto& [id, set] : target_) {
    for (const auto& tp : set)
      before[tp] = id;
  }
  for (const auto& [id, set] : next) {
    for (const auto& tp : set)
      after[tp] = id;
  }
  std::set<topic_partition> all;
  for (const auto& [tp, _] : before)
    all.insert(tp);
  for (const auto& [tp, _] : after)
    all.insert(tp);
  for (const auto& tp : all) {
    auto b = before.count(tp) ? before[tp] : std::string();
    auto a = after.count(tp) ? after[tp] : std::string();
    if (a == b) continue;
    auto* move = record.add_moved();
    move->set_topic(tp.first);
    move->set_partition(tp.second);
    move->set_from_member(b);
    move->set_to_member(a);
  }
  if (!history_.empty() && history_.back().duration_ms() < 0) {
    history_.back().set_duration_ms(now_ms - history_.back().started_ms());  // superseded
  }
  history_.push_back(std::move(record));
  ++rebalance_counts_[cause];
  while (history_.size() > history_kept)
    history_.pop_front();

  target_ = std::move(next);
  target_epoch_ = epoch_;
  fingerprint_ = fingerprint(catalog);
  if (members_.empty()) empty_since_ms_ = now_ms;
}

void consumer_group::reconcile(group_member& m) {
  if (m.static_left) return;
  const partition_set& desired = target_[m.id];
  partition_set held_elsewhere;
  for (const auto& [id, other] : members_) {
    if (id == m.id) continue;
    held_elsewhere.insert(other.owned.begin(), other.owned.end());
    held_elsewhere.insert(other.assigned.begin(), other.assigned.end());
  }
  partition_set next;
  for (const auto& tp : desired) {
    if (m.owned.count(tp) || !held_elsewhere.count(tp)) next.insert(tp);
  }
  if (next != m.assigned) {
    m.previous_epoch = m.epoch;
    m.epoch = std::max(epoch_, m.epoch + 1);
    m.assigned = std::move(next);
  }
}

void consumer_group::check_done(int64_t now_ms) {
  if (history_.empty() || history_.back().duration_ms() >= 0) return;
  for (const auto& [id, m] : members_) {
    if (m.static_left) continue;
    auto it = target_.find(id);
    const partition_set empty;
    const partition_set& want = it == target_.end() ? empty : it->second;
    if (m.assigned != want || m.owned != want) return;
  }
  history_.back().set_duration_ms(now_ms - history_.back().started_ms());
}

std::optional<std::pair<v1::ErrorCode, std::string>> consumer_group::check_commit(
    const std::string& member_id, int32_t member_epoch) const {
  if (member_id.empty()) {
    if (members_.empty()) return std::nullopt;
    return std::pair{v1::UNKNOWN_MEMBER_ID,
                     "group " + id_ + " has members; only they may commit while it does"};
  }
  if (auto r = replaced_.find(member_id); r != replaced_.end()) {
    return std::pair{v1::FENCED_INSTANCE_ID,
                     "member " + member_id + " was replaced by a newer member with instance id '" +
                         r->second + "'"};
  }
  auto it = members_.find(member_id);
  if (it == members_.end()) {
    return std::pair{v1::UNKNOWN_MEMBER_ID,
                     "member " + member_id + " is not in group " + id_ +
                         ": it left, or missed its session timeout and was fenced"};
  }
  const auto& m = it->second;
  if (member_epoch != m.epoch && member_epoch != m.previous_epoch) {
    return std::pair{v1::STALE_MEMBER_EPOCH, "commit from member " + member_id + " with epoch " +
                                                 std::to_string(member_epoch) +
                                                 ", but its epoch is " + std::to_string(m.epoch)};
  }
  return std::nullopt;
}

bool consumer_group::may_commit(const std::string& member_id, const topic_partition& tp) const {
  if (member_id.empty()) return members_.empty();
  auto it = members_.find(member_id);
  return it != members_.end() && (it->second.owned.count(tp) || it->second.assigned.count(tp));
}

std::string consumer_group::state() const {
  if (members_.empty()) return "empty";
  if (!history_.empty() && history_.back().duration_ms() < 0) return "assigning";
  return "stable";
}

void consumer_group::save(state::Group& out) const {
  out.set_id(id_);
  out.set_epoch(epoch_);
  out.set_target_epoch(target_epoch_);
  out.set_assignor(assignor_);
  out.set_fingerprint(fingerprint_);
  out.set_empty_since_ms(empty_since_ms_);
  for (const auto& [id, m] : members_) {
    auto* pm = out.add_members();
    pm->set_id(m.id);
    pm->set_instance_id(m.instance_id);
    pm->set_client_id(m.client_id);
    pm->set_epoch(m.epoch);
    pm->set_previous_epoch(m.previous_epoch);
    for (const auto& t : m.topics)
      pm->add_topics(t);
    pm->set_regex(m.regex);
    pm->set_session_timeout_ms(m.session_timeout_ms);
    to_proto(m.owned, pm->mutable_owned());
    to_proto(m.assigned, pm->mutable_assigned());
    pm->set_static_left(m.static_left);
  }
  for (const auto& [id, set] : target_) {
    auto* t = out.add_target();
    t->set_member_id(id);
    to_proto(set, t->mutable_partitions());
  }
  for (const auto& r : history_)
    *out.add_history() = r;
}

consumer_group consumer_group::load(const state::Group& in, int64_t now_ms) {
  consumer_group g(in.id());
  g.epoch_ = in.epoch();
  g.target_epoch_ = in.target_epoch();
  g.assignor_ = in.assignor().empty() ? "sticky" : in.assignor();
  g.fingerprint_ = in.fingerprint();
  g.empty_since_ms_ = in.empty_since_ms();
  for (const auto& pm : in.members()) {
    group_member m;
    m.id = pm.id();
    m.instance_id = pm.instance_id();
    m.client_id = pm.client_id();
    m.epoch = pm.epoch();
    m.previous_epoch = pm.previous_epoch();
    m.topics.assign(pm.topics().begin(), pm.topics().end());
    m.regex = pm.regex();
    m.session_timeout_ms = pm.session_timeout_ms();
    m.last_heartbeat_ms = now_ms;  // a restarted broker gives every member a full session
    m.owned = from_proto(pm.owned());
    m.assigned = from_proto(pm.assigned());
    m.static_left = pm.static_left();
    g.members_.emplace(m.id, std::move(m));
  }
  for (const auto& t : in.target())
    g.target_[t.member_id()] = from_proto(t.partitions());
  for (const auto& r : in.history())
    g.history_.push_back(r);
  return g;
}

}  // namespace sluice::broker
