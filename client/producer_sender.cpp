// The producer's network side, on its runtime thread: closes due batches, sends them in
// pipelined Produce requests, and completes, retries or fails each batch from the response.
#include "client/errors.h"
#include "client/producer_impl.h"

namespace sluice::client {
namespace {

int32_t add_sequence(int32_t seq, int32_t n) {
  int64_t next = int64_t{seq} + n;
  return static_cast<int32_t>(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}

}  // namespace

std::vector<std::shared_ptr<ready_batch>> producer::impl::drain(steady::time_point now,
                                                                steady::time_point& next_wake) {
  struct closing {
    std::string topic;
    int32_t partition;
    std::unique_ptr<open_batch> batch;
    int32_t sequence;
  };
  std::vector<closing> to_build;
  std::vector<closing> expired;
  std::vector<std::shared_ptr<ready_batch>> out;
  {
    std::lock_guard lock(mu);
    const bool can_sequence = !config.idempotence || producer_id >= 0;
    for (auto& [key, ps] : partitions) {
      // Without a producer id nothing can be sent; records still fail on time.
      while (!can_sequence && !ps.open.empty() &&
             now >= ps.open.front()->created + config.delivery_timeout) {
        expired.push_back({key.first, key.second, std::move(ps.open.front()), -1});
        ps.open.pop_front();
        ++ps.in_flight;
      }
      if (!ps.retry.empty()) {
        // Retries go first and alone, so sequence numbers reach the broker in order.
        if (ps.in_flight == 0) {
          if (ps.retry.front()->not_before <= now) {
            for (auto& b : ps.retry)
              out.push_back(b);
            ps.in_flight += static_cast<int>(ps.retry.size());
            ps.retry.clear();
          } else {
            next_wake = std::min(next_wake, ps.retry.front()->not_before);
          }
        }
        continue;
      }
      while (!ps.open.empty() && can_sequence && ps.in_flight < config.max_in_flight) {
        auto& ob = *ps.open.front();
        bool due = flushing || ps.open.size() > 1 ||
                   ob.builder.size_estimate() >= config.batch_size ||
                   now - ob.created >= config.linger;
        if (!due) {
          next_wake = std::min(next_wake, ob.created + config.linger);
          break;
        }
        int32_t seq = -1;
        if (config.idempotence) {
          seq = ps.next_sequence;
          ps.next_sequence = add_sequence(seq, ob.builder.record_count());
        }
        to_build.push_back({key.first, key.second, std::move(ps.open.front()), seq});
        ps.open.pop_front();
        ++ps.in_flight;
      }
    }
  }
  for (auto& c : expired) {
    ready_batch rb;
    rb.topic = std::move(c.topic);
    rb.partition = c.partition;
    rb.records = c.batch->builder.record_count();
    rb.callbacks = std::move(c.batch->callbacks);
    rb.memory = c.batch->memory;
    complete(rb,
             result<record_metadata>(make_error(
                 errc::timed_out, "no producer id from the broker within the delivery timeout")),
             -1, -1);
  }
  // Compression and CRC outside the lock: send() goes on meanwhile.
  for (auto& c : to_build) {
    auto rb = std::make_shared<ready_batch>();
    rb->topic = std::move(c.topic);
    rb->partition = c.partition;
    rb->records = c.batch->builder.record_count();
    rb->base_sequence = c.sequence;
    rb->callbacks = std::move(c.batch->callbacks);
    rb->timestamps = std::move(c.batch->timestamps);
    rb->memory = c.batch->memory;
    rb->deadline = c.batch->created + config.delivery_timeout;
    if (config.idempotence) c.batch->builder.set_producer(producer_id, producer_epoch, c.sequence);
    auto built = c.batch->builder.build();
    if (!built) {
      retry_or_fail(std::move(rb), built.error());
      continue;
    }
    rb->bytes = std::move(built).value();
    out.push_back(std::move(rb));
  }
  return out;
}

void producer::impl::complete(ready_batch& b, const result<record_metadata>& first,
                              int64_t base_offset, int64_t log_append_time) {
  {
    std::lock_guard lock(mu);
    auto& ps = partitions[{b.topic, b.partition}];
    --ps.in_flight;
    memory_used -= b.memory;
    queued_records -= static_cast<size_t>(b.records);
    (first ? delivered : failed) += static_cast<uint64_t>(b.records);
  }
  space.notify_all();
  for (size_t i = 0; i < b.callbacks.size(); ++i) {
    if (!b.callbacks[i]) continue;
    if (!first) {
      b.callbacks[i](first);
      continue;
    }
    int64_t ts = log_append_time >= 0 ? log_append_time : b.timestamps[i];
    int64_t off = base_offset < 0 ? -1 : base_offset + static_cast<int64_t>(i);
    b.callbacks[i](record_metadata{b.topic, b.partition, off, ts});
  }
  std::lock_guard lock(mu);
  if (queued_records == 0) idle.notify_all();
}

void producer::impl::retry_or_fail(std::shared_ptr<ready_batch> b, const error& e) {
  const auto now = steady::now();
  {
    std::lock_guard lock(mu);
    auto& ps = partitions[{b->topic, b->partition}];
    // A sequence gap right after a batch that waits for its retry is that batch's doing.
    bool gap_behind_retry = wire_code(e) == v1::OUT_OF_ORDER_SEQUENCE_NUMBER && !ps.retry.empty();
    if ((retriable(e) || gap_behind_retry) && now < b->deadline && !stopped) {
      --ps.in_flight;
      ++b->attempts;
      b->not_before = now + config.retry_backoff;
      auto at = std::find_if(ps.retry.begin(), ps.retry.end(), [&](const auto& other) {
        return other->base_sequence > b->base_sequence;
      });
      ps.retry.insert(at, std::move(b));
      return;
    }
  }
  error final = e;
  if (now >= b->deadline && retriable(e)) {
    final.message = "not delivered within the delivery timeout (last error: " + e.message + ")";
    final.code = make_error_code(errc::timed_out);
  }
  complete(*b, result<record_metadata>(final), -1, -1);
}

awaitable<void> producer::impl::send_request(std::vector<std::shared_ptr<ready_batch>> batches) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::PRODUCE);
  auto* req = meta.mutable_produce();
  req->set_acks(config.acks);
  req->set_timeout_ms(static_cast<uint32_t>(config.request_timeout.count()));
  std::vector<std::byte> data;
  std::map<std::string, v1::ProduceRequest::Topic*> topics;
  for (const auto& b : batches) {
    auto*& t = topics[b->topic];
    if (t == nullptr) {
      t = req->add_topics();
      t->set_name(b->topic);
    }
    auto* p = t->add_partitions();
    p->set_partition(b->partition);
    p->set_data_offset(data.size());
    p->set_data_length(static_cast<uint32_t>(b->bytes.size()));
    data.insert(data.end(), b->bytes.begin(), b->bytes.end());
  }
  auto resp = co_await conn.call(std::move(meta), data, config.acks != 0);
  {
    std::lock_guard lock(mu);
    --requests_in_flight;
  }
  if (!resp) {
    for (auto& b : batches)
      retry_or_fail(b, resp.error());
  } else if (config.acks == 0) {
    for (auto& b : batches)
      complete(*b, result<record_metadata>(record_metadata{}), -1, -1);
  } else {
    std::map<std::pair<std::string, int32_t>, const v1::ProduceResponse::Partition*> answers;
    for (const auto& t : resp.value().meta.produce().topics()) {
      for (const auto& p : t.partitions())
        answers[{t.name(), p.partition()}] = &p;
    }
    for (auto& b : batches) {
      auto it = answers.find({b->topic, b->partition});
      if (it == answers.end()) {
        retry_or_fail(b, make_error(errc::protocol_error, "no answer for " + b->topic + "-" +
                                                              std::to_string(b->partition)));
      } else if (it->second->error().code() != v1::NONE) {
        retry_or_fail(b, broker_error(it->second->error()));
      } else {
        complete(*b, result<record_metadata>(record_metadata{}), it->second->base_offset(),
                 it->second->log_append_time());
      }
    }
  }
  wake.cancel();
}

awaitable<void> producer::impl::sender() {
  while (true) {
    {
      std::lock_guard lock(mu);
      if (stopped) break;
    }
    if (config.idempotence && producer_id < 0) {
      v1::RequestMeta meta;
      meta.mutable_header()->set_api_key(v1::INIT_PRODUCER_ID);
      meta.mutable_init_producer_id();
      auto resp = co_await conn.call(std::move(meta));
      if (resp) {
        std::lock_guard lock(mu);
        producer_id = resp.value().meta.init_producer_id().producer_id();
        producer_epoch =
            static_cast<int16_t>(resp.value().meta.init_producer_id().producer_epoch());
      }
    }
    const auto now = steady::now();
    auto next_wake = steady::time_point::max();
    if (config.idempotence && producer_id < 0) next_wake = now + config.retry_backoff;
    auto batches = drain(now, next_wake);
    size_t start = 0;
    while (start < batches.size()) {
      {
        std::unique_lock lock(mu);
        if (requests_in_flight >= config.max_in_flight) {
          lock.unlock();
          wake.expires_at(steady::time_point::max());
          error_code ignored;
          co_await wake.async_wait(into(ignored));
          continue;
        }
        ++requests_in_flight;
      }
      std::vector<std::shared_ptr<ready_batch>> group;
      size_t bytes = 0;
      while (start < batches.size() &&
             (group.empty() || bytes + batches[start]->bytes.size() <= config.max_request_size)) {
        bytes += batches[start]->bytes.size();
        group.push_back(batches[start++]);
      }
      asio::co_spawn(rt.executor(), send_request(std::move(group)), asio::detached);
    }
    if (!batches.empty()) continue;
    wake.expires_at(next_wake);
    error_code ignored;
    co_await wake.async_wait(into(ignored));
  }
}

}  // namespace sluice::client
