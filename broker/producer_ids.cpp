#include "broker/producer_ids.h"

namespace sluice::broker {

result<int64_t> producer_id_allocator::next() {
  std::lock_guard lock(mutex_);
  if (next_ == block_end_) {
    SLUICE_TRY(start, store_.allocate_producer_ids(block_size));
    next_ = start;
    block_end_ = start + block_size;
  }
  return next_++;
}

}  // namespace sluice::broker
