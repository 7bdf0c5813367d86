// A partition's part of a fetch response on its way to the application: the network thread
// checks its batches (lengths, CRCs) and moves on to the next fetch; poll() decodes the records
// on the application's thread, where their memory is also freed.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>

#include "client/connection.h"
#include "client/record.h"
#include "proto/result.h"

namespace sluice::client {

struct fetched_slice {
  std::shared_ptr<const response> owner;  // keeps `batches` alive
  std::span<const std::byte> batches;     // whole batches, lengths and CRCs checked
  int64_t from = 0;                       // records before this offset are not handed out
  size_t records = 0;                     // records in the batches, for flow control
};

struct checked_slice {
  fetched_slice slice;       // the batches before the first bad one
  int64_t next_offset = 0;   // where the next fetch starts
  std::optional<error> bad;  // what is wrong with the first bad batch
};

// Checks the batches of `bytes`, a fetch response's data for `tp` asked from offset `from`.
checked_slice check_slice(const topic_partition& tp, std::shared_ptr<const response> owner,
                          std::span<const std::byte> bytes, int64_t from);

// Appends the records of `slice` at or after slice.from to `out`. A malformed record ends its
// batch; the first such error is returned after the other batches are decoded.
// REQUIRES: `slice` came from check_slice.
result<void> decode_slice(const topic_partition& tp, const fetched_slice& slice,
                          std::deque<consumer_record>& out);

}  // namespace sluice::client
