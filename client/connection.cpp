#include "client/connection.h"

#include <algorithm>

#include "proto/frame.h"

namespace sluice::client {

struct connection::request {
  request(asio::any_io_executor ex, uint64_t correlation,
          std::chrono::steady_clock::time_point deadline)
      : correlation(correlation),
        done(ex, asio::steady_timer::time_point::max()),
        watchdog(ex, deadline) {}
  // Sets the answer and wakes whoever waits for it.
  void settle(result<response> r) {
    answer = std::move(r);
    done.cancel();
    watchdog.cancel();
  }
  uint64_t correlation;
  asio::steady_timer done;      // cancelled when `head` or `answer` is set
  asio::steady_timer watchdog;  // fails the link at the deadline unless answered first
  bool wants_head = false;      // a Fetch: the read loop copies the meta into `head`
  std::optional<v1::ResponseMeta> head;
  std::optional<result<response>> answer;
};

namespace {

// Reads of at least this many bytes raise the socket's receive low-water mark.
constexpr size_t low_water_from = 64 * 1024;
// The largest low-water mark set: the chunk the reader is woken for.
constexpr size_t low_water_chunk = 256 * 1024;

// Reads all of `buf` from `socket`, or fails with `ec`. For a large read the socket's receive
// low-water mark is raised to the bytes still to come, at most low_water_chunk, so that the kernel
// wakes this reader once per chunk rather than for every segment that arrives, and restored to one
// byte after. A 1 MiB fetch response had the reader woken about seven times; with the mark,
// consuming 1 KiB records ran 10-15 % faster on the benchmark machine (bench/RESULTS.md).
awaitable<void> read_all(tcp::socket& socket, std::span<std::byte> buf, error_code& ec) {
  if (buf.size() < low_water_from) {
    co_await asio::async_read(socket, asio::buffer(buf.data(), buf.size()), transfer_all_at_once(),
                              into(ec));
    co_return;
  }
  size_t got = 0;
  size_t mark = 1;
  while (got < buf.size()) {
    const size_t want = std::min(buf.size() - got, low_water_chunk);
    if (want != mark) {
      socket.set_option(asio::socket_base::receive_low_watermark(static_cast<int>(want)), ec);
      if (ec) break;
      mark = want;
    }
    got +=
        co_await socket.async_read_some(asio::buffer(buf.data() + got, buf.size() - got), into(ec));
    if (ec) break;
  }
  if (mark != 1) {
    error_code ignored;  // a socket that failed is closed anyway
    socket.set_option(asio::socket_base::receive_low_watermark(1), ignored);
  }
}

}  // namespace

// The turn is handed over by setting `granted` and cancelling the timer, which otherwise expires
// at the call's deadline.
struct connection::turn {
  turn(asio::any_io_executor ex, std::chrono::steady_clock::time_point deadline)
      : timer(ex, deadline) {}
  asio::steady_timer timer;
  bool granted = false;
};

struct connection::link {
  explicit link(asio::any_io_executor ex) : socket(ex) {}
  tcp::socket socket;
  std::deque<request_ptr> inflight;  // in the order the requests were written
  bool alive = true;
};

connection::connection(asio::any_io_executor executor, client_config config)
    : executor_(std::move(executor)), config_(std::move(config)) {}

connection::~connection() {
  close();
}

void connection::close() {
  closed_ = true;
  if (link_) fail_all(link_, make_error(errc::closed, "the client was closed"));
  for (auto& w : turn_waiters_)
    w->timer.cancel();  // not granted: they give up
  turn_waiters_.clear();
}

awaitable<bool> connection::take_turn(std::chrono::steady_clock::time_point deadline) {
  if (closed_) co_return false;
  if (!turn_taken_) {
    turn_taken_ = true;
    co_return true;
  }
  auto t = std::make_shared<turn>(executor_, deadline);
  turn_waiters_.push_back(t);
  error_code ignored;
  co_await t->timer.async_wait(into(ignored));
  if (!t->granted) std::erase(turn_waiters_, t);  // its deadline passed first
  co_return t->granted;
}

void connection::pass_turn() {
  if (turn_waiters_.empty()) {
    turn_taken_ = false;
    return;
  }
  auto next = turn_waiters_.front();
  turn_waiters_.pop_front();
  next->granted = true;
  next->timer.cancel();
}

void connection::fail_all(const std::shared_ptr<link>& l, const error& e) {
  if (!l->alive) return;
  l->alive = false;
  error_code ignored;
  l->socket.shutdown(tcp::socket::shutdown_both, ignored);
  l->socket.close(ignored);
  for (auto& p : l->inflight) {
    if (!p->answer) p->settle(result<response>(e));
  }
  l->inflight.clear();
  if (link_ == l) link_.reset();
}

// Called only by the holder of the turn.
awaitable<result<std::shared_ptr<connection::link>>> connection::connected() {
  if (closed_) co_return make_error(errc::closed, "the client was closed");
  if (link_ && link_->alive) co_return link_;

  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    asio::steady_timer wait(executor_, next_attempt_);
    error_code ignored;
    co_await wait.async_wait(into(ignored));
  }
  auto target = parse_endpoint(config_.broker);
  if (!target) co_return target.error();
  const std::string where = config_.broker;
  auto failed = [&](const std::string& why) {
    backoff_ = backoff_.count() == 0 ? config_.reconnect_backoff
                                     : std::min(backoff_ * 2, config_.reconnect_backoff_max);
    next_attempt_ = std::chrono::steady_clock::now() + backoff_;
    return make_error(errc::connection_failed, "cannot connect to " + where + ": " + why);
  };

  auto resolver = std::make_shared<tcp::resolver>(executor_);
  auto l = std::make_shared<link>(executor_);
  // One deadline for resolving and connecting.
  auto timeout = std::make_shared<asio::steady_timer>(executor_, config_.connect_timeout);
  timeout->async_wait([l, resolver](const error_code& e) {
    if (!e) {
      resolver->cancel();
      error_code ignored;
      l->socket.close(ignored);
    }
  });
  error_code ec;
  auto endpoints = co_await resolver->async_resolve(target.value().host,
                                                    std::to_string(target.value().port), into(ec));
  if (ec) {
    timeout->cancel();
    co_return failed(ec == asio::error::operation_aborted ? "resolving timed out" : ec.message());
  }
  co_await asio::async_connect(l->socket, endpoints, into(ec));
  timeout->cancel();
  if (ec)
    co_return failed(ec == asio::error::operation_aborted ? "connect timed out" : ec.message());
  if (closed_) co_return make_error(errc::closed, "the client was closed");
  l->socket.set_option(tcp::no_delay(true), ec);
  backoff_ = std::chrono::milliseconds(0);
  link_ = l;
  asio::co_spawn(executor_, read_loop(l), asio::detached);
  co_return l;
}

awaitable<void> connection::read_loop(std::shared_ptr<link> l) {
  const std::string where = config_.broker;
  const auto lost = [&](const error_code& ec) {
    fail_all(l, make_error(errc::connection_failed,
                           "connection to " + where + " lost: " + ec.message()));
  };
  while (l->alive) {
    // The meta is read ahead of the data, so head() can hand it out while the data streams in.
    std::array<std::byte, proto::frame_header_bytes> header_bytes;
    error_code ec;
    co_await asio::async_read(l->socket, asio::buffer(header_bytes), into(ec));
    if (ec) {
      lost(ec);
      break;
    }
    auto length = proto::parse_frame_length(
        std::span(header_bytes).first<proto::frame_length_bytes>(), config_.max_response_bytes);
    if (!length) {
      fail_all(l,
               make_error(errc::protocol_error, "from " + where + ": " + length.error().message));
      break;
    }
    response r;
    r.frame = frames_.take(length.value());
    const std::span<std::byte> body(r.frame.get(), length.value());  // meta_length, meta, data
    std::copy(header_bytes.begin() + proto::frame_length_bytes, header_bytes.end(), body.begin());
    auto parts = proto::split_frame(body);
    if (!parts) {
      fail_all(l, make_error(errc::protocol_error, "unreadable response from " + where));
      break;
    }
    const auto data = body.last(parts.value().data.size());
    const auto meta = body.first(body.size() - data.size()).last(parts.value().meta.size());
    co_await asio::async_read(l->socket, asio::buffer(meta.data(), meta.size()),
                              transfer_all_at_once(), into(ec));
    if (ec) {
      lost(ec);
      break;
    }
    if (!r.meta.ParseFromArray(meta.data(), static_cast<int>(meta.size()))) {
      fail_all(l, make_error(errc::protocol_error, "unreadable response from " + where));
      break;
    }
    const auto& header = r.meta.header();
    if (l->inflight.empty() || header.correlation_id() != l->inflight.front()->correlation) {
      // Correlation 0 is the broker refusing the connection or a malformed request; it closes
      // the connection after it.
      if (header.correlation_id() == 0 && header.error().code() != v1::NONE) {
        fail_all(l, broker_error(header.error()));
      } else {
        fail_all(l, make_error(errc::protocol_error,
                               "response " + std::to_string(header.correlation_id()) + " from " +
                                   where + " matches no request in flight"));
      }
      break;
    }
    auto p = l->inflight.front();
    if (p->wants_head && header.error().code() == v1::NONE) {
      p->head = r.meta;
      p->done.cancel();
    }
    if (!data.empty()) {
      co_await read_all(l->socket, data, ec);
      if (ec) {
        lost(ec);
        break;
      }
      if (!l->alive) break;  // failed while the data came in: `p` has its answer
    }
    r.data = data;
    l->inflight.pop_front();
    if (header.error().code() != v1::NONE) {
      p->settle(result<response>(broker_error(header.error())));
    } else {
      p->settle(result<response>(std::move(r)));
    }
  }
}

awaitable<result<response>> connection::call(v1::RequestMeta meta, std::span<const std::byte> data,
                                             bool expect_response) {
  std::vector<std::span<const std::byte>> parts;
  parts.push_back(data);
  auto r = co_await call(std::move(meta), std::move(parts), expect_response);
  co_return r;
}

awaitable<result<response>> connection::call(v1::RequestMeta meta,
                                             std::vector<std::span<const std::byte>> data,
                                             bool expect_response) {
  auto sent = co_await send(std::move(meta), std::move(data), expect_response);
  if (!sent) co_return sent.error();
  auto r = co_await receive(std::move(sent).value());
  co_return r;
}

awaitable<result<connection::request_ptr>> connection::send(
    v1::RequestMeta meta, std::vector<std::span<const std::byte>> data, bool expect_response) {
  const auto deadline = std::chrono::steady_clock::now() + config_.request_timeout;
  // Take the turn before anything can suspend, so calls connect and write in call order. A
  // request goes in flight only while its caller holds the turn, so the order of `inflight` is
  // the order on the wire, which is the order of the responses.
  if (!co_await take_turn(deadline)) {
    if (closed_) co_return make_error(errc::closed, "the client was closed");
    co_return make_error(errc::timed_out, "no turn to send to " + config_.broker + " within " +
                                              std::to_string(config_.request_timeout.count()) +
                                              " ms");
  }
  auto connected_link = co_await connected();
  if (!connected_link) {
    pass_turn();
    co_return connected_link.error();
  }
  auto l = connected_link.value();

  auto* header = meta.mutable_header();
  header->set_correlation_id(next_correlation_++);
  header->set_client_id(config_.client_id);
  if (header->api_version() == 0) header->set_api_version(1);
  auto p = std::make_shared<request>(executor_, header->correlation_id(), deadline);
  // Fetch responses are the ones with data worth acting on before it arrives. Set before the
  // response can come, so the read loop keeps the meta even if head() is called late.
  p->wants_head = expect_response && meta.has_fetch();
  if (expect_response) l->inflight.push_back(p);
  size_t data_size = 0;
  for (const auto& d : data)
    data_size += d.size();
  auto head = proto::encode_frame_head(meta, data_size);

  // One deadline for writing the request and reading its response: a broker that stops reading
  // or answering fails the call instead of hanging it.
  std::weak_ptr<link> weak = l;
  p->watchdog.async_wait([this, weak, p](const error_code& e) {
    auto target = weak.lock();
    if (e || !target || p->answer) return;
    fail_all(target, make_error(errc::timed_out,
                                "no response from " + config_.broker + " within " +
                                    std::to_string(config_.request_timeout.count()) + " ms"));
  });

  std::vector<asio::const_buffer> buffers{asio::buffer(head)};
  buffers.reserve(1 + data.size());
  for (const auto& d : data)
    buffers.push_back(asio::buffer(d.data(), d.size()));
  error_code ec;
  co_await asio::async_write(l->socket, buffers, transfer_all_at_once(), into(ec));
  pass_turn();
  if (ec && !p->answer) {
    fail_all(l, make_error(errc::connection_failed,
                           "sending to " + config_.broker + " failed: " + ec.message()));
  }
  if (!expect_response && !p->answer) {
    p->settle(ec ? result<response>(make_error(errc::connection_failed,
                                               "connection to " + config_.broker + " lost"))
                 : result<response>(response{}));
  }
  co_return p;
}

awaitable<result<response>> connection::receive(request_ptr r) {
  while (!r->answer) {
    error_code ignored;
    co_await r->done.async_wait(into(ignored));
  }
  co_return std::move(*r->answer);
}

awaitable<result<v1::ResponseMeta>> connection::head(const request_ptr& r) {
  while (!r->head && !r->answer) {
    error_code ignored;
    co_await r->done.async_wait(into(ignored));
  }
  if (r->head) co_return std::move(*r->head);
  if (!*r->answer) co_return r->answer->error();
  co_return r->answer->value().meta;
}

}  // namespace sluice::client
