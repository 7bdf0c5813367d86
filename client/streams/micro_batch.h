// A consumer that hands the application records in batches and commits each batch after the
// application has handled it: at-least-once delivery. A batch closes at max_records records or
// max_wait after its first record arrived, whichever comes first. With an idempotent sink
// (idempotent_sink.h) downstream, what a crash replays is not applied twice.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "client/consumer.h"
#include "proto/result.h"

namespace sluice::client {

struct micro_batch_config {
  size_t max_records = 1000;
  std::chrono::milliseconds max_wait{1000};
};

/// Handles one batch. An error means "not handled": nothing is committed and the batch is
/// delivered again.
using batch_handler = std::function<result<void>(const std::vector<consumer_record>& batch)>;

class micro_batch_consumer {
 public:
  /// `consumer.enable_auto_commit` is turned off: commits come after the handler only.
  micro_batch_consumer(consumer_config consumer, micro_batch_config batch);

  /// To subscribe, assign and seek.
  [[nodiscard]] client::consumer& consumer() noexcept { return consumer_; }

  /// Gathers one batch, waiting up to `idle` for its first record, and hands it to `handler`.
  /// When the handler succeeds, commits the offsets after the batch's records (of the
  /// partitions still assigned: a revoked partition's new owner has its own progress) and waits
  /// until the commit is durable. Returns the number of records handled; 0 when none came, and
  /// then the handler is not called. When the handler fails, the partitions in the batch are
  /// sought back to its first records, so the same records come again, and the error is
  /// returned. A failed commit is returned too, but the records are not sought back (the handler
  /// has them): they come again only to whoever next starts from the committed offsets.
  [[nodiscard]] result<size_t> run_once(const batch_handler& handler,
                                        std::chrono::milliseconds idle);

 private:
  [[nodiscard]] result<void> gather(std::vector<consumer_record>& batch,
                                    std::chrono::milliseconds idle);
  [[nodiscard]] result<void> commit(const std::vector<consumer_record>& batch);
  void rewind(const std::vector<consumer_record>& batch);

  micro_batch_config config_;
  client::consumer consumer_;
  std::deque<consumer_record> carried_;  ///< polled past the last batch's max_records
};

}  // namespace sluice::client
