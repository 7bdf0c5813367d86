#include "storage/time_index.h"

#include <algorithm>
#include <cassert>

#include "proto/byte_order.h"
#include "storage/errc.h"

namespace sluice::storage {

void time_index::maybe_append(int64_t timestamp, offset batch_offset) {
  if (!entries_.empty() && timestamp <= entries_.back().timestamp) return;
  auto relative = static_cast<uint32_t>(batch_offset - base_);
  assert(batch_offset >= base_ && batch_offset - base_ <= UINT32_MAX);
  assert(entries_.empty() || relative >= entries_.back().relative_offset);
  entries_.push_back({timestamp, relative});
}

std::optional<time_index::entry> time_index::last_before(int64_t target) const noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), target,
                             [](const raw_entry& e, int64_t t) { return e.timestamp < t; });
  if (it == entries_.begin()) return std::nullopt;
  --it;
  return entry{it->timestamp, base_ + it->relative_offset};
}

std::optional<time_index::entry> time_index::last() const noexcept {
  if (entries_.empty()) return std::nullopt;
  return entry{entries_.back().timestamp, base_ + entries_.back().relative_offset};
}

void time_index::truncate_from(offset end) noexcept {
  std::erase_if(entries_, [&](const raw_entry& e) { return base_ + e.relative_offset >= end; });
}

std::vector<std::byte> time_index::serialize() const {
  std::vector<std::byte> out(entries_.size() * entry_size);
  std::byte* p = out.data();
  for (const auto& e : entries_) {
    proto::store_be<int64_t>(p, e.timestamp);
    proto::store_be<uint32_t>(p + 8, e.relative_offset);
    p += entry_size;
  }
  return out;
}

result<time_index> time_index::parse(offset base, std::span<const std::byte> bytes) {
  if (bytes.size() % entry_size != 0) {
    return make_error(errc::corrupt_metadata, "time index size " + std::to_string(bytes.size()) +
                                                  " is not a multiple of 12");
  }
  time_index index(base);
  index.entries_.reserve(bytes.size() / entry_size);
  for (size_t at = 0; at < bytes.size(); at += entry_size) {
    raw_entry e{proto::load_be<int64_t>(bytes.data() + at),
                proto::load_be<uint32_t>(bytes.data() + at + 8)};
    bool ordered =
        index.entries_.empty() || (e.timestamp > index.entries_.back().timestamp &&
                                   e.relative_offset >= index.entries_.back().relative_offset);
    if (!ordered) {
      return make_error(errc::corrupt_metadata,
                        "time index entry " + std::to_string(at / entry_size) + " is out of order");
    }
    index.entries_.push_back(e);
  }
  return index;
}

}  // namespace sluice::storage
