// A partition's part of a fetch response on its way to the application: the network thread
// checks its batches' lengths and moves on to the next fetch; poll() checks their CRCs and
// decodes the records on the application's thread into views of the response, which
// poll_views() hands out as they are and poll() copies once it has released the consumer's
// mutex. Checking the CRCs there, as Kafka's consumer does, keeps the network thread, the
// busier of the two, to reading the socket.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "client/connection.h"
#include "client/record.h"
#include "proto/byte_buffer.h"
#include "proto/result.h"

namespace sluice::client {

struct fetched_slice {
  std::shared_ptr<const response> owner;  // keeps `batches` alive
  std::span<const std::byte> batches;     // whole batches, lengths checked, CRCs not yet
  int64_t from = 0;                       // records before this offset are not handed out
  size_t records = 0;                     // records in the batches, for flow control
};

struct checked_slice {
  fetched_slice slice;       // the batches before the first bad one
  int64_t next_offset = 0;   // where the next fetch starts
  std::optional<error> bad;  // what is wrong with the first bad batch
};

// Checks the lengths of the batches of `bytes`, a fetch response's data for `tp` asked from
// offset `from`.
checked_slice check_slice(const topic_partition& tp, std::shared_ptr<const response> owner,
                          std::span<const std::byte> bytes, int64_t from);

// What the views of a decoded slice point into: the fetch response, the batches decompressed
// from it, and the topic's name.
struct slice_memory {
  std::shared_ptr<const client::response> fetched;
  std::string topic;
  std::vector<proto::byte_buffer> decompressed;
};

// A slice's records as views into its memory, handed out from `next` on.
struct decoded_records {
  std::shared_ptr<const slice_memory> memory;
  std::vector<consumer_record_view> records;
  size_t next = 0;
  size_t bytes = 0;  // of the batches decoded, held against max_buffered_bytes until handed out

  [[nodiscard]] size_t left() const noexcept { return records.size() - next; }
};

struct decoded_slice {
  decoded_records records;
  std::optional<sluice::error> problem;  // the first malformed batch or record, if any
  // The base offset of a batch whose CRC is wrong. Nothing from it on was decoded; the partition
  // is to be fetched again from there.
  std::optional<int64_t> corrupt_at;
};

// Decodes the records of `slice` at or after slice.from into views; copies nothing. A malformed
// record ends its batch; the other batches are still decoded. A batch whose CRC is wrong ends the
// slice. The views go into `storage`, an earlier slice's, to use its memory again.
// REQUIRES: `slice` came from check_slice.
decoded_slice decode_slice(const topic_partition& tp, const fetched_slice& slice,
                           std::vector<consumer_record_view> storage = {});

}  // namespace sluice::client
