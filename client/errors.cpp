#include "client/errors.h"

namespace sluice::client {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sluice.client"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::connection_failed: return "connection failed";
      case errc::timed_out: return "timed out";
      case errc::protocol_error: return "protocol error";
      case errc::closed: return "client closed";
      case errc::buffer_full: return "producer buffer full";
      case errc::invalid_argument: return "invalid argument";
      case errc::broker_error: return "broker error";
    }
    return "unknown client error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const category instance;
  return instance;
}

error broker_error(const v1::Error& e) {
  return make_error(errc::broker_error, v1::ErrorCode_Name(e.code()) + ": " + e.message());
}

v1::ErrorCode wire_code(const error& e) {
  if (e.code != errc::broker_error) return v1::UNKNOWN_SERVER_ERROR;
  auto colon = e.message.find(':');
  v1::ErrorCode code = v1::UNKNOWN_SERVER_ERROR;
  if (colon != std::string::npos) v1::ErrorCode_Parse(e.message.substr(0, colon), &code);
  return code;
}

bool retriable(const error& e) {
  if (e.code == errc::connection_failed || e.code == errc::timed_out) return true;
  switch (wire_code(e)) {
    case v1::REQUEST_TIMED_OUT:
    case v1::BROKER_SHUTTING_DOWN:
    case v1::CONNECTION_LIMIT_REACHED:
    case v1::RESOURCE_EXHAUSTED:
    case v1::KAFKA_STORAGE_ERROR:
    case v1::DISK_FULL:
    case v1::COORDINATOR_NOT_AVAILABLE: return e.code == errc::broker_error;
    default: return false;
  }
}

}  // namespace sluice::client
