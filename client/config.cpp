#include "client/config.h"

#include <charconv>

#include "client/errors.h"

namespace sluice::client {

result<endpoint> parse_endpoint(const std::string& text) {
  size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon != std::string::npos && colon > 0) {
    const char* first = text.data() + colon + 1;
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec == std::errc() && end == last && port > 0 && port <= 65535) {
      std::string host = text.substr(0, colon);
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
      }
      return endpoint{host, static_cast<uint16_t>(port)};
    }
  }
  return make_error(errc::invalid_argument,
                    "broker address '" + text + "' is not HOST:PORT with a port from 1 to 65535");
}

}  // namespace sluice::client
