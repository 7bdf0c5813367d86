// The consumer in assign mode: the application names the partitions, the consumer fetches them
// in the background (the next fetch is sent as soon as the previous answer arrives, so a
// consumer never waits a round trip between batches) and poll() hands out records.
// Consumer groups come with the consumer-group issue. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/config.h"
#include "client/record.h"
#include "proto/result.h"

namespace sluice::client {

struct consumer_config : client_config {
  /// Where to start a partition without a position, or one whose position fell out of the log:
  /// "earliest", "latest", or "none" (poll() reports the error).
  std::string auto_offset_reset = "latest";
  uint32_t fetch_min_bytes = 1;
  std::chrono::milliseconds fetch_max_wait{500};
  uint32_t fetch_max_bytes = 50u << 20;
  uint32_t max_partition_fetch_bytes = 1u << 20;
  size_t max_poll_records = 500;
  /// Fetching pauses while this many records wait for poll().
  size_t max_buffered_records = 20'000;
  std::chrono::milliseconds retry_backoff{100};
};

class consumer {
 public:
  explicit consumer(consumer_config config);
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  /// Replaces the assignment. Partitions kept from the old one keep their positions.
  [[nodiscard]] result<void> assign(const std::vector<topic_partition>& partitions);
  [[nodiscard]] std::vector<topic_partition> assignment() const;

  /// The next record poll() returns for `tp` is at `offset`.
  [[nodiscard]] result<void> seek(const topic_partition& tp, int64_t offset);
  /// Empty `partitions`: every assigned partition.
  [[nodiscard]] result<void> seek_to_beginning(const std::vector<topic_partition>& partitions = {});
  [[nodiscard]] result<void> seek_to_end(const std::vector<topic_partition>& partitions = {});
  /// To the first record whose timestamp is >= `timestamp_ms`; the end where there is none.
  [[nodiscard]] result<void> seek_to_timestamp(int64_t timestamp_ms,
                                               const std::vector<topic_partition>& partitions = {});

  /// Up to max_poll_records records, waiting up to `timeout` for the first. Empty on timeout.
  /// A fetch error (unknown topic, offset out of range with reset "none") is returned once.
  [[nodiscard]] result<std::vector<consumer_record>> poll(std::chrono::milliseconds timeout);

  /// The offset of the next record poll() returns for `tp` (past offsets that hold no record),
  /// once known.
  [[nodiscard]] std::optional<int64_t> position(const topic_partition& tp) const;
  /// The partition's high watermark as of the last fetch.
  [[nodiscard]] std::optional<int64_t> high_watermark(const topic_partition& tp) const;

  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::client
