// The consumer's fetch loop, on its runtime thread: positions from ListOffsets, then fetch after
// fetch, each response's batches checked and queued for poll() to decode.
#include "client/consumer_impl.h"
#include "client/errors.h"
#include "proto/frame.h"

namespace sluice::client {
consumer::impl::impl(consumer_config c)
    : config(std::move(c)),
      conn(rt.executor(), config),
      group_conn(rt.executor(), config),
      wake(rt.executor()),
      heartbeat_wake(rt.executor()) {
  asio::co_spawn(rt.executor(), fetch_loop(), asio::detached);
}

awaitable<void> consumer::impl::pause(std::chrono::milliseconds d) {
  wake.expires_after(d);
  error_code ignored;
  co_await wake.async_wait(into(ignored));
}

void consumer::impl::add_partitions(const std::set<topic_partition>& tps) {
  for (const auto& tp : tps) {
    auto [it, inserted] = parts.try_emplace(tp);
    if (inserted) it->second.generation = ++next_generation;
  }
  wake_fetcher();
}

void consumer::impl::drop_partitions(const std::set<topic_partition>& tps) {
  for (const auto& tp : tps) {
    auto it = parts.find(tp);
    if (it == parts.end()) continue;
    forget(it->second.clear_held());
    parts.erase(it);
  }
  room_freed();
}

// ListOffsets for `tps` by `spec` (and `ts`), on the runtime thread.
awaitable<result<std::map<topic_partition, int64_t>>> consumer::impl::list_offsets(
    std::vector<topic_partition> tps, v1::OffsetSpec spec, int64_t ts) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::LIST_OFFSETS);
  std::map<std::string, v1::ListOffsetsRequest::Topic*> topics;
  for (const auto& tp : tps) {
    auto*& t = topics[tp.topic];
    if (t == nullptr) {
      t = meta.mutable_list_offsets()->add_topics();
      t->set_name(tp.topic);
    }
    auto* p = t->add_partitions();
    p->set_partition(tp.partition);
    p->set_spec(spec);
    p->set_timestamp(ts);
  }
  auto resp = co_await conn.call(std::move(meta));
  if (!resp) co_return resp.error();
  std::map<topic_partition, int64_t> out;
  for (const auto& t : resp.value().meta.list_offsets().topics()) {
    for (const auto& p : t.partitions()) {
      if (p.error().code() != v1::NONE) co_return broker_error(p.error());
      out[{t.name(), p.partition()}] = p.offset();
    }
  }
  co_return out;
}

// Gives partitions without a position one, by auto_offset_reset; false after a retriable failure.
awaitable<bool> consumer::impl::reset_positions() {
  std::vector<topic_partition> need;
  {
    std::lock_guard lock(mu);
    for (auto& [tp, st] : parts) {
      if (!st.fetch_position) need.push_back(tp);
    }
  }
  if (need.empty()) co_return true;
  if (config.auto_offset_reset == "none") {
    std::lock_guard lock(mu);
    error_once = make_error(errc::invalid_argument, "no position for " + need.front().topic + "-" +
                                                        std::to_string(need.front().partition) +
                                                        " and auto_offset_reset is none");
    for (const auto& tp : need)
      parts[tp].fetch_position = -1;  // parked until a seek
    data_ready.notify_all();
    co_return true;
  }
  auto spec = config.auto_offset_reset == "earliest" ? v1::EARLIEST : v1::LATEST;
  auto offsets = co_await list_offsets(need, spec, -1);
  std::lock_guard lock(mu);
  if (!offsets) {
    if (!retriable(offsets.error())) error_once = offsets.error();
    data_ready.notify_all();
    co_return !retriable(offsets.error());
  }
  for (const auto& [tp, off] : offsets.value()) {
    auto it = parts.find(tp);
    if (it == parts.end() || it->second.fetch_position) continue;
    it->second.fetch_position = off;
    it->second.position = off;
  }
  co_return true;
}

void consumer::impl::absorb(partition_state& st, checked_slice checked) {
  if (checked.bad) error_once = std::move(checked.bad);
  st.fetch_position = checked.next_offset;
  if (checked.slice.batches.empty()) return;
  buffered_total += checked.slice.records;
  buffered_bytes += checked.slice.batches.size();
  st.fetched.push_back(std::move(checked.slice));
}

v1::RequestMeta consumer::impl::fetch_request(std::chrono::milliseconds max_wait,
                                              const asked_map& previous,
                                              const std::map<topic_partition, int64_t>& ahead,
                                              asked_map& asked) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::FETCH);
  auto* req = meta.mutable_fetch();
  req->set_max_wait_ms(static_cast<uint32_t>(max_wait.count()));
  req->set_min_bytes(config.fetch_min_bytes);
  req->set_max_bytes(config.fetch_max_bytes);
  std::vector<std::pair<const topic_partition*, partition_state*>> fetchable;
  for (auto& [tp, st] : parts) {
    if (st.fetch_position && *st.fetch_position >= 0) fetchable.emplace_back(&tp, &st);
  }
  // The broker fills the response in request order, so each fetch starts at the next
  // partition: none waits behind another's backlog.
  const size_t first = fetchable.empty() ? 0 : fetch_rotation++ % fetchable.size();
  std::map<std::string, v1::FetchRequest::Topic*> topics;
  for (size_t i = 0; i < fetchable.size(); ++i) {
    const auto [tp, st] = fetchable[(first + i) % fetchable.size()];
    int64_t from = *st->fetch_position;
    auto before = previous.find(*tp);
    auto after = ahead.find(*tp);
    if (before != previous.end() && after != ahead.end() &&
        before->second == std::pair{st->generation, from}) {
      from = after->second;
    }
    auto*& t = topics[tp->topic];
    if (t == nullptr) {
      t = req->add_topics();
      t->set_name(tp->topic);
    }
    auto* p = t->add_partitions();
    p->set_partition(tp->partition);
    p->set_fetch_offset(from);
    p->set_max_bytes(config.max_partition_fetch_bytes);
    asked[*tp] = {st->generation, from};
  }
  return meta;
}

std::optional<v1::RequestMeta> consumer::impl::fetch_after(const v1::ResponseMeta& head,
                                                           const asked_map& asked,
                                                           asked_map& next_asked) {
  if (stopped) return std::nullopt;
  std::map<topic_partition, int64_t> ahead;
  bool behind = false;
  size_t incoming_bytes = 0;
  int64_t incoming_records = 0;  // at most: offsets the data spans
  for (const auto& t : head.fetch().topics()) {
    for (const auto& p : t.partitions()) {
      topic_partition tp{t.name(), p.partition()};
      auto q = asked.find(tp);
      if (q == asked.end() || p.error().code() != v1::NONE || p.data_length() == 0) continue;
      incoming_bytes += p.data_length();
      if (p.next_offset() <= q->second.second) continue;  // a broker that does not say
      ahead[tp] = p.next_offset();
      incoming_records += p.next_offset() - q->second.second;
      behind = behind || p.next_offset() < p.high_watermark();
    }
  }
  // The buffer is to hold this response and still have room, as before any fetch.
  if (!behind ||
      buffered_total + static_cast<size_t>(incoming_records) >= config.max_buffered_records ||
      buffered_bytes + incoming_bytes >= config.max_buffered_bytes) {
    return std::nullopt;
  }
  for (const auto& [tp, st] : parts) {
    if (!st.fetch_position) return std::nullopt;  // its ListOffsets goes first
  }
  // Records are waiting at the broker, so this fetch need not wait there.
  auto meta = fetch_request(std::chrono::milliseconds(0), asked, ahead, next_asked);
  if (next_asked.empty()) return std::nullopt;
  return meta;
}

bool consumer::impl::take_fetched(result<response> resp, const asked_map& asked) {
  if (!resp) {
    std::lock_guard lock(mu);
    if (!retriable(resp.error())) error_once = resp.error();
    data_ready.notify_all();
    return false;
  }
  // Check the batches before taking mu, so poll() is not kept waiting on CRCs.
  auto owner = std::make_shared<const response>(std::move(resp).value());
  std::map<topic_partition, checked_slice> checked;
  for (const auto& t : owner->meta.fetch().topics()) {
    for (const auto& p : t.partitions()) {
      topic_partition tp{t.name(), p.partition()};
      auto q = asked.find(tp);
      if (q == asked.end() || p.error().code() != v1::NONE) continue;
      auto slice = proto::data_slice(owner->data, p.data_offset(), p.data_length());
      if (!slice) {
        checked[tp].bad = make_error(errc::protocol_error, slice.error().message);
        continue;
      }
      checked[tp] = check_slice(tp, owner, slice.value(), q->second.second);
    }
  }
  bool ok = true;
  std::lock_guard lock(mu);
  for (const auto& t : owner->meta.fetch().topics()) {
    for (const auto& p : t.partitions()) {
      topic_partition tp{t.name(), p.partition()};
      auto it = parts.find(tp);
      auto q = asked.find(tp);
      if (it == parts.end() || q == asked.end() || it->second.generation != q->second.first ||
          it->second.fetch_position != q->second.second) {
        continue;  // unassigned, reassigned or sought since the fetch went out
      }
      auto& st = it->second;
      if (p.high_watermark() >= 0) st.high_watermark = p.high_watermark();
      if (p.error().code() == v1::OFFSET_OUT_OF_RANGE) {
        refetch(st, std::nullopt);
        continue;
      }
      if (p.error().code() != v1::NONE) {
        error_once = broker_error(p.error());
        ok = false;
        continue;
      }
      auto& c = checked[tp];
      if (c.bad) ok = false;
      if (c.slice.owner) {
        absorb(st, std::move(c));
      } else {
        error_once = std::move(c.bad);  // the slice lies outside the response
      }
    }
  }
  data_ready.notify_all();
  return ok;
}

awaitable<void> consumer::impl::fetch_loop() {
  // While the consumer is behind, each fetch is sent as soon as the previous response's meta
  // has arrived, so the broker reads the next batches while the last ones are still streaming.
  std::optional<fetch_sent> ahead;
  while (true) {
    bool polled = false;
    {
      std::lock_guard lock(mu);
      if (stopped) break;
      polled = polling;
    }
    fetch_sent current;
    if (ahead) {
      current = std::move(*ahead);
      ahead.reset();
    } else {
      // Like Kafka's consumer, fetch only once the application polls, so an assign followed by
      // a seek does not fetch from a position about to be replaced.
      if (!polled) {
        co_await pause(std::chrono::seconds(1));
        continue;
      }
      const bool positioned = co_await reset_positions();
      // Partitions still without a position get their ListOffsets again after retry_backoff, so
      // the fetch for the others may not wait longer than that at the broker.
      const auto max_wait = positioned ? config.fetch_max_wait
                                       : std::min(config.fetch_max_wait, config.retry_backoff);
      v1::RequestMeta meta;
      {
        std::lock_guard lock(mu);
        waiting_for_room = buffer_full();
        if (!waiting_for_room) meta = fetch_request(max_wait, {}, {}, current.asked);
      }
      if (current.asked.empty()) {
        co_await pause(positioned ? std::chrono::milliseconds(
                                        std::max<int64_t>(config.fetch_max_wait.count(), 10))
                                  : config.retry_backoff);
        continue;
      }
      auto sent = co_await conn.send(std::move(meta));
      if (!sent) {
        take_fetched(result<response>(sent.error()), current.asked);
        co_await pause(config.retry_backoff);
        continue;
      }
      current.request = std::move(sent).value();
    }
    if (auto head = co_await conn.head(current.request)) {
      fetch_sent next;
      std::optional<v1::RequestMeta> meta;
      {
        std::lock_guard lock(mu);
        meta = fetch_after(head.value(), current.asked, next.asked);
      }
      if (meta) {
        if (auto sent = co_await conn.send(std::move(*meta))) {
          next.request = std::move(sent).value();
          ahead = std::move(next);
        }
      }
    }
    if (!take_fetched(co_await conn.receive(current.request), current.asked)) {
      co_await pause(config.retry_backoff);
    }
  }
}

}  // namespace sluice::client
