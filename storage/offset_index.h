// The sparse offset index of one segment: which byte position a batch starting at a given offset
// has, for one batch every index.interval.bytes. Entries increase strictly in both offset and
// position. File form (.index): entries back to back, each `u32 relative offset | u32 position`,
// big-endian (storage/FORMAT.md).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "proto/result.h"
#include "proto/types.h"

namespace sluice::storage {

class offset_index {
 public:
  static constexpr size_t entry_size = 8;

  struct entry {
    offset batch_offset;  // base offset of an indexed batch
    uint32_t position;    // its byte position in the .log file
  };

  explicit offset_index(offset base) : base_(base) {}

  // REQUIRES: batch_offset and position are greater than those of the last entry, and
  // batch_offset - base fits in u32.
  void append(offset batch_offset, uint32_t position);

  // The last entry whose offset is <= target, or {base, 0} when there is none. The index is
  // sparse: the batch holding `target` is at or after the returned position.
  [[nodiscard]] entry floor(offset target) const noexcept;

  // The last entry whose position is <= pos, or {base, 0} when there is none.
  [[nodiscard]] entry floor_position(uint64_t pos) const noexcept;

  // Drops the entries at or after byte `position`.
  void truncate_from(uint64_t position) noexcept;

  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] size_t size() const noexcept { return entries_.size(); }

  [[nodiscard]] std::vector<std::byte> serialize() const;

  // Parses an index file. Fails (errc::corrupt_metadata) when its size is not a multiple of 8,
  // entries do not increase, or a position is not below `log_size`: the caller rebuilds it.
  [[nodiscard]] static result<offset_index> parse(offset base, std::span<const std::byte> bytes,
                                                  uint64_t log_size);

 private:
  struct raw_entry {
    uint32_t relative_offset;
    uint32_t position;
  };

  offset base_;
  std::vector<raw_entry> entries_;
};

}  // namespace sluice::storage
