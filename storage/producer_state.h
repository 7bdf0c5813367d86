// Idempotent producers in one partition: for each producer id, its epoch and the last five
// batches it appended (sequence range and offsets). A retried batch that was already appended is
// recognised and answered with its original offsets; a gap in sequence numbers is refused.
// Snapshots of this state (`<offset>.snapshot`, storage/FORMAT.md) spare replaying the whole log
// on start.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "proto/record_batch.h"
#include "proto/result.h"
#include "proto/types.h"

namespace sluice::storage {

struct producer_batch {
  int32_t first_seq = 0;
  int32_t last_seq = 0;
  offset first_offset;
  offset last_offset;
  int64_t timestamp = -1;  // the batch's max timestamp as written (LogAppendTime when stamped)
};

class producer_state {
 public:
  static constexpr size_t batches_kept = 5;

  enum class verdict { append, duplicate, out_of_order, fenced };
  struct check_result {
    verdict kind = verdict::append;
    producer_batch original;  // for duplicate: the batch already in the log
    std::string reason;       // for out_of_order and fenced
  };

  // What to do with a batch about to be appended. Batches without a producer id, and the first
  // batch of a producer this partition does not know, are appended.
  [[nodiscard]] check_result check(const proto::batch_header& h) const;

  // Records a batch just appended (header with its assigned offsets) at wall time `now_ms`.
  void record(const proto::batch_header& h, int64_t now_ms);

  // Forgets batches at or after `end` (the log was cut back there), and producers left with none.
  void truncate(offset end);

  // Forgets producers idle for longer than `expiration_ms`.
  void expire(int64_t now_ms, int64_t expiration_ms);

  [[nodiscard]] size_t producer_count() const noexcept { return producers_.size(); }

  // The snapshot file form, CRC-protected. parse() fails on any inconsistency.
  [[nodiscard]] std::vector<std::byte> serialize() const;
  [[nodiscard]] static result<producer_state> parse(std::span<const std::byte> bytes);

 private:
  struct entry {
    int16_t epoch = 0;
    int64_t last_update_ms = 0;
    std::deque<producer_batch> batches;
  };

  std::unordered_map<int64_t, entry> producers_;
};

// The last sequence number of a batch: base + count - 1, wrapping past INT32_MAX to 0 as Kafka
// does.
[[nodiscard]] int32_t last_sequence(int32_t base_sequence, int32_t record_count) noexcept;

}  // namespace sluice::storage
