#include <random>

#include "client/errors.h"
#include "client/partitioner.h"
#include "client/producer_impl.h"

namespace sluice::client {

std::optional<int> parse_acks(std::string_view text) noexcept {
  if (text == "0") return 0;
  if (text == "1") return 1;
  if (text == "all" || text == "-1") return -1;
  return std::nullopt;
}
namespace {

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

size_t record_bytes(const producer_record& r) {
  size_t n = 24 + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
  for (const auto& [k, v] : r.headers)
    n += 8 + k.size() + (v ? v->size() : 0);
  return n;
}

std::optional<proto::bytes_view> bytes(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return proto::bytes_view(reinterpret_cast<const std::byte*>(s->data()), s->size());
}

}  // namespace

producer::impl::impl(producer_config c)
    : config(std::move(c)),
      conn(rt.executor(), config),
      wake(rt.executor(), steady::time_point::max()) {
  if (config.acks != -1) config.idempotence = false;
  asio::co_spawn(rt.executor(), sender(), asio::detached);
}

void producer::impl::wake_sender() {
  asio::post(rt.executor(), [this] { wake.cancel(); });
}

result<void> producer::impl::load_topic(const std::string& topic) {
  if (rt.on_runtime_thread()) {
    return make_error(
        errc::invalid_argument,
        "send() from a delivery callback needs the topic's metadata loaded; send to " + topic +
            " from an application thread first");
  }
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::METADATA);
  meta.mutable_metadata()->add_topics(topic);
  auto resp =
      rt.run([this, meta]() -> awaitable<result<response>> { co_return co_await conn.call(meta); });
  if (!resp) return resp.error();
  const auto& answered = resp.value().meta.metadata().topics();
  if (answered.size() != 1)
    return make_error(errc::protocol_error, "Metadata answered for no topic");
  if (answered[0].error().code() != v1::NONE) return broker_error(answered[0].error());
  auto count = static_cast<int32_t>(answered[0].partitions_size());
  if (count == 0) return make_error(errc::protocol_error, "topic " + topic + " has no partitions");
  std::lock_guard lock(mu);
  auto& ts = topics[topic];  // another thread may have loaded it meanwhile
  if (ts.partitions.empty()) ts.partitions.resize(static_cast<size_t>(count));
  return success();
}

result<std::optional<int32_t>> producer::impl::fixed_partition(const producer_record& r,
                                                               int32_t partitions) {
  if (r.partition) {
    if (*r.partition < 0 || *r.partition >= partitions) {
      return make_error(errc::invalid_argument, "topic " + r.topic + " has partitions 0.." +
                                                    std::to_string(partitions - 1) + ", not " +
                                                    std::to_string(*r.partition));
    }
    return std::optional<int32_t>(*r.partition);
  }
  if (r.key) return std::optional<int32_t>(partition_for_key(*r.key, partitions));
  return std::optional<int32_t>();
}

int32_t producer::impl::sticky_partition(topic_state& topic, size_t size) {
  const auto count = static_cast<int32_t>(topic.partitions.size());
  if (topic.sticky < 0)
    topic.sticky = static_cast<int32_t>(std::random_device{}() % static_cast<unsigned>(count));
  auto& ps = topic.partitions[static_cast<size_t>(topic.sticky)];
  if (topic.sticky_records > 0 && needs_new_batch(ps, size)) {
    if (!ps.open.empty()) {  // full rather than sent on linger: send it now
      ps.open.back()->full = true;
      wake_sender();
    }
    topic.sticky = (topic.sticky + 1) % count;
    topic.sticky_records = 0;
  }
  ++topic.sticky_records;
  return topic.sticky;
}

producer::producer(producer_config config) : impl_(std::make_unique<impl>(std::move(config))) {}

producer::~producer() {
  close();
}

result<void> producer::send(const producer_record& record, delivery_callback done) {
  auto& d = *impl_;
  const int64_t timestamp = record.timestamp.value_or(now_ms());
  const size_t size = record_bytes(record);
  std::vector<proto::header_view> headers;
  headers.reserve(record.headers.size());
  for (const auto& [k, v] : record.headers)
    headers.push_back({k, bytes(v)});

  std::unique_lock lock(d.mu);
  if (d.closed) return make_error(errc::closed, "the producer is closed");
  auto* entry = d.loaded_topic(record.topic);
  if (entry == nullptr) {
    lock.unlock();
    SLUICE_TRY(d.load_topic(record.topic));
    lock.lock();
    entry = d.loaded_topic(record.topic);
  }
  auto& topic = entry->second;
  SLUICE_TRY(fixed, d.fixed_partition(record, static_cast<int32_t>(topic.partitions.size())));
  std::optional<steady::time_point> deadline;
  while (d.memory_used > 0 && d.memory_used + size > d.config.buffer_memory) {
    if (!deadline) deadline = steady::now() + d.config.max_block;
    if (d.rt.on_runtime_thread() ||
        d.space.wait_until(lock, *deadline) == std::cv_status::timeout) {
      return make_error(errc::buffer_full, "the producer buffer (" +
                                               std::to_string(d.config.buffer_memory) +
                                               " bytes) stayed full for max_block");
    }
  }
  if (d.closed) return make_error(errc::closed, "the producer is closed");
  const int32_t partition = fixed ? *fixed : d.sticky_partition(topic, size);
  auto& ps = topic.partitions[static_cast<size_t>(partition)];
  const bool new_batch = d.needs_new_batch(ps, size);
  if (new_batch) {
    ps.open.push_back(
        std::make_unique<open_batch>(proto::batch_options{.compression = d.config.compression}));
    if (!d.spare_buffers.empty() && size <= d.config.batch_size) {
      ps.open.back()->builder.adopt(std::move(d.spare_buffers.back()));
      d.spare_buffers.pop_back();
    } else {
      ps.open.back()->builder.reserve(std::max(d.config.batch_size, size));
    }
    ps.open.back()->created = steady::now();
    d.mark_pending(*entry, partition);
  }
  auto& b = *ps.open.back();
  b.builder.append(timestamp, bytes(record.key), bytes(record.value), headers);
  b.callbacks.push_back(std::move(done));
  b.timestamps.push_back(timestamp);
  b.memory += size;
  d.memory_used += size;
  ++d.queued_records;
  const bool full = b.builder.size_estimate() >= d.config.batch_size;
  lock.unlock();
  if (new_batch || full) d.wake_sender();
  return success();
}

std::future<result<record_metadata>> producer::send(const producer_record& record) {
  auto promise = std::make_shared<std::promise<result<record_metadata>>>();
  auto future = promise->get_future();
  auto queued =
      send(record, [promise](const result<record_metadata>& r) { promise->set_value(r); });
  if (!queued) promise->set_value(queued.error());
  return future;
}

void producer::flush() {
  auto& d = *impl_;
  if (d.rt.on_runtime_thread()) return;
  std::unique_lock lock(d.mu);
  d.flushing = true;
  d.wake_sender();
  d.idle.wait(lock, [&] { return d.queued_records == 0; });
  d.flushing = false;
}

void producer::close() {
  auto& d = *impl_;
  if (d.rt.on_runtime_thread()) {
    std::lock_guard lock(d.mu);
    d.closed = true;  // from a callback: refuse sends; the destructor finishes the job
    return;
  }
  std::lock_guard closing(d.close_mu);
  {
    std::lock_guard lock(d.mu);
    if (d.stopped) return;
    d.closed = true;  // before flushing, so nothing queued after the flush is left behind
  }
  flush();
  {
    std::lock_guard lock(d.mu);
    d.stopped = true;
  }
  d.rt.run([&d]() -> awaitable<void> {
    d.conn.close();
    d.wake.cancel();
    co_return;
  });
  d.rt.stop();
}

uint64_t producer::delivered() const {
  std::lock_guard lock(impl_->mu);
  return impl_->delivered;
}

uint64_t producer::failed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->failed;
}

}  // namespace sluice::client
