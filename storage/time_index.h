// The sparse time index of one segment: entries `(max timestamp so far, offset of the batch that
// holds it)`, added beside offset index entries whenever the maximum grows. Timestamps increase
// strictly, offsets never decrease. File form (.timeindex): entries back to back, each
// `i64 timestamp | u32 relative offset`, big-endian (storage/FORMAT.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "proto/result.h"
#include "proto/types.h"

namespace sluice::storage {

class time_index {
 public:
  static constexpr size_t entry_size = 12;

  struct entry {
    int64_t timestamp;
    offset batch_offset;
  };

  explicit time_index(offset base) : base_(base) {}

  // Adds an entry when `timestamp` is above the last one's; otherwise does nothing.
  // REQUIRES: batch_offset >= the last entry's, and batch_offset - base fits in u32.
  void maybe_append(int64_t timestamp, offset batch_offset);

  // The last entry whose timestamp is < target. Every record before that entry's batch has a
  // timestamp < target, so a search for the first timestamp >= target may start at its batch.
  [[nodiscard]] std::optional<entry> last_before(int64_t target) const noexcept;

  [[nodiscard]] std::optional<entry> last() const noexcept;

  // Drops the entries whose offset is >= `end`.
  void truncate_from(offset end) noexcept;

  [[nodiscard]] std::vector<std::byte> serialize() const;

  // Parses a time index file. Fails (errc::corrupt_metadata) on a size that is not a multiple of
  // 12 or entries out of order: the caller rebuilds it.
  [[nodiscard]] static result<time_index> parse(offset base, std::span<const std::byte> bytes);

 private:
  struct raw_entry {
    int64_t timestamp;
    uint32_t relative_offset;
  };

  offset base_;
  std::vector<raw_entry> entries_;
};

}  // namespace sluice::storage
