#include "broker/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/group/coordinator.h"
#include "broker/sendfile.h"
#include "broker/wire_error.h"
#include "proto/frame.h"

namespace sluice::broker {
namespace {

constexpr auto never = std::chrono::steady_clock::time_point::max();

bool is_group_request(v1::RequestMeta::BodyCase body) {
  switch (body) {
    case v1::RequestMeta::kConsumerGroupHeartbeat:
    case v1::RequestMeta::kOffsetCommit:
    case v1::RequestMeta::kOffsetFetch:
    case v1::RequestMeta::kListGroups:
    case v1::RequestMeta::kDescribeGroups:
    case v1::RequestMeta::kDeleteGroups: return true;
    default: return false;
  }
}

bool body_matches(const v1::RequestMeta& meta) {
  switch (meta.body_case()) {
    case v1::RequestMeta::kApiVersions: return meta.header().api_key() == v1::API_VERSIONS;
    case v1::RequestMeta::kMetadata: return meta.header().api_key() == v1::METADATA;
    case v1::RequestMeta::kCreateTopics: return meta.header().api_key() == v1::CREATE_TOPICS;
    case v1::RequestMeta::kDeleteTopics: return meta.header().api_key() == v1::DELETE_TOPICS;
    case v1::RequestMeta::kProduce: return meta.header().api_key() == v1::PRODUCE;
    case v1::RequestMeta::kFetch: return meta.header().api_key() == v1::FETCH;
    case v1::RequestMeta::kListOffsets: return meta.header().api_key() == v1::LIST_OFFSETS;
    case v1::RequestMeta::kInitProducerId: return meta.header().api_key() == v1::INIT_PRODUCER_ID;
    case v1::RequestMeta::kConsumerGroupHeartbeat:
      return meta.header().api_key() == v1::CONSUMER_GROUP_HEARTBEAT;
    case v1::RequestMeta::kOffsetCommit: return meta.header().api_key() == v1::OFFSET_COMMIT;
    case v1::RequestMeta::kOffsetFetch: return meta.header().api_key() == v1::OFFSET_FETCH;
    case v1::RequestMeta::kListGroups: return meta.header().api_key() == v1::LIST_GROUPS;
    case v1::RequestMeta::kDescribeGroups: return meta.header().api_key() == v1::DESCRIBE_GROUPS;
    case v1::RequestMeta::kDeleteGroups: return meta.header().api_key() == v1::DELETE_GROUPS;
    case v1::RequestMeta::kCreatePartitions:
      return meta.header().api_key() == v1::CREATE_PARTITIONS;
    case v1::RequestMeta::BODY_NOT_SET: return false;
  }
  return false;
}

}  // namespace

session::session(tcp::socket socket, session_shared& shared, std::function<void(session*)> on_close)
    : socket_(std::move(socket)),
      shared_(shared),
      on_close_(std::move(on_close)),
      writer_wake_(socket_.get_executor(), never),
      reader_wake_(socket_.get_executor(), never),
      watchdog_(socket_.get_executor()) {}

void session::start() {
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  auto self = shared_from_this();
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->read_loop(); }, asio::detached);
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->write_loop(); }, asio::detached);
  asio::co_spawn(
      socket_.get_executor(), [self] { return self->watchdog(); }, asio::detached);
}

void session::stop() {
  reading_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_receive, ignored);
  wake(reader_wake_);
  wake(writer_wake_);
}

void session::abort() {
  if (closed_) return;
  closed_ = true;
  reading_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  wake(reader_wake_);
  wake(writer_wake_);
  watchdog_.cancel();
  for (auto* w : polls_) {
    w->woken = true;
    w->timer.cancel();
  }
  if (on_close_) {
    auto cb = std::move(on_close_);
    on_close_ = nullptr;
    cb(this);
  }
}

awaitable<void> session::watchdog() {
  auto self = shared_from_this();
  const auto& cfg = shared_.ctx.config;
  auto period = std::chrono::milliseconds(std::clamp<int64_t>(
      std::min(cfg.connections_max_idle_ms, cfg.socket_request_timeout_ms) / 4, 10, 1000));
  while (!closed_) {
    watchdog_.expires_after(period);
    {
      error_code ignored;
      co_await watchdog_.async_wait(into(ignored));
    }
    if (closed_) break;
    auto now = clock::now();
    if (now >= read_deadline_ || now >= write_deadline_) {
      spdlog::debug("closing connection: {}",
                    now >= read_deadline_ ? "idle or request too slow" : "client not reading");
      abort();
    }
  }
}

void session::queue_error(uint64_t correlation_id, v1::ErrorCode code, std::string message,
                          bool close) {
  auto slot = std::make_shared<outgoing>();
  slot->close_after = close;
  v1::ResponseMeta meta;
  meta.mutable_header()->set_correlation_id(correlation_id);
  set_error(meta.mutable_header()->mutable_error(), code, std::move(message));
  finish(*slot, meta);
  queue_.push_back(std::move(slot));
  ++inflight_;
  wake(writer_wake_);
}

void session::finish(outgoing& slot, const v1::ResponseMeta& meta,
                     std::vector<storage::file_range> ranges, uint64_t data_bytes) {
  slot.head = proto::encode_frame_head(meta, data_bytes);
  slot.ranges = std::move(ranges);
  slot.ready = true;
  wake(writer_wake_);
}

awaitable<void> session::read_loop() {
  auto self = shared_from_this();
  const auto& cfg = shared_.ctx.config;
  bool peer_gone = false;
  while (reading_ && !shared_.stopping) {
    while (inflight_ >= cfg.max_inflight_requests_per_connection && reading_) {
      read_deadline_ = never;
      reader_wake_.expires_at(never);
      {
        error_code ignored;
        co_await reader_wake_.async_wait(into(ignored));
      }
    }
    if (!reading_) break;
    read_deadline_ = clock::now() + std::chrono::milliseconds(cfg.connections_max_idle_ms);
    std::array<std::byte, proto::frame_length_bytes> prefix;
    error_code ec;
    co_await asio::async_read(socket_, asio::buffer(prefix), into(ec));
    if (ec) {
      peer_gone = true;
      break;
    }
    auto length = proto::parse_frame_length(prefix, cfg.socket_request_max_bytes);
    if (!length) {
      queue_error(0, v1::INVALID_REQUEST, length.error().message, true);
      break;
    }
    read_deadline_ = never;
    if (!co_await shared_.budget.acquire(length.value())) break;
    auto hold = std::make_unique<budget_hold>(shared_.budget, length.value());
    // Not zero-filled: the read below overwrites every byte.
    auto frame_bytes = std::make_unique_for_overwrite<std::byte[]>(length.value());
    const std::span<std::byte> frame(frame_bytes.get(), length.value());
    read_deadline_ = clock::now() + std::chrono::milliseconds(cfg.socket_request_timeout_ms);
    error_code body_ec;
    co_await asio::async_read(socket_, asio::buffer(frame.data(), frame.size()),
                              transfer_all_at_once(), into(body_ec));
    if (body_ec) {
      peer_gone = true;
      break;
    }
    auto parts = proto::split_frame(frame);
    v1::RequestMeta meta;
    if (!parts || !meta.ParseFromArray(parts.value().meta.data(),
                                       static_cast<int>(parts.value().meta.size()))) {
      queue_error(0, v1::INVALID_REQUEST,
                  parts ? "request meta is not a sluice.v1.RequestMeta" : parts.error().message,
                  true);
      break;
    }
    const uint64_t correlation = meta.header().correlation_id();
    if (!body_matches(meta)) {
      queue_error(correlation, v1::INVALID_REQUEST,
                  "request names API " + std::to_string(meta.header().api_key()) +
                      " but carries a different or no body",
                  true);
      break;
    }
    if (meta.header().api_version() != api_version) {
      queue_error(correlation, v1::UNSUPPORTED_VERSION,
                  v1::ApiKey_Name(meta.header().api_key()) + " version " +
                      std::to_string(meta.header().api_version()) +
                      " is not supported; this broker speaks version " +
                      std::to_string(api_version),
                  false);
      continue;
    }
    auto slot = std::make_shared<outgoing>();
    queue_.push_back(slot);
    ++inflight_;
    auto data_view = parts.value().data;
    const std::span<std::byte> data =
        frame.subspan(static_cast<size_t>(data_view.data() - frame.data()), data_view.size());
    asio::co_spawn(
        socket_.get_executor(),
        [self, slot, hold = std::move(hold), frame_bytes = std::move(frame_bytes), data,
         meta = std::move(meta)]() mutable {
          return self->handle(std::move(slot), std::move(hold), std::move(frame_bytes), data,
                              std::move(meta));
        },
        asio::detached);
  }
  reading_ = false;
  read_deadline_ = never;
  if (peer_gone && !shared_.stopping) {
    // The client hung up: nobody will read the answers still being prepared.
    abort();
    co_return;
  }
  wake(writer_wake_);
}

awaitable<void> session::handle(std::shared_ptr<outgoing> slot, std::unique_ptr<budget_hold> hold,
                                std::unique_ptr<std::byte[]> frame, std::span<std::byte> data,
                                v1::RequestMeta meta) {
  auto self = shared_from_this();
  const auto started = clock::now();
  auto& ctx = shared_.ctx;
  v1::ResponseMeta resp;
  resp.mutable_header()->set_correlation_id(meta.header().correlation_id());
  std::vector<storage::file_range> ranges;
  uint64_t data_bytes = 0;

  auto body = meta.body_case();
  if (is_group_request(body)) {
    if (auto down = ctx.groups->unavailable()) {
      set_error(resp.mutable_header()->mutable_error(), v1::COORDINATOR_NOT_AVAILABLE,
                "consumer groups are unavailable: " + down->message);
      body = v1::RequestMeta::BODY_NOT_SET;
    }
  }
  switch (body) {
    case v1::RequestMeta::kApiVersions:
      *resp.mutable_api_versions() = handle_api_versions(meta.api_versions());
      break;
    case v1::RequestMeta::kMetadata:
      *resp.mutable_metadata() = handle_metadata(meta.metadata(), ctx);
      break;
    case v1::RequestMeta::kCreateTopics:
      *resp.mutable_create_topics() = handle_create_topics(meta.create_topics(), ctx);
      break;
    case v1::RequestMeta::kDeleteTopics:
      *resp.mutable_delete_topics() = handle_delete_topics(meta.delete_topics(), ctx);
      break;
    case v1::RequestMeta::kListOffsets:
      *resp.mutable_list_offsets() = handle_list_offsets(meta.list_offsets(), ctx);
      break;
    case v1::RequestMeta::kCreatePartitions:
      *resp.mutable_create_partitions() = handle_create_partitions(meta.create_partitions(), ctx);
      break;
    case v1::RequestMeta::kConsumerGroupHeartbeat:
      *resp.mutable_consumer_group_heartbeat() =
          ctx.groups->heartbeat(meta.consumer_group_heartbeat(), meta.header().client_id(),
                                resp.mutable_header()->mutable_error());
      break;
    case v1::RequestMeta::kOffsetCommit:
      *resp.mutable_offset_commit() = co_await commit_offsets(meta.offset_commit());
      break;
    case v1::RequestMeta::kOffsetFetch:
      *resp.mutable_offset_fetch() = ctx.groups->fetch_offsets(meta.offset_fetch());
      break;
    case v1::RequestMeta::kListGroups:
      *resp.mutable_list_groups() = ctx.groups->list_groups();
      break;
    case v1::RequestMeta::kDescribeGroups:
      *resp.mutable_describe_groups() = ctx.groups->describe_groups(meta.describe_groups());
      break;
    case v1::RequestMeta::kDeleteGroups:
      *resp.mutable_delete_groups() = ctx.groups->delete_groups(meta.delete_groups());
      break;
    case v1::RequestMeta::kInitProducerId: {
      auto r = handle_init_producer_id(meta.init_producer_id(), ctx);
      if (r) {
        *resp.mutable_init_producer_id() = std::move(r).value();
      } else {
        to_wire_error(r.error(), resp.mutable_header()->mutable_error());
      }
      break;
    }
    case v1::RequestMeta::kProduce: {
      auto outcome = handle_produce(meta.produce(), data, ctx);
      frame.reset();  // appended: the request buffer is no longer needed
      hold.reset();
      if (meta.produce().acks() == 0) {
        slot->send = false;
        break;
      }
      if (!outcome.waits.empty()) {
        auto timeout = std::chrono::milliseconds(
            meta.produce().timeout_ms() == 0 ? 30'000 : meta.produce().timeout_ms());
        co_await wait_durable(outcome, timeout);
      }
      *resp.mutable_produce() = std::move(outcome.response);
      break;
    }
    case v1::RequestMeta::kFetch: {
      hold.reset();
      auto outcome = co_await long_poll(meta.fetch());
      record_fetch_metrics(outcome);
      ranges = std::move(outcome.ranges);
      data_bytes = outcome.bytes;
      *resp.mutable_fetch() = std::move(outcome.response);
      break;
    }
    case v1::RequestMeta::BODY_NOT_SET: break;
  }
  auto& api = ctx.metrics.api(v1::ApiKey_Name(meta.header().api_key()));
  api.requests.fetch_add(1, std::memory_order_relaxed);
  if (resp.header().error().code() != v1::NONE) api.errors.fetch_add(1, std::memory_order_relaxed);
  api.latency.observe(clock::now() - started);
  finish(*slot, resp, std::move(ranges), data_bytes);
}

awaitable<void> session::wait_durable(produce_outcome& outcome, std::chrono::milliseconds timeout) {
  struct state {
    explicit state(asio::any_io_executor ex, size_t n) : timer(ex), results(n), pending(n) {}
    asio::steady_timer timer;
    std::vector<std::optional<result<void>>> results;
    size_t pending;
  };
  auto executor = socket_.get_executor();
  auto st = std::make_shared<state>(executor, outcome.waits.size());
  st->timer.expires_after(timeout);
  for (size_t i = 0; i < outcome.waits.size(); ++i) {
    auto& w = outcome.waits[i];
    shared_.ctx.logs.flusher().when_durable(w.log, w.appended,
                                            [st, i, executor](const result<void>& r) {
                                              asio::post(executor, [st, i, r] {
                                                if (st->results[i]) return;
                                                st->results[i] = r;
                                                if (--st->pending == 0) st->timer.cancel();
                                              });
                                            });
  }
  if (st->pending > 0) {
    error_code ignored;
    co_await st->timer.async_wait(into(ignored));
  }
  for (size_t i = 0; i < outcome.waits.size(); ++i) {
    const auto& w = outcome.waits[i];
    auto* p = outcome.response.mutable_topics(w.topic_index)->mutable_partitions(w.partition_index);
    if (!st->results[i]) {
      set_error(p->mutable_error(), v1::REQUEST_TIMED_OUT,
                "appended but not durable within timeout_ms=" + std::to_string(timeout.count()));
    } else if (!*st->results[i]) {
      to_wire_error(st->results[i]->error(), p->mutable_error());
    }
  }
}

awaitable<v1::OffsetCommitResponse> session::commit_offsets(const v1::OffsetCommitRequest& req) {
  struct state {
    explicit state(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer timer;
    std::optional<v1::OffsetCommitResponse> answer;
  };
  auto executor = socket_.get_executor();
  auto st = std::make_shared<state>(executor);
  shared_.ctx.groups->commit(req, [st, executor](v1::OffsetCommitResponse r) {
    asio::post(executor, [st, r = std::move(r)]() mutable {
      st->answer = std::move(r);
      st->timer.cancel();
    });
  });
  if (!st->answer) {
    error_code ignored;
    co_await st->timer.async_wait(into(ignored));
  }
  co_return std::move(*st->answer);
}

awaitable<fetch_outcome> session::long_poll(const v1::FetchRequest& req) {
  const auto wait = std::min(req.max_wait_ms(), shared_.ctx.config.fetch_max_wait_ms);
  const auto deadline = clock::now() + std::chrono::milliseconds(wait);
  while (true) {
    auto outcome = fetch_once(req, shared_.ctx);
    if (outcome.has_error || outcome.watch.empty() ||
        outcome.bytes >= std::max<uint32_t>(req.min_bytes(), 1) || clock::now() >= deadline ||
        shared_.stopping || closed_) {
      co_return outcome;
    }
    fetch_waiters::waiter w(socket_.get_executor());
    bool moved = false;
    for (const auto& [log, seen] : outcome.watch) {
      shared_.waiters.watch(log, w);
      // An append between the read and the watch would otherwise go unnoticed.
      moved |= log->high_watermark() != seen;
    }
    if (!moved) {
      polls_.push_back(&w);
      w.timer.expires_at(deadline);
      error_code ignored;
      co_await w.timer.async_wait(into(ignored));
      std::erase(polls_, &w);
    }
    shared_.waiters.unwatch(w);
  }
}

awaitable<bool> session::send_head(std::span<const std::byte> head, bool data_follows) {
  // With data to follow, MSG_MORE keeps the head from leaving as a packet of its own ahead of
  // it (the socket has TCP_NODELAY); the last chunk sendfile writes pushes both.
  const asio::socket_base::message_flags flags = data_follows ? MSG_MORE : 0;
  while (!head.empty()) {
    error_code ec;
    const size_t n =
        co_await socket_.async_send(asio::buffer(head.data(), head.size()), flags, into(ec));
    if (ec) co_return false;
    head = head.subspan(n);
  }
  co_return true;
}

awaitable<bool> session::send_ranges(const std::vector<storage::file_range>& ranges) {
  for (const auto& r : ranges) {
    int fd = r.source->native_handle();
    if (fd >= 0) {
      // A slow reader is cut off only when it stops making progress.
      auto sent = co_await async_sendfile(socket_, fd, r.position, r.length, [this] {
        write_deadline_ =
            clock::now() + std::chrono::milliseconds(shared_.ctx.config.socket_request_timeout_ms);
      });
      if (!sent) co_return false;
      continue;
    }
    std::vector<std::byte> copy(r.length);
    auto n = r.source->read_at(copy, r.position);
    if (!n || n.value() != r.length) co_return false;
    error_code ec;
    co_await asio::async_write(socket_, asio::buffer(copy), transfer_all_at_once(), into(ec));
    if (ec) co_return false;
  }
  co_return true;
}

awaitable<void> session::write_loop() {
  auto self = shared_from_this();
  const auto request_timeout =
      std::chrono::milliseconds(shared_.ctx.config.socket_request_timeout_ms);
  while (!closed_) {
    if (queue_.empty() || !queue_.front()->ready) {
      if (queue_.empty() && !reading_) break;
      writer_wake_.expires_at(never);
      {
        error_code ignored;
        co_await writer_wake_.async_wait(into(ignored));
      }
      continue;
    }
    auto slot = queue_.front();
    if (slot->send) {
      write_deadline_ = clock::now() + request_timeout;
      const bool data_follows = std::any_of(slot->ranges.begin(), slot->ranges.end(),
                                            [](const auto& r) { return r.length > 0; });
      if (!co_await send_head(slot->head, data_follows)) break;
      if (!co_await send_ranges(slot->ranges)) break;
      write_deadline_ = never;
    }
    queue_.pop_front();
    --inflight_;
    wake(reader_wake_);
    if (slot->close_after) break;
  }
  abort();
}

}  // namespace sluice::broker
