#include "broker/wire_error.h"

#include "proto/errc.h"
#include "storage/errc.h"

namespace sluice::broker {
namespace {

v1::ErrorCode storage_code(storage::errc e) {
  using storage::errc;
  switch (e) {
    case errc::io_error: return v1::KAFKA_STORAGE_ERROR;
    case errc::no_space: return v1::DISK_FULL;
    case errc::corrupt_batch: return v1::CORRUPT_MESSAGE;
    case errc::batch_too_large: return v1::MESSAGE_TOO_LARGE;
    case errc::offset_out_of_range: return v1::OFFSET_OUT_OF_RANGE;
    case errc::unknown_topic: return v1::UNKNOWN_TOPIC_OR_PARTITION;
    case errc::unknown_partition: return v1::UNKNOWN_TOPIC_OR_PARTITION;
    case errc::topic_exists: return v1::TOPIC_ALREADY_EXISTS;
    case errc::invalid_topic_name: return v1::INVALID_TOPIC_EXCEPTION;
    case errc::invalid_partitions: return v1::INVALID_PARTITIONS;
    case errc::invalid_config: return v1::INVALID_CONFIG;
    case errc::log_failed: return v1::KAFKA_STORAGE_ERROR;
    case errc::data_dir_locked: return v1::UNKNOWN_SERVER_ERROR;
    case errc::corrupt_metadata: return v1::KAFKA_STORAGE_ERROR;
    case errc::closed: return v1::UNKNOWN_TOPIC_OR_PARTITION;
    case errc::out_of_order_sequence: return v1::OUT_OF_ORDER_SEQUENCE_NUMBER;
    case errc::invalid_producer_epoch: return v1::INVALID_PRODUCER_EPOCH;
  }
  return v1::UNKNOWN_SERVER_ERROR;
}

}  // namespace

void to_wire_error(const error& e, v1::Error* out) {
  v1::ErrorCode code = v1::UNKNOWN_SERVER_ERROR;
  if (e.code.category() == storage::storage_category()) {
    code = storage_code(static_cast<storage::errc>(e.code.value()));
  } else if (e.code.category() == proto::codec_category()) {
    code = e.code == proto::errc::too_large ? v1::MESSAGE_TOO_LARGE : v1::CORRUPT_MESSAGE;
  }
  set_error(out, code, e.message);
}

}  // namespace sluice::broker
