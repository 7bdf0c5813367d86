// Topic administration: create, delete, list and describe topics, and look up offsets by
// position or by time. Each call blocks until the broker answers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "client/config.h"
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

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::client
