#include "broker/listen.h"

#include "broker/errc.h"

namespace sluice::broker {

result<tcp::endpoint> listen_on(tcp::acceptor& acceptor, const host_port& where,
                                const std::string& what) {
  const std::string address_text = where.host + ":" + std::to_string(where.port);
  error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (ec) {
    tcp::resolver resolver(acceptor.get_executor());
    auto found = resolver.resolve(where.host, std::to_string(where.port), ec);
    if (ec || found.empty()) {
      return make_error(errc::startup_failed, "cannot resolve " + what + " host " + where.host);
    }
    address = found.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, where.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return make_error(errc::startup_failed,
                      "cannot listen for " + what + " on " + address_text + ": " + ec.message());
  }
  return acceptor.local_endpoint();
}

}  // namespace sluice::broker
