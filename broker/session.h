// One client connection. The session only moves bytes and enforces limits: it reads frames
// (checking their size before allocating, within the memory budget and the in-flight cap), hands
// each request to its handler, and writes the responses back in request order, sending fetched
// record bytes with sendfile. A malformed frame gets an error response where a correlation id
// can still be read, then the connection closes; other connections are untouched.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "broker/asio.h"
#include "broker/context.h"
#include "broker/fetch_waiters.h"
#include "broker/handlers.h"
#include "broker/memory_budget.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::broker {

// What all sessions share.
struct session_shared {
  broker_context& ctx;
  memory_budget& budget;
  fetch_waiters& waiters;
  bool stopping = false;
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, session_shared& shared, std::function<void(session*)> on_close);

  void start();
  // Stops reading new requests, answers the ones already read, then closes.
  void stop();
  // Closes now; requests in flight are dropped.
  void abort();

 private:
  struct outgoing {
    bool ready = false;
    bool send = true;          // false for a Produce with acks=0
    bool close_after = false;  // the request was malformed: close once this is written
    std::vector<std::byte> head;
    std::vector<storage::file_range> ranges;
  };
  using clock = std::chrono::steady_clock;

  awaitable<void> read_loop();
  awaitable<void> write_loop();
  awaitable<void> watchdog();
  awaitable<void> handle(std::shared_ptr<outgoing> slot, std::unique_ptr<budget_hold> hold,
                         std::unique_ptr<std::byte[]> frame, std::span<std::byte> data,
                         v1::RequestMeta meta);
  awaitable<void> wait_durable(produce_outcome& outcome, std::chrono::milliseconds timeout);
  awaitable<fetch_outcome> long_poll(const v1::FetchRequest& req);
  // Answers once the commit is durable (the offset store calls back on its own thread).
  awaitable<v1::OffsetCommitResponse> commit_offsets(const v1::OffsetCommitRequest& req);
  // Writes a response's head; `data_follows`: its record bytes come next, with send_ranges.
  awaitable<bool> send_head(std::span<const std::byte> head, bool data_follows);
  awaitable<bool> send_ranges(const std::vector<storage::file_range>& ranges);

  // Queues an error response that is ready at once.
  void queue_error(uint64_t correlation_id, v1::ErrorCode code, std::string message, bool close);
  void finish(outgoing& slot, const v1::ResponseMeta& meta,
              std::vector<storage::file_range> ranges = {}, uint64_t data_bytes = 0);
  void wake(asio::steady_timer& t) { t.cancel(); }

  tcp::socket socket_;
  session_shared& shared_;
  std::function<void(session*)> on_close_;
  std::deque<std::shared_ptr<outgoing>> queue_;
  asio::steady_timer writer_wake_;
  asio::steady_timer reader_wake_;
  asio::steady_timer watchdog_;
  clock::time_point read_deadline_ = clock::time_point::max();
  clock::time_point write_deadline_ = clock::time_point::max();
  size_t inflight_ = 0;
  std::vector<fetch_waiters::waiter*> polls_;  // long-polling fetches, woken by abort()
  bool reading_ = true;
  bool closed_ = false;
};

}  // namespace sluice::broker
