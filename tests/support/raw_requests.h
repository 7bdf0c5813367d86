// Requests built by hand for tests that speak to the broker through raw_client or a bare
// client::connection, below the producer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sluice/v1/sluice.pb.h"

namespace sluice::test {

// An acks=all Produce whose data section is one slice of `bytes` for partition 0 of `topic`.
v1::RequestMeta produce_request(const std::string& topic, size_t bytes);

// A new idempotent producer id from the broker on `port`; nullopt if it gave none.
std::optional<int64_t> new_producer_id(uint16_t port);

}  // namespace sluice::test
