// Errors the client library reports. Broker errors keep the broker's ErrorCode (wire_error) and
// message; failures on this side (no connection, timeout, closed client) have their own codes.
#pragma once

#include <string>
#include <system_error>

#include "proto/result.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::client {

enum class errc {
  connection_failed = 1,  // cannot connect, or the connection broke; retriable
  timed_out,              // no answer within the request timeout; retriable
  protocol_error,         // the broker sent something this client cannot read
  closed,                 // the client was closed
  buffer_full,            // the producer's buffer stayed full for max.block.ms
  invalid_argument,       // the caller asked for something impossible
  broker_error,           // the broker answered with an error (see wire_code())
};

[[nodiscard]] const std::error_category& client_category() noexcept;

[[nodiscard]] inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

/// An error carrying the broker's ErrorCode: code is errc::broker_error, and the wire code is
/// kept in the message's first word as "CODE_NAME: message".
[[nodiscard]] error broker_error(const v1::Error& e);

/// The broker's ErrorCode in an error made by broker_error(), else UNKNOWN_SERVER_ERROR.
[[nodiscard]] v1::ErrorCode wire_code(const error& e);

/// Whether trying again may succeed (connection trouble, timeouts, a broker shutting down or
/// briefly out of resources).
[[nodiscard]] bool retriable(const error& e);

}  // namespace sluice::client

template <>
struct std::is_error_code_enum<sluice::client::errc> : std::true_type {};
