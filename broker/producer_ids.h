// Allocates producer ids for idempotent producers, unique across restarts: ids come in blocks
// reserved durably in the offset store before any id of the block is handed out.
#pragma once

#include <cstdint>
#include <mutex>

#include "proto/result.h"
#include "storage/offset_store.h"

namespace sluice::broker {

class producer_id_allocator {
 public:
  static constexpr int64_t block_size = 1000;

  explicit producer_id_allocator(storage::offset_store& store) : store_(store) {}

  [[nodiscard]] result<int64_t> next();

 private:
  storage::offset_store& store_;
  std::mutex mutex_;
  int64_t next_ = 0;
  int64_t block_end_ = 0;
};

}  // namespace sluice::broker
