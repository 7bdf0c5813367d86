#include "storage/errc.h"

#include <cerrno>
#include <cstring>

namespace sluice::storage {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sluice.storage"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::io_error: return "I/O error";
      case errc::no_space: return "no space left on device";
      case errc::corrupt_batch: return "corrupt record batch";
      case errc::batch_too_large: return "record batch too large";
      case errc::offset_out_of_range: return "offset out of range";
      case errc::unknown_topic: return "unknown topic";
      case errc::unknown_partition: return "unknown partition";
      case errc::topic_exists: return "topic already exists";
      case errc::invalid_topic_name: return "invalid topic name";
      case errc::invalid_partitions: return "invalid partition count";
      case errc::invalid_config: return "invalid topic config";
      case errc::log_failed: return "partition log failed";
      case errc::data_dir_locked: return "data directory locked";
      case errc::corrupt_metadata: return "corrupt metadata";
      case errc::closed: return "log closed";
      case errc::out_of_order_sequence: return "out of order sequence number";
      case errc::invalid_producer_epoch: return "invalid producer epoch";
    }
    return "unknown storage error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& storage_category() noexcept {
  static const category instance;
  return instance;
}

error io_failure(int errno_value, const std::string& what) {
  errc code = (errno_value == ENOSPC || errno_value == EDQUOT) ? errc::no_space : errc::io_error;
  return make_error(code, what + ": " + std::strerror(errno_value));
}

}  // namespace sluice::storage
