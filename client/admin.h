// Topic administration: create, delete, list and describe topics, and look up offsets by
// position or by time. Each call blocks until the broker answers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/config.h"
#include "client/record.h"
#include "proto/result.h"

namespace sluice::client {

struct partition_info {
  int32_t partition = 0;
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;
  uint64_t size_bytes = 0;
};

struct topic_info {
  std::string name;
  std::vector<partition_info> partitions;
  std::map<std::string, std::string> configs;  ///< effective topic configuration
};

enum class offset_spec { earliest, latest, timestamp };

struct partition_offset {
  int32_t partition = 0;
  int64_t offset = -1;  ///< -1: no record has a timestamp at or after the one asked for
};

struct group_listing {
  std::string group_id;
  std::string state;  ///< empty, assigning or stable
  int32_t members = 0;
};

struct group_member_info {
  std::string member_id;
  std::string instance_id;
  std::string client_id;
  int32_t member_epoch = 0;
  std::vector<std::string> subscribed_topics;
  std::string subscribed_regex;
  std::vector<std::pair<std::string, int32_t>> assignment;  ///< what it owns now
};

struct group_partition_lag {
  std::string topic;
  int32_t partition = 0;
  std::string owner_member_id;    ///< empty: not owned
  int64_t committed_offset = -1;  ///< -1: nothing committed
  int64_t log_end_offset = 0;
  int64_t lag = 0;                  ///< records not yet committed as consumed
  int64_t lag_ms = -1;              ///< age of the oldest of them; -1 when there are none
  int64_t max_timestamp = -1;       ///< the partition's largest record timestamp; -1: no records
  int64_t consumed_timestamp = -1;  ///< of the last record consumed; -1: none
  int64_t event_time_lag_ms = -1;   ///< max_timestamp - consumed_timestamp; -1: unknown
};

struct group_rebalance {
  std::string cause;  ///< join, leave, timeout, fenced, subscription change, metadata change
  int32_t group_epoch = 0;
  int64_t started_ms = 0;
  int64_t duration_ms = -1;  ///< -1 while members still reconcile
  struct move {
    std::string topic;
    int32_t partition = 0;
    std::string from_member, to_member;
  };
  std::vector<move> moved;
};

struct group_description {
  std::string group_id;
  std::string state;
  int32_t group_epoch = 0;
  std::string assignor;
  std::vector<group_member_info> members;
  std::vector<group_partition_lag> partitions;
  std::vector<group_rebalance> rebalances;  ///< most recent last
  /// The event time the group has consumed up to: the least consumed_timestamp among its
  /// partitions; -1 when none has consumed anything.
  int64_t consumed_event_time = -1;
  int64_t event_time_lag_ms = -1;  ///< the largest partition event_time_lag_ms; -1: unknown
};

class admin {
 public:
  explicit admin(client_config config);
  ~admin();
  admin(const admin&) = delete;
  admin& operator=(const admin&) = delete;

  /// Creates a topic. `configs` are topic config keys (retention.ms, cleanup.policy, ...).
  [[nodiscard]] result<void> create_topic(const std::string& name, int32_t partitions,
                                          const std::map<std::string, std::string>& configs = {});
  [[nodiscard]] result<void> delete_topic(const std::string& name);
  [[nodiscard]] result<std::vector<topic_info>> list_topics();
  [[nodiscard]] result<topic_info> describe_topic(const std::string& name);

  /// For every partition of `topic`: its earliest or latest offset, or the first offset whose
  /// record timestamp is >= `timestamp_ms`.
  [[nodiscard]] result<std::vector<partition_offset>> list_offsets(const std::string& topic,
                                                                   offset_spec spec,
                                                                   int64_t timestamp_ms = -1);

  /// Grows a topic to `partitions` partitions; group members pick the new ones up.
  [[nodiscard]] result<void> add_partitions(const std::string& topic, int32_t partitions);

  [[nodiscard]] result<std::vector<group_listing>> list_groups();
  [[nodiscard]] result<group_description> describe_group(const std::string& group_id);
  /// Deletes an empty group and its committed offsets.
  [[nodiscard]] result<void> delete_group(const std::string& group_id);
  /// Sets a group's committed offsets from outside it; refused while it has members.
  [[nodiscard]] result<void> commit_offsets(const std::string& group_id,
                                            const std::map<topic_partition, int64_t>& offsets);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::client
