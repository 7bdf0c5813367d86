// One consumer group as the coordinator sees it, with no I/O: members and their subscriptions,
// the target assignment, and incremental reconciliation (the model of Kafka's KIP-848):
// - a change (join, leave, session timeout, subscription or topic metadata change) bumps the
//   group epoch and computes a new target assignment with the group's assignor;
// - a member is told to own the partitions of its target that it already owns, plus those of
//   its target that no other member owns or has been told to own; a partition therefore moves
//   only after its old owner has reported it revoked, and partitions that keep their owner are
//   never interrupted;
// - a member's epoch moves to the group epoch whenever its assignment changes; a heartbeat with
//   an epoch older than the one before fences the member (it is removed and must rejoin), and
//   commits with one are refused, as are commits of partitions the member neither owns nor
//   has been told to own.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/group/assignor.h"
#include "proto/result.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::state {
class Group;
}

namespace sluice::broker {

// Topics and their partition counts, as the group sees them at a heartbeat.
using topic_catalog = std::map<std::string, int32_t>;

struct heartbeat_request {
  std::string member_id;
  int32_t member_epoch = 0;
  std::string instance_id;
  std::string client_id;
  int64_t session_timeout_ms = 0;
  std::vector<std::string> topics;
  std::string regex;
  std::string assignor;
  partition_set owned;
};

struct heartbeat_answer {
  v1::ErrorCode error = v1::NONE;
  std::string message;
  std::string member_id;
  int32_t member_epoch = 0;
  partition_set assignment;
};

struct group_member {
  std::string id;
  std::string instance_id;
  std::string client_id;
  int32_t epoch = 0;
  int32_t previous_epoch = -1;
  std::vector<std::string> topics;
  std::string regex;
  int64_t session_timeout_ms = 0;
  int64_t last_heartbeat_ms = 0;
  partition_set owned;       // what it reported owning
  partition_set assigned;    // what it was last told to own
  bool static_left = false;  // a static member that left meaning to come back
};

class consumer_group {
 public:
  static constexpr size_t history_kept = 20;

  explicit consumer_group(std::string id) : id_(std::move(id)) {}

  [[nodiscard]] const std::string& id() const noexcept { return id_; }

  // Join (epoch 0), heartbeat (the member's epoch), leave (-1) or static leave (-2).
  heartbeat_answer heartbeat(const heartbeat_request& req, int64_t now_ms,
                             const topic_catalog& catalog);

  // Fences members that missed their session timeout. Returns whether any was.
  bool expire(int64_t now_ms, const topic_catalog& catalog);

  // Re-checks subscriptions against topic metadata (a topic created that matches a regex,
  // partitions added); reassigns when they changed. Returns whether it did.
  bool refresh_metadata(int64_t now_ms, const topic_catalog& catalog);

  // Whether member `member_id` (a member's, checked by check_commit) may commit `tp`: it owns
  // it or has been told to. Anyone may commit to an empty group.
  [[nodiscard]] bool may_commit(const std::string& member_id, const topic_partition& tp) const;

  // Whether `member_id` at `member_epoch` may commit; the error says why not.
  [[nodiscard]] std::optional<std::pair<v1::ErrorCode, std::string>> check_commit(
      const std::string& member_id, int32_t member_epoch) const;

  [[nodiscard]] bool empty() const noexcept { return members_.empty(); }
  [[nodiscard]] int64_t empty_since_ms() const noexcept { return empty_since_ms_; }
  // For an empty group that was just used (offsets committed from outside): restarts the
  // offsets.retention.ms clock.
  void mark_empty_since(int64_t now_ms) noexcept {
    if (members_.empty()) empty_since_ms_ = now_ms;
  }
  // "empty", "assigning" (members still reconciling) or "stable".
  [[nodiscard]] std::string state() const;
  [[nodiscard]] int32_t epoch() const noexcept { return epoch_; }
  [[nodiscard]] const std::string& assignor() const noexcept { return assignor_; }
  [[nodiscard]] const std::map<std::string, group_member>& members() const noexcept {
    return members_;
  }
  [[nodiscard]] const assignment& target() const noexcept { return target_; }
  [[nodiscard]] const std::deque<v1::DescribeGroupsResponse::Rebalance>& history() const noexcept {
    return history_;
  }
  // Rebalances started since this broker loaded the group, by cause.
  [[nodiscard]] const std::map<std::string, uint64_t>& rebalance_counts() const noexcept {
    return rebalance_counts_;
  }
  // Every partition some member subscribes to.
  [[nodiscard]] partition_set subscribed_partitions(const topic_catalog& catalog) const;

  void save(state::Group& out) const;
  [[nodiscard]] static consumer_group load(const state::Group& in, int64_t now_ms);

 private:
  void bump(const std::string& cause, int64_t now_ms, const topic_catalog& catalog);
  void reassign(const std::string& cause, int64_t now_ms, const topic_catalog& catalog);
  void reconcile(group_member& m);
  void check_done(int64_t now_ms);
  [[nodiscard]] std::set<std::string> resolve(const group_member& m,
                                              const topic_catalog& catalog) const;
  [[nodiscard]] std::string fingerprint(const topic_catalog& catalog) const;
  void remove_member(const std::string& id, int64_t now_ms);

  std::string id_;
  int32_t epoch_ = 0;
  int32_t target_epoch_ = 0;
  std::string assignor_ = "sticky";
  std::map<std::string, group_member> members_;
  assignment target_;
  std::string fingerprint_;
  std::deque<v1::DescribeGroupsResponse::Rebalance> history_;
  std::map<std::string, uint64_t> rebalance_counts_;
  // Members replaced by a newer one with their instance id (member id -> instance id), so the
  // old process is told it was fenced for good instead of rejoining and fencing the new one.
  std::map<std::string, std::string> replaced_;
  int64_t empty_since_ms_ = 0;
};

// A fresh member id: 22 random URL-safe characters, like Kafka's.
[[nodiscard]] std::string new_member_id();

}  // namespace sluice::broker
