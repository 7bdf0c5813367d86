// Error codes of the storage engine (storage/). Every storage function that can fail returns
// result<T> with one of these codes and a message naming the file, topic or offset involved.
#pragma once

#include <string>
#include <system_error>

#include "proto/result.h"

namespace sluice::storage {

enum class errc {
  io_error = 1,         // an OS call failed; the message names the call and the file
  no_space,             // the disk is full (ENOSPC, EDQUOT)
  corrupt_batch,        // an appended batch failed validation (length, magic, CRC...)
  batch_too_large,      // an appended batch is over the topic's max.message.bytes
  offset_out_of_range,  // a read below log start or past the high watermark
  unknown_topic,
  unknown_partition,
  topic_exists,
  invalid_topic_name,
  invalid_partitions,
  invalid_config,
  log_failed,              // the partition refuses writes after an I/O error it could not undo
  data_dir_locked,         // another process holds the data directory
  corrupt_metadata,        // a topic metadata file cannot be parsed
  closed,                  // the log was closed or its topic deleted
  out_of_order_sequence,   // an idempotent producer skipped or reordered sequence numbers
  invalid_producer_epoch,  // an idempotent producer older than one that already wrote
};

[[nodiscard]] const std::error_category& storage_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), storage_category()};
}

// An error for a failed OS call: ENOSPC/EDQUOT become errc::no_space, anything else
// errc::io_error. `what` names the call and the object, e.g. "write /data/t-0/000.log".
[[nodiscard]] error io_failure(int errno_value, const std::string& what);

}  // namespace sluice::storage

template <>
struct std::is_error_code_enum<sluice::storage::errc> : std::true_type {};
