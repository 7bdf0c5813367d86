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
    const auto visit = [&](const std::string& topic, int32_t partition, partition_state& ps) {
      // Without a producer id nothing can be sent; records still fail on time.
      while (!can_sequence && !ps.open.empty() &&
             now >= ps.open.front()->created + config.delivery_timeout) {
        expired.push_back({topic, partition, std::move(ps.open.front()), -1});
        ps.open.pop_front();
        ++ps.in_flight;
      }
      if (!ps.retry.empty()) {
        // Retries go first and alone, so sequence numbers reach the broker in order. While a
        // new epoch is needed, only those that may be in the log go (to learn whether they
        // are); the others wait for their new sequence numbers.
        if (ps.in_flight == 0 && can_sequence) {
          if (ps.retry.front()->not_before <= now) {
            std::deque<std::shared_ptr<ready_batch>> keep;
            for (auto& b : ps.retry) {
              if (new_epoch_needed && b->not_appended) {
                keep.push_back(b);
              } else {
                out.push_back(b);
                ++ps.in_flight;
              }
            }
            ps.retry = std::move(keep);
          } else {
            next_wake = std::min(next_wake, ps.retry.front()->not_before);
          }
        }
        return;
      }
      if (new_epoch_needed) return;
      while (!ps.open.empty() && can_sequence && ps.in_flight < config.max_in_flight) {
        auto& ob = *ps.open.front();
        bool due = flushing || ps.open.size() > 1 || ob.full ||
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
        to_build.push_back({topic, partition, std::move(ps.open.front()), seq});
        ps.open.pop_front();
        ++ps.in_flight;
      }
    };
    std::erase_if(pending, [&](const pending_partition& p) {
      visit(*p.topic, p.partition, *p.state);
      p.state->pending = !p.state->open.empty() || !p.state->retry.empty();
      return !p.state->pending;
    });
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
    auto built = c.batch->builder.take();
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
    auto& ps = partition(b.topic, b.partition);
    --ps.in_flight;
    memory_used -= b.memory;
    recycle(std::move(b.bytes));
    (first ? delivered : failed) += static_cast<uint64_t>(b.records);
  }
  space.notify_all();
  if (!first) {
    for (const auto& callback : b.callbacks) {
      if (callback) callback(first);
    }
  } else {
    // One record_metadata for the batch, its offset and timestamp set for each record in turn.
    result<record_metadata> each(
        record_metadata{b.topic, b.partition, -1, -1, std::chrono::system_clock::now()});
    auto& m = each.value();
    for (size_t i = 0; i < b.callbacks.size(); ++i) {
      if (!b.callbacks[i]) continue;
      m.timestamp = log_append_time >= 0 ? log_append_time : b.timestamps[i];
      m.offset = base_offset < 0 ? -1 : base_offset + static_cast<int64_t>(i);
      b.callbacks[i](each);
    }
  }
  // Counted as done only now, so flush() returns after the callbacks of what it waited for.
  std::lock_guard lock(mu);
  queued_records -= static_cast<size_t>(b.records);
  if (queued_records == 0) idle.notify_all();
}

void producer::impl::retry_or_fail(std::shared_ptr<ready_batch> b, const error& e) {
  const auto now = steady::now();
  {
    std::lock_guard lock(mu);
    auto& ps = partition(b->topic, b->partition);
    const bool gap = wire_code(e) == v1::OUT_OF_ORDER_SEQUENCE_NUMBER;
    // A sequence gap behind a batch waiting for its retry, or behind one that failed for good,
    // means this batch is certainly not in the log.
    const bool behind = gap && (!ps.retry.empty() || new_epoch_needed);
    if ((retriable(e) || behind) && now < b->deadline && !stopped) {
      --ps.in_flight;
      ++b->attempts;
      b->not_before = now + config.retry_backoff;
      b->not_appended = behind;
      auto at = std::find_if(ps.retry.begin(), ps.retry.end(), [&](const auto& other) {
        return other->base_sequence > b->base_sequence;
      });
      mark_pending(b->topic, b->partition);
      ps.retry.insert(at, std::move(b));
      return;
    }
    if (config.idempotence && b->base_sequence >= 0) new_epoch_needed = true;
  }
  error final = e;
  if (now >= b->deadline && retriable(e)) {
    final.message = "not delivered within the delivery timeout (last error: " + e.message + ")";
    final.code = make_error_code(errc::timed_out);
  }
  complete(*b, result<record_metadata>(final), -1, -1);
}

bool producer::impl::maybe_start_new_epoch() {
  if (!new_epoch_needed || requests_in_flight > 0) return false;
  for (const auto& [_, ts] : topics) {
    for (const auto& ps : ts.partitions) {
      if (ps.in_flight > 0) return false;
      for (const auto& b : ps.retry) {
        if (!b->not_appended) return false;
      }
    }
  }
  if (producer_epoch == INT16_MAX) {
    producer_id = -1;  // the sender asks for a new id; sequences restart with it
    producer_epoch = -1;
  } else {
    ++producer_epoch;
  }
  for_each_partition([&](const std::string&, int32_t, partition_state& ps) {
    int32_t seq = 0;
    for (auto& b : ps.retry) {
      b->base_sequence = seq;
      if (producer_id >= 0) proto::set_producer_fields(b->bytes, producer_id, producer_epoch, seq);
      seq = add_sequence(seq, b->records);
      b->not_appended = false;
    }
    ps.next_sequence = seq;
  });
  new_epoch_needed = false;
  return true;
}

awaitable<void> producer::impl::send_request(std::vector<std::shared_ptr<ready_batch>> batches) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::PRODUCE);
  auto* req = meta.mutable_produce();
  req->set_acks(config.acks);
  // Half the client's own deadline, so the broker's REQUEST_TIMED_OUT arrives before the client
  // gives up on the connection.
  req->set_timeout_ms(static_cast<uint32_t>(config.request_timeout.count() / 2));
  std::vector<std::span<const std::byte>> data;
  size_t data_size = 0;
  std::map<std::string, int> topics;           // name -> index in the request
  std::vector<std::pair<int, int>> positions;  // each batch's (topic, partition) entry
  for (const auto& b : batches) {
    auto [it, inserted] = topics.try_emplace(b->topic, req->topics_size());
    if (inserted) req->add_topics()->set_name(b->topic);
    auto* t = req->mutable_topics(it->second);
    positions.emplace_back(it->second, t->partitions_size());
    auto* p = t->add_partitions();
    p->set_partition(b->partition);
    p->set_data_offset(data_size);
    p->set_data_length(static_cast<uint32_t>(b->bytes.size()));
    data.emplace_back(b->bytes);
    data_size += b->bytes.size();
  }
  auto resp = co_await conn.call(std::move(meta), std::move(data), config.acks != 0);
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
    // The answer mirrors the request entry for entry (a partition may appear more than once).
    const auto& answer = resp.value().meta.produce();
    for (size_t i = 0; i < batches.size(); ++i) {
      auto& b = batches[i];
      auto [ti, pi] = positions[i];
      const v1::ProduceResponse::Partition* p = nullptr;
      if (ti < answer.topics_size() && pi < answer.topics(ti).partitions_size() &&
          answer.topics(ti).name() == b->topic) {
        p = &answer.topics(ti).partitions(pi);
      }
      if (p == nullptr || p->partition() != b->partition) {
        retry_or_fail(
            b, make_error(errc::protocol_error, "the answer does not match the request for " +
                                                    b->topic + "-" + std::to_string(b->partition)));
      } else if (p->error().code() != v1::NONE) {
        retry_or_fail(b, broker_error(p->error()));
      } else {
        complete(*b, result<record_metadata>(record_metadata{}), p->base_offset(),
                 p->log_append_time());
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
      maybe_start_new_epoch();
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
        // Batches re-sequenced while there was no id carry none yet.
        for_each_partition([&](const std::string&, int32_t, partition_state& ps) {
          for (auto& b : ps.retry) {
            proto::set_producer_fields(b->bytes, producer_id, producer_epoch, b->base_sequence);
          }
        });
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
