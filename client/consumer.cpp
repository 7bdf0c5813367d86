#include "client/consumer.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "client/connection.h"
#include "client/errors.h"
#include "client/runtime.h"
#include "proto/batch_reader.h"
#include "proto/frame.h"

namespace sluice::client {
namespace {

std::string text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace

struct consumer::impl {
  struct partition_state {
    std::optional<int64_t> fetch_position;  // next offset to fetch; nullopt: to be reset
    int64_t position = -1;                  // next offset poll() hands out
    uint64_t generation = 0;  // new on assign and seek: stale fetch results are dropped
    int64_t high_watermark = -1;
    std::deque<consumer_record> buffered;
  };

  explicit impl(consumer_config c)
      : config(std::move(c)), conn(rt.executor(), config), wake(rt.executor()) {
    asio::co_spawn(rt.executor(), fetch_loop(), asio::detached);
  }

  void wake_fetcher() {
    asio::post(rt.executor(), [this] { wake.cancel(); });
  }

  awaitable<void> pause(std::chrono::milliseconds d) {
    wake.expires_after(d);
    error_code ignored;
    co_await wake.async_wait(into(ignored));
  }

  // ListOffsets for `tps` by `spec` (and `ts`), on the runtime thread.
  awaitable<result<std::map<topic_partition, int64_t>>> list_offsets(
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

  // Gives partitions without a position one, by auto_offset_reset.
  awaitable<void> reset_positions() {
    std::vector<topic_partition> need;
    {
      std::lock_guard lock(mu);
      for (auto& [tp, st] : parts) {
        if (!st.fetch_position) need.push_back(tp);
      }
    }
    if (need.empty()) co_return;
    if (config.auto_offset_reset == "none") {
      std::lock_guard lock(mu);
      error_once =
          make_error(errc::invalid_argument, "no position for " + need.front().topic + "-" +
                                                 std::to_string(need.front().partition) +
                                                 " and auto_offset_reset is none");
      for (const auto& tp : need)
        parts[tp].fetch_position = -1;  // parked until a seek
      data_ready.notify_all();
      co_return;
    }
    auto spec = config.auto_offset_reset == "earliest" ? v1::EARLIEST : v1::LATEST;
    auto offsets = co_await list_offsets(need, spec, -1);
    std::lock_guard lock(mu);
    if (!offsets) {
      if (!retriable(offsets.error())) error_once = offsets.error();
      data_ready.notify_all();
      co_return;
    }
    for (const auto& [tp, off] : offsets.value()) {
      auto it = parts.find(tp);
      if (it == parts.end() || it->second.fetch_position) continue;
      it->second.fetch_position = off;
      it->second.position = off;
    }
  }

  // Decodes one partition's slice of a fetch response into its buffer. REQUIRES: mu held.
  void absorb(const topic_partition& tp, partition_state& st, std::span<const std::byte> slice) {
    proto::batch_iterator batches(slice);
    int64_t next = *st.fetch_position;
    while (true) {
      auto batch = batches.next();
      if (!batch) {
        error_once =
            make_error(errc::protocol_error, tp.topic + "-" + std::to_string(tp.partition) + ": " +
                                                 batch.error().message);
        break;
      }
      if (!batch.value()) break;
      const auto& h = batch.value()->header;
      if (!h.is_control()) {
        auto records = proto::record_iterator::open(*batch.value());
        if (!records) {
          error_once = make_error(errc::protocol_error, records.error().message);
          break;
        }
        while (true) {
          auto r = records.value().next();
          if (!r) {
            error_once = make_error(errc::protocol_error, r.error().message);
            break;
          }
          if (!r.value()) break;
          const auto& rec = *r.value();
          if (rec.record_offset.value < next) continue;
          consumer_record out;
          out.topic = tp.topic;
          out.partition = tp.partition;
          out.offset = rec.record_offset.value;
          out.timestamp = rec.timestamp;
          out.log_append_time = h.ts_type() == proto::timestamp_type::log_append_time;
          if (rec.key) out.key = text(*rec.key);
          if (rec.value) out.value = text(*rec.value);
          for (const auto& hv : rec.headers()) {
            out.headers.push_back(
                {std::string(hv.key),
                 hv.value ? std::optional<std::string>(text(*hv.value)) : std::nullopt});
          }
          st.buffered.push_back(std::move(out));
          ++buffered_total;
        }
      }
      next = std::max(next, h.next_offset().value);
    }
    st.fetch_position = next;
  }

  awaitable<void> fetch_loop() {
    while (true) {
      bool polled = false;
      {
        std::lock_guard lock(mu);
        if (stopped) break;
        polled = polling;
      }
      // Like Kafka's consumer, fetch only once the application polls, so an assign followed by
      // a seek does not fetch from a position about to be replaced.
      if (!polled) {
        co_await pause(std::chrono::seconds(1));
        continue;
      }
      co_await reset_positions();
      v1::RequestMeta meta;
      meta.mutable_header()->set_api_key(v1::FETCH);
      auto* req = meta.mutable_fetch();
      req->set_max_wait_ms(static_cast<uint32_t>(config.fetch_max_wait.count()));
      req->set_min_bytes(config.fetch_min_bytes);
      req->set_max_bytes(config.fetch_max_bytes);
      std::map<topic_partition, std::pair<uint64_t, int64_t>> asked;  // generation, offset
      {
        std::lock_guard lock(mu);
        std::map<std::string, v1::FetchRequest::Topic*> topics;
        if (buffered_total < config.max_buffered_records) {
          for (auto& [tp, st] : parts) {
            if (!st.fetch_position || *st.fetch_position < 0) continue;
            auto*& t = topics[tp.topic];
            if (t == nullptr) {
              t = req->add_topics();
              t->set_name(tp.topic);
            }
            auto* p = t->add_partitions();
            p->set_partition(tp.partition);
            p->set_fetch_offset(*st.fetch_position);
            p->set_max_bytes(config.max_partition_fetch_bytes);
            asked[tp] = {st.generation, *st.fetch_position};
          }
        }
      }
      if (asked.empty()) {
        co_await pause(
            std::chrono::milliseconds(std::max<int64_t>(config.fetch_max_wait.count(), 10)));
        continue;
      }
      auto resp = co_await conn.call(std::move(meta));
      if (!resp) {
        {
          std::lock_guard lock(mu);
          if (!retriable(resp.error())) error_once = resp.error();
          data_ready.notify_all();
        }
        co_await pause(config.retry_backoff);
        continue;
      }
      bool errored = false;
      {
        std::lock_guard lock(mu);
        const auto& r = resp.value();
        for (const auto& t : r.meta.fetch().topics()) {
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
              st.fetch_position.reset();
              buffered_total -= st.buffered.size();
              st.buffered.clear();
              continue;
            }
            if (p.error().code() != v1::NONE) {
              error_once = broker_error(p.error());
              errored = true;
              continue;
            }
            auto slice = proto::data_slice(r.data, p.data_offset(), p.data_length());
            if (!slice) {
              error_once = make_error(errc::protocol_error, slice.error().message);
              errored = true;
              continue;
            }
            absorb(tp, st, slice.value());
          }
        }
        data_ready.notify_all();
      }
      if (errored) co_await pause(config.retry_backoff);
    }
  }

  consumer_config config;
  runtime rt;
  connection conn;
  asio::steady_timer wake;

  mutable std::mutex mu;
  std::condition_variable data_ready;
  std::map<topic_partition, partition_state> parts;
  size_t buffered_total = 0;
  size_t next_partition = 0;     // round-robin start for poll()
  uint64_t next_generation = 0;  // partition states never share a generation
  std::optional<error> error_once;
  bool polling = false;  // poll() has been called: fetching may start
  bool stopped = false;
};

consumer::consumer(consumer_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

consumer::~consumer() {
  close();
}

void consumer::close() {
  auto& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.stopped) return;
    d.stopped = true;
  }
  d.rt.run([&d]() -> awaitable<void> {
    d.conn.close();
    d.wake.cancel();
    co_return;
  });
  d.rt.stop();
}

result<void> consumer::assign(const std::vector<topic_partition>& partitions) {
  auto& d = *impl_;
  std::lock_guard lock(d.mu);
  std::map<topic_partition, impl::partition_state> next;
  for (const auto& tp : partitions) {
    auto it = d.parts.find(tp);
    if (it != d.parts.end()) {
      next[tp] = std::move(it->second);
    } else {
      next[tp].generation = ++d.next_generation;
    }
  }
  d.parts = std::move(next);
  d.buffered_total = 0;
  for (const auto& [_, st] : d.parts)
    d.buffered_total += st.buffered.size();
  d.wake_fetcher();
  return success();
}

std::vector<topic_partition> consumer::assignment() const {
  std::lock_guard lock(impl_->mu);
  std::vector<topic_partition> out;
  for (const auto& [tp, _] : impl_->parts)
    out.push_back(tp);
  return out;
}

result<void> consumer::seek(const topic_partition& tp, int64_t offset) {
  auto& d = *impl_;
  std::lock_guard lock(d.mu);
  auto it = d.parts.find(tp);
  if (it == d.parts.end()) {
    return make_error(errc::invalid_argument,
                      tp.topic + "-" + std::to_string(tp.partition) + " is not assigned");
  }
  d.buffered_total -= it->second.buffered.size();
  it->second.buffered.clear();
  it->second.fetch_position = offset;
  it->second.position = offset;
  it->second.generation = ++d.next_generation;
  d.wake_fetcher();
  return success();
}

namespace {

std::vector<topic_partition> or_all(const std::vector<topic_partition>& tps,
                                    const std::vector<topic_partition>& all) {
  return tps.empty() ? all : tps;
}

}  // namespace

result<void> consumer::seek_to_beginning(const std::vector<topic_partition>& partitions) {
  auto tps = or_all(partitions, assignment());
  auto offsets = impl_->rt.run([&]() { return impl_->list_offsets(tps, v1::EARLIEST, -1); });
  if (!offsets) return offsets.error();
  for (const auto& [tp, off] : offsets.value())
    SLUICE_TRY(seek(tp, off));
  return success();
}

result<void> consumer::seek_to_end(const std::vector<topic_partition>& partitions) {
  auto tps = or_all(partitions, assignment());
  auto offsets = impl_->rt.run([&]() { return impl_->list_offsets(tps, v1::LATEST, -1); });
  if (!offsets) return offsets.error();
  for (const auto& [tp, off] : offsets.value())
    SLUICE_TRY(seek(tp, off));
  return success();
}

result<void> consumer::seek_to_timestamp(int64_t timestamp_ms,
                                         const std::vector<topic_partition>& partitions) {
  auto tps = or_all(partitions, assignment());
  auto found =
      impl_->rt.run([&]() { return impl_->list_offsets(tps, v1::TIMESTAMP, timestamp_ms); });
  if (!found) return found.error();
  auto ends = impl_->rt.run([&]() { return impl_->list_offsets(tps, v1::LATEST, -1); });
  if (!ends) return ends.error();
  for (const auto& tp : tps) {
    int64_t off = found.value().count(tp) ? found.value().at(tp) : -1;
    SLUICE_TRY(seek(tp, off >= 0 ? off : ends.value()[tp]));
  }
  return success();
}

result<std::vector<consumer_record>> consumer::poll(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  std::unique_lock lock(d.mu);
  if (!d.polling) {
    d.polling = true;
    d.wake_fetcher();
  }
  d.data_ready.wait_for(lock, timeout,
                        [&] { return d.buffered_total > 0 || d.error_once || d.stopped; });
  if (d.error_once) {
    error e = *d.error_once;
    d.error_once.reset();
    return e;
  }
  std::vector<consumer_record> out;
  if (d.parts.empty()) return out;
  // Round-robin over partitions so one busy partition does not starve the others.
  std::vector<impl::partition_state*> order;
  for (auto& [_, st] : d.parts)
    order.push_back(&st);
  const size_t start = d.next_partition++ % order.size();
  for (size_t i = 0; i < order.size() && out.size() < d.config.max_poll_records; ++i) {
    auto& st = *order[(start + i) % order.size()];
    while (!st.buffered.empty() && out.size() < d.config.max_poll_records) {
      st.position = st.buffered.front().offset + 1;
      out.push_back(std::move(st.buffered.front()));
      st.buffered.pop_front();
      --d.buffered_total;
    }
  }
  if (!out.empty()) d.wake_fetcher();
  return out;
}

std::optional<int64_t> consumer::position(const topic_partition& tp) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->parts.find(tp);
  if (it == impl_->parts.end()) return std::nullopt;
  const auto& st = it->second;
  // Past batches with nothing to hand out (control batches, compacted gaps) too.
  if (st.buffered.empty() && st.fetch_position && *st.fetch_position >= 0)
    return *st.fetch_position;
  if (st.position < 0) return std::nullopt;
  return st.position;
}

std::optional<int64_t> consumer::high_watermark(const topic_partition& tp) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->parts.find(tp);
  if (it == impl_->parts.end() || it->second.high_watermark < 0) return std::nullopt;
  return it->second.high_watermark;
}

}  // namespace sluice::client
