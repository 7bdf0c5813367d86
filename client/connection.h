// One TCP connection to the broker carrying framed requests (proto/FRAMING.md). Requests are
// pipelined: several may be in flight, and responses, which come back in request order, are
// matched to them by correlation id. Requests are written in the order `call` was invoked, also
// when a call has to wait for a reconnect. When the connection breaks or a request times out, every
// request in flight fails with a retriable error, and the next request reconnects after a
// backoff. Runs on one runtime thread; not thread-safe.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "client/asio.h"
#include "client/config.h"
#include "client/errors.h"
#include "client/frame_pool.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::client {

struct response {
  v1::ResponseMeta meta;
  frame_ptr frame;                  // owns the bytes `data` views
  std::span<const std::byte> data;  // the data section (record batches of a fetch)
};

class connection {
 public:
  connection(asio::any_io_executor executor, client_config config);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  struct request;  // written to the broker; its response is awaited with head() and receive()
  using request_ptr = std::shared_ptr<request>;

  // Sends `meta` (correlation and client id are filled in) followed by `data`, and waits for the
  // response. With `expect_response` false (Produce with acks=0) it completes once written.
  // A ResponseHeader error becomes the call's error. `data` must stay valid until it returns.
  awaitable<result<response>> call(v1::RequestMeta meta, std::span<const std::byte> data = {},
                                   bool expect_response = true);
  // The same with the data in pieces, written back to back without copying them together.
  awaitable<result<response>> call(v1::RequestMeta meta,
                                   std::vector<std::span<const std::byte>> data,
                                   bool expect_response = true);

  // call() in two steps: send() returns once the request is written (or failed to be), and
  // receive() waits for its response. Between them more requests may be sent. Every request
  // sent expecting a response should be received; if it is not, its answer is dropped.
  awaitable<result<request_ptr>> send(v1::RequestMeta meta,
                                      std::vector<std::span<const std::byte>> data = {},
                                      bool expect_response = true);
  awaitable<result<response>> receive(request_ptr r);
  // The meta of the response to a Fetch `r`, as soon as it has arrived and before the record
  // batches behind it have; receive() still gets the whole response. For any other request, or
  // called a second time, it waits for the whole response. Fails as receive() would.
  awaitable<result<v1::ResponseMeta>> head(const request_ptr& r);

  // Fails every request in flight with errc::closed and refuses new ones.
  void close();

 private:
  struct link;  // one connected socket and its reader

  struct turn;  // a call waiting for its turn to connect and write

  // Waits, in call order, for the turn to connect and write; false if the connection was closed
  // or `deadline` passed first.
  awaitable<bool> take_turn(std::chrono::steady_clock::time_point deadline);
  void pass_turn();
  awaitable<result<std::shared_ptr<link>>> connected();
  awaitable<void> read_loop(std::shared_ptr<link> l);
  void fail_all(const std::shared_ptr<link>& l, const error& e);

  asio::any_io_executor executor_;
  client_config config_;
  // Room for seven idle frames of a default 1 MiB fetch (each rounds up to 1 MiB + 64 KiB).
  static constexpr size_t idle_frame_bytes = 8u << 20;
  frame_pool frames_{idle_frame_bytes};
  std::shared_ptr<link> link_;
  bool closed_ = false;
  // Calls connect and write one at a time, in the order they were made, so requests reach the
  // broker in call order even across a reconnect (an idempotent producer depends on it).
  bool turn_taken_ = false;
  std::deque<std::shared_ptr<turn>> turn_waiters_;
  std::chrono::milliseconds backoff_{0};
  std::chrono::steady_clock::time_point next_attempt_{};
  uint64_t next_correlation_ = 1;
};

}  // namespace sluice::client
