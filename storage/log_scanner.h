// Sequential reading of the batches in a segment's .log file, through a read-ahead buffer.
// Used to find batches by offset, to recover a segment after a crash, and to read batches whole
// for time lookups and compaction.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "proto/batch_reader.h"
#include "proto/record_batch.h"
#include "proto/result.h"
#include "storage/file_io.h"

namespace sluice::storage {

struct batch_location {
  uint64_t position = 0;  // byte position of the batch in the .log file
  proto::batch_header header;
};

class log_scanner {
 public:
  // Scans [start, end) of `log`. `buffer_bytes` is the read-ahead size: small for header walks,
  // large for reading whole batches. REQUIRES: `log` outlives the scanner.
  log_scanner(file& log, uint64_t start, uint64_t end, size_t buffer_bytes,
              proto::reader_limits limits = {});

  // The next batch's header and position, without reading its records or checking its CRC.
  // nullopt at `end`. A header that is cut short or invalid is a codec error (proto::errc); a
  // failed read is a storage::errc. The scanner does not move past an error.
  [[nodiscard]] result<std::optional<batch_location>> next_header();

  // The next batch, whole and CRC-checked. The view is valid until the next call.
  [[nodiscard]] result<std::optional<proto::batch_view>> next_batch();

  // Byte position of the next batch.
  [[nodiscard]] uint64_t position() const noexcept { return pos_; }

 private:
  // Makes [pos_, pos_ + n) available in the buffer; returns false when the range ends at `end`
  // before n bytes.
  [[nodiscard]] result<bool> fill(size_t n);
  [[nodiscard]] std::span<const std::byte> buffered() const;

  file& log_;
  uint64_t pos_;
  uint64_t end_;
  size_t buffer_bytes_;
  proto::reader_limits limits_;
  std::vector<std::byte> buffer_;
  uint64_t buffer_pos_ = 0;  // file position of buffer_[0]
  size_t buffer_len_ = 0;
};

}  // namespace sluice::storage
