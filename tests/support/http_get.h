// A plain HTTP/1.0 GET against 127.0.0.1, for the metrics endpoint.
#pragma once

#include <cstdint>
#include <string>

namespace sluice::test {

// The whole response, headers included; empty when nothing listens on `port`.
std::string http_get(uint16_t port, const std::string& path);

}  // namespace sluice::test
