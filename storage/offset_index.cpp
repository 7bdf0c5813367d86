#include "storage/offset_index.h"

#include <algorithm>
#include <cassert>

#include "proto/byte_order.h"
#include "storage/errc.h"

namespace sluice::storage {

void offset_index::append(offset batch_offset, uint32_t position) {
  auto relative = static_cast<uint32_t>(batch_offset - base_);
  assert(batch_offset >= base_ && batch_offset - base_ <= UINT32_MAX);
  assert(entries_.empty() ||
         (relative > entries_.back().relative_offset && position > entries_.back().position));
  entries_.push_back({relative, position});
}

offset_index::entry offset_index::floor(offset target) const noexcept {
  if (target < base_) return {base_, 0};
  uint64_t relative = static_cast<uint64_t>(target - base_);
  auto it = std::upper_bound(entries_.begin(), entries_.end(), relative,
                             [](uint64_t r, const raw_entry& e) { return r < e.relative_offset; });
  if (it == entries_.begin()) return {base_, 0};
  --it;
  return {base_ + it->relative_offset, it->position};
}

offset_index::entry offset_index::floor_position(uint64_t pos) const noexcept {
  auto it = std::upper_bound(entries_.begin(), entries_.end(), pos,
                             [](uint64_t p, const raw_entry& e) { return p < e.position; });
  if (it == entries_.begin()) return {base_, 0};
  --it;
  return {base_ + it->relative_offset, it->position};
}

void offset_index::truncate_from(uint64_t position) noexcept {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), position,
                             [](const raw_entry& e, uint64_t p) { return e.position < p; });
  entries_.erase(it, entries_.end());
}

std::vector<std::byte> offset_index::serialize() const {
  std::vector<std::byte> out(entries_.size() * entry_size);
  std::byte* p = out.data();
  for (const auto& e : entries_) {
    proto::store_be<uint32_t>(p, e.relative_offset);
    proto::store_be<uint32_t>(p + 4, e.position);
    p += entry_size;
  }
  return out;
}

result<offset_index> offset_index::parse(offset base, std::span<const std::byte> bytes,
                                         uint64_t log_size) {
  if (bytes.size() % entry_size != 0) {
    return make_error(errc::corrupt_metadata, "offset index size " + std::to_string(bytes.size()) +
                                                  " is not a multiple of 8");
  }
  offset_index index(base);
  index.entries_.reserve(bytes.size() / entry_size);
  for (size_t at = 0; at < bytes.size(); at += entry_size) {
    raw_entry e{proto::load_be<uint32_t>(bytes.data() + at),
                proto::load_be<uint32_t>(bytes.data() + at + 4)};
    bool increasing =
        index.entries_.empty() || (e.relative_offset > index.entries_.back().relative_offset &&
                                   e.position > index.entries_.back().position);
    if (!increasing || e.position >= log_size) {
      return make_error(
          errc::corrupt_metadata,
          "offset index entry " + std::to_string(at / entry_size) + " is out of order");
    }
    index.entries_.push_back(e);
  }
  return index;
}

}  // namespace sluice::storage
