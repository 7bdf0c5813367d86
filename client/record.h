// The records applications hand to the producer and get from the consumer.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::client {

using header = std::pair<std::string, std::optional<std::string>>;

struct producer_record {
  std::string topic;
  /// Unset: by key (Kafka's murmur2); without a key, sticky (KIP-480): keyless records of a topic
  /// go to one partition until one of them would need a new batch there (the batch is full, or
  /// went out on linger), then to the next partition. With linger 0 that is about one record a
  /// partition in turn; a partition whose batches cannot go out (max_in_flight reached) keeps
  /// taking records until its batch fills.
  std::optional<int32_t> partition;
  std::optional<std::string> key;
  std::optional<std::string> value;  ///< unset: a tombstone
  std::vector<header> headers;
  std::optional<int64_t> timestamp;  ///< event time in ms (CreateTime); unset: now
};

/// Where a record was stored.
struct record_metadata {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;     ///< -1 with acks=0: the broker does not say
  int64_t timestamp = -1;  ///< the record's timestamp, or the broker's under LogAppendTime
  /// When the producer had the broker's acknowledgement (with acks=0: when the request was
  /// written); one reading of the clock for all the records of a batch.
  std::chrono::system_clock::time_point acked_at{};
};

struct topic_partition {
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const topic_partition&) const = default;
};

struct consumer_record {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  bool log_append_time = false;  ///< timestamp set by the broker, not the producer
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<header> headers;
};

/// A record from consumer::poll_views(): topic, key, value and headers are views into the fetched
/// data, valid as long as the record_views that handed it out.
struct consumer_record_view {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = 0;
  bool log_append_time = false;
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  std::vector<std::pair<std::string_view, std::optional<std::string_view>>> headers;

  /// A copy that owns its bytes.
  [[nodiscard]] consumer_record to_record() const;
};

}  // namespace sluice::client
