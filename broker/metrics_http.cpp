#include "broker/metrics_http.h"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "broker/listen.h"

namespace sluice::broker {

namespace beast = boost::beast;
namespace http = beast::http;

metrics_http::metrics_http(asio::io_context& io, std::function<std::string()> render)
    : io_(io), render_(std::move(render)), acceptor_(io) {}

result<tcp::endpoint> metrics_http::bind(const host_port& where) {
  return listen_on(acceptor_, where, "metrics");
}

void metrics_http::start() {
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void metrics_http::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

awaitable<void> metrics_http::accept_loop() {
  while (acceptor_.is_open()) {
    error_code ec;
    auto socket = co_await acceptor_.async_accept(into(ec));
    if (ec) break;
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> metrics_http::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  while (true) {
    stream.expires_after(std::chrono::seconds(30));
    http::request<http::string_body> req;
    error_code ec;
    co_await http::async_read(stream, buffer, req, into(ec));
    if (ec) break;
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    if (req.method() == http::verb::get && req.target() == "/metrics") {
      res.result(http::status::ok);
      res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res.body() = render_();
    } else {
      res.result(http::status::not_found);
      res.set(http::field::content_type, "text/plain");
      res.body() = "only GET /metrics is served here\n";
    }
    res.prepare_payload();
    error_code wec;
    co_await http::async_write(stream, res, into(wec));
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

}  // namespace sluice::broker
