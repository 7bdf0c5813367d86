// The one place where errors from storage/ and proto/ become wire errors.
#pragma once

#include <string>

#include "proto/result.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::broker {

// Maps an error to the ErrorCode a client acts on, keeping its message.
void to_wire_error(const error& e, v1::Error* out);

inline void set_error(v1::Error* out, v1::ErrorCode code, std::string message) {
  out->set_code(code);
  out->set_message(std::move(message));
}

}  // namespace sluice::broker
