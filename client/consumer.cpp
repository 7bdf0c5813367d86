// The consumer's application side: assignment, seeks, poll.
#include "client/consumer.h"

#include <algorithm>

#include "client/consumer_impl.h"
#include "client/errors.h"

namespace sluice::client {

consumer::consumer(consumer_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

consumer::~consumer() {
  close();
}

void consumer::close() {
  auto& d = *impl_;
  bool in_group = false;
  {
    std::lock_guard lock(d.mu);
    if (d.stopped) return;
    in_group = d.subscribed;
  }
  if (in_group) {
    if (d.config.enable_auto_commit) (void)commit_sync();
    {
      // The leave is the member's last word: a heartbeat after it would be refused as unknown
      // and the loop would rejoin, leaving a member behind that nobody runs.
      std::lock_guard lock(d.mu);
      d.heartbeats_done = true;
    }
    d.leave();
  }
  {
    std::lock_guard lock(d.mu);
    d.subscribed = false;
    d.stopped = true;
    d.data_ready.notify_all();
  }
  d.rt.run([&d]() -> awaitable<void> {
    d.conn.close();
    d.group_conn.close();
    d.wake.cancel();
    d.heartbeat_wake.cancel();
    co_return;
  });
  d.rt.stop();
}

result<void> consumer::assign(const std::vector<topic_partition>& partitions) {
  auto& d = *impl_;
  std::lock_guard lock(d.mu);
  if (d.subscribed) {
    return make_error(errc::invalid_argument,
                      "the consumer is subscribed to a group: its partitions come from the group");
  }
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
  d.buffered_bytes = 0;
  for (const auto& [_, st] : d.parts) {
    const auto held = st.held();
    d.buffered_total += held.records;
    d.buffered_bytes += held.bytes;
  }
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
  d.refetch(it->second, offset);
  it->second.position = offset;
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
  // Copied after the views are taken, so the copies are not made under the mutex.
  SLUICE_TRY(views, poll_views(timeout));
  std::vector<consumer_record> out;
  out.reserve(views.size());
  for (const auto& v : views)
    out.push_back(v.to_record());
  return out;
}

result<record_views> consumer::poll_views(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  SLUICE_TRY(d.reconcile());
  bool commit_due = false;
  {
    std::lock_guard lock(d.mu);
    const auto now = std::chrono::steady_clock::now();
    commit_due = d.subscribed && d.config.enable_auto_commit &&
                 now - d.last_auto_commit >= d.config.auto_commit_interval;
    if (commit_due) d.last_auto_commit = now;
  }
  if (commit_due) commit_async();
  std::unique_lock lock(d.mu);
  if (!d.polling) {
    d.polling = true;
    d.wake_fetcher();
  }
  auto rebalance_due = [&] { return d.subscribed && (d.target != d.owned || !d.lost.empty()); };
  d.data_ready.wait_until(lock, deadline, [&] {
    return d.buffered_total > 0 || d.error_once || d.stopped || rebalance_due();
  });
  if (rebalance_due()) {
    // Partitions came or went while waiting: bring them in line before handing out records.
    lock.unlock();
    SLUICE_TRY(d.reconcile());
    lock.lock();
  }
  if (d.error_once) {
    error e = *d.error_once;
    d.error_once.reset();
    return e;
  }
  record_views out;
  out.records_.reserve(std::min(d.config.max_poll_records, d.buffered_total));
  // The records' memory stays with `out`, so nothing is freed here under mu.
  d.hand_out(out.records_, out.memory_);
  bool decoded = false;
  while (out.records_.size() < d.config.max_poll_records && d.decode_fetched(lock)) {
    decoded = true;
    d.hand_out(out.records_, out.memory_);
  }
  if (!out.empty() || decoded) d.room_freed();
  return out;
}

void consumer::impl::hand_out(std::vector<consumer_record_view>& records,
                              std::vector<std::shared_ptr<const slice_memory>>& memory) {
  if (parts.empty()) return;
  // Round-robin over partitions so one busy partition does not starve the others.
  std::vector<partition_state*> order;
  order.reserve(parts.size());
  for (auto& [_, st] : parts)
    order.push_back(&st);
  const size_t start = next_partition++ % order.size();
  for (size_t i = 0; i < order.size() && records.size() < config.max_poll_records; ++i) {
    auto& st = *order[(start + i) % order.size()];
    while (!st.buffered.empty() && records.size() < config.max_poll_records) {
      auto& front = st.buffered.front();
      if (memory.empty() || memory.back() != front.memory) memory.push_back(front.memory);
      const auto& r = front.records[front.next];
      records.push_back(r);  // first: if it throws, nothing has moved
      ++front.next;
      st.position = r.offset + 1;
      --buffered_total;
      if (front.left() == 0) {
        buffered_bytes -= front.bytes;
        if (spare_views.size() < max_spare_views &&
            front.records.capacity() * sizeof(consumer_record_view) <= max_spare_view_bytes) {
          spare_views.push_back(std::move(front.records));  // emptied outside mu, by decode_slice
        }
        st.buffered.pop_front();
      }
    }
  }
}

bool consumer::impl::decode_fetched(std::unique_lock<std::mutex>& lock) {
  struct job {
    topic_partition tp;
    uint64_t generation;
    uint64_t id;
    fetched_slice slice;
    std::vector<consumer_record_view> storage;  // a handed-out slice's, to use again
    decoded_slice decoded;
  };
  std::vector<job> jobs;
  for (auto& [tp, st] : parts) {
    if (st.decoding != 0 || !st.buffered.empty() || st.fetched.empty()) continue;
    st.decoding = ++next_generation;
    buffered_total -= st.fetched.front().records;
    buffered_bytes -= st.fetched.front().batches.size();
    jobs.push_back({tp, st.generation, st.decoding, std::move(st.fetched.front()), {}, {}});
    if (!spare_views.empty()) {
      jobs.back().storage = std::move(spare_views.back());
      spare_views.pop_back();
    }
    st.fetched.pop_front();
  }
  if (jobs.empty()) return false;
  lock.unlock();
  for (auto& j : jobs) {
    j.decoded = decode_slice(j.tp, j.slice, std::move(j.storage));
    j.slice.owner.reset();  // the views' memory keeps the response now
  }
  lock.lock();
  for (auto& j : jobs) {
    auto it = parts.find(j.tp);
    if (it == parts.end()) continue;
    auto& st = it->second;
    if (st.decoding != j.id) continue;  // dropped and assigned again meanwhile
    st.decoding = 0;
    if (st.generation != j.generation) continue;  // sought or reset meanwhile
    if (j.decoded.problem && !error_once) error_once = std::move(j.decoded.problem);
    if (j.decoded.corrupt_at) {
      // Fetched again from the corrupt batch, so poll() reports it until the application seeks
      // past it; what was fetched after it goes.
      refetch(st, j.decoded.corrupt_at);
      wake_fetcher();
    }
    if (j.decoded.records.left() == 0) continue;
    buffered_total += j.decoded.records.left();
    buffered_bytes += j.decoded.records.bytes;
    st.buffered.push_back(std::move(j.decoded.records));
  }
  return true;
}

std::optional<int64_t> consumer::position(const topic_partition& tp) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->parts.find(tp);
  if (it == impl_->parts.end()) return std::nullopt;
  const auto& st = it->second;
  // Past batches with nothing to hand out (control batches, compacted gaps) too.
  if (st.buffered.empty() && st.fetched.empty() && st.decoding == 0 && st.fetch_position &&
      *st.fetch_position >= 0)
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
