// Per-topic log configuration: the keys Kafka users know (retention.ms, segment.bytes, ...),
// their defaults, and validation with messages that name the key and say what is allowed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "proto/record_batch.h"
#include "proto/result.h"

namespace sluice::storage {

using config_map = std::map<std::string, std::string, std::less<>>;

struct log_config {
  int64_t retention_ms = 7LL * 24 * 3600 * 1000;  // -1: keep forever
  int64_t retention_bytes = -1;                   // per partition; -1: no limit
  int64_t segment_bytes = 1LL << 30;
  int64_t segment_ms = 7LL * 24 * 3600 * 1000;
  proto::timestamp_type timestamp_type = proto::timestamp_type::create_time;
  bool cleanup_delete = true;    // cleanup.policy contains "delete"
  bool cleanup_compact = false;  // cleanup.policy contains "compact"
  int64_t delete_retention_ms = 24LL * 3600 * 1000;
  int32_t index_interval_bytes = 4096;
  int32_t max_message_bytes = 1048588;  // largest batch a producer may append

  bool operator==(const log_config&) const = default;
};

// The keys a topic may set, in the order they are documented.
[[nodiscard]] const std::vector<std::string_view>& topic_config_keys();

// Applies `overrides` on top of `base`. Unknown keys, values that do not parse and values out of
// range fail with errc::invalid_config and a message naming the key.
[[nodiscard]] result<log_config> apply_topic_config(const log_config& base,
                                                    const config_map& overrides);

// The value of one key in `config`, as it would be written in a properties file.
[[nodiscard]] std::string topic_config_value(const log_config& config, std::string_view key);

// Topic names: 1 to 249 characters of [a-zA-Z0-9._-], not "." or "..". Fails with
// errc::invalid_topic_name and a message saying which rule was broken.
[[nodiscard]] result<void> validate_topic_name(std::string_view name);

}  // namespace sluice::storage
