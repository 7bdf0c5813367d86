// Internals of the producer, shared by producer.cpp (the application side: send, flush, close)
// and producer_sender.cpp (the network side on the runtime thread).
#pragma once

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include "client/connection.h"
#include "client/producer.h"
#include "client/runtime.h"
#include "proto/batch_builder.h"

namespace sluice::client {

using steady = std::chrono::steady_clock;

// A batch still taking records.
struct open_batch {
  explicit open_batch(proto::batch_options o) : builder(o) {}
  proto::batch_builder builder;
  std::vector<delivery_callback> callbacks;
  std::vector<int64_t> timestamps;
  size_t memory = 0;
  steady::time_point created;
  bool full = false;  // a record did not fit: it goes now, not at linger
};

// A closed batch: built (compressed, CRC set), with its sequence number, until acknowledged.
struct ready_batch {
  std::string topic;
  int32_t partition = 0;
  proto::byte_buffer bytes;
  int32_t records = 0;
  int32_t base_sequence = -1;
  std::vector<delivery_callback> callbacks;
  std::vector<int64_t> timestamps;
  size_t memory = 0;
  steady::time_point deadline;    // delivery timeout
  steady::time_point not_before;  // retry backoff
  int attempts = 0;
  // The broker refused it for a sequence gap: certainly not in the log, so it may be given new
  // sequence numbers when the producer starts a new epoch.
  bool not_appended = false;
};

struct partition_state {
  std::deque<std::unique_ptr<open_batch>> open;    // the last one takes records
  std::deque<std::shared_ptr<ready_batch>> retry;  // waiting to be sent again, by sequence
  int32_t next_sequence = 0;
  int in_flight = 0;
  bool pending = false;  // listed in producer::impl::pending
};

// What the producer holds for one topic, once its metadata is loaded.
struct topic_state {
  std::deque<partition_state> partitions;  // by partition id, one for each of the topic's
  // Keyless records go to one partition until they need a new batch there (its batch is full,
  // or went out when linger ran out), then to the next: Kafka's sticky partitioner (KIP-480),
  // so batches fill and the partitions share the records.
  int32_t sticky = -1;        // -1: none chosen yet
  size_t sticky_records = 0;  // sent to `sticky` since it was chosen
};

struct producer::impl {
  explicit impl(producer_config config);
  ~impl() { rt.stop(); }  // before the members the runtime thread uses go away

  // Application side (any thread).
  using topic_entry = std::pair<const std::string, topic_state>;
  // The topic's entry in `topics` once its metadata is loaded, else null. Remembers the last one
  // found: a producer mostly sends to one topic, and this runs for every record. REQUIRES: mu.
  topic_entry* loaded_topic(const std::string& topic) {
    if (last_topic != nullptr && last_topic->first == topic) return last_topic;
    auto it = topics.find(topic);
    if (it == topics.end()) return nullptr;
    last_topic = &*it;
    return last_topic;
  }
  // Loads the topic's metadata (its partition count). REQUIRES: mu not held.
  result<void> load_topic(const std::string& topic);
  // The partition an explicit partition or a key names; nullopt for a keyless record.
  static result<std::optional<int32_t>> fixed_partition(const producer_record& r,
                                                        int32_t partitions);
  // The partition for a keyless record of `size` bytes to `topic`. REQUIRES: mu, and the topic's
  // metadata loaded.
  int32_t sticky_partition(topic_state& topic, size_t size);

  // Network side (runtime thread).
  awaitable<void> sender();
  awaitable<void> send_request(std::vector<std::shared_ptr<ready_batch>> batches);
  // Closes the batches that are due (full, lingered, or all when flushing) into ready batches.
  std::vector<std::shared_ptr<ready_batch>> drain(steady::time_point now,
                                                  steady::time_point& next_wake);
  void complete(ready_batch& b, const result<record_metadata>& first, int64_t base_offset,
                int64_t log_append_time);
  void retry_or_fail(std::shared_ptr<ready_batch> b, const error& e);
  // After a sequenced batch failed for good, the broker waits for a sequence number that will
  // never come. Once nothing is in flight and every batch waiting for a retry is certainly not
  // in the log, start a new epoch: sequences restart at 0 and those batches are re-sequenced.
  // REQUIRES: mu.
  bool maybe_start_new_epoch();
  void wake_sender();

  producer_config config;
  runtime rt;
  connection conn;
  asio::steady_timer wake;  // runtime thread only

  // Producer id (runtime thread only).
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  // Shared between threads.
  mutable std::mutex mu;
  std::condition_variable space;                           // buffer memory freed
  std::condition_variable idle;                            // nothing queued or in flight
  std::map<std::string, topic_state, std::less<>> topics;  // never drops an entry
  topic_entry* last_topic = nullptr;                       // see loaded_topic()
  // The state of a partition of a topic whose metadata is loaded. REQUIRES: mu.
  partition_state& partition(std::string_view topic, int32_t p) {
    return topics.find(topic)->second.partitions.at(static_cast<size_t>(p));
  }
  // A partition with open or retrying batches: one drain() has to look at.
  struct pending_partition {
    const std::string* topic;  // the key in `topics`, which never drops one
    int32_t partition;
    partition_state* state;
  };
  // Lists `p` of `topic` for drain() after a batch was opened or queued for retry there, so a
  // drain visits those partitions only, not every partition of every topic. REQUIRES: mu.
  void mark_pending(topic_entry& topic, int32_t p) {
    auto& ps = topic.second.partitions.at(static_cast<size_t>(p));
    if (ps.pending) return;
    ps.pending = true;
    pending.push_back({&topic.first, p, &ps});
  }
  void mark_pending(std::string_view topic, int32_t p) { mark_pending(*topics.find(topic), p); }
  std::vector<pending_partition> pending;
  // Calls f(topic, partition, state) for every partition. REQUIRES: mu.
  template <class F>
  void for_each_partition(F&& f) {
    for (auto& [topic, ts] : topics) {
      for (size_t i = 0; i < ts.partitions.size(); ++i)
        f(topic, static_cast<int32_t>(i), ts.partitions[i]);
    }
  }
  // Whether a record of `size` bytes would start a new batch on `ps`. REQUIRES: mu.
  [[nodiscard]] bool needs_new_batch(const partition_state& ps, size_t size) const {
    return ps.open.empty() || (!ps.open.back()->builder.empty() &&
                               ps.open.back()->builder.size_estimate() + size > config.batch_size);
  }
  // Buffers of acknowledged batches, to build new ones in (as the Java producer's BufferPool),
  // so that a batch's memory is neither faulted in afresh nor left to glibc, which hands blocks
  // of a MiB back to the kernel until its mmap threshold has risen. Up to buffer_memory of them:
  // a new batch takes a spare before any fresh memory, so spares and batches in use together
  // never hold more buffers than the producer once needed at the same time. REQUIRES: mu.
  std::vector<proto::byte_buffer> spare_buffers;
  // Keeps `b` in spare_buffers if it is a batch_size buffer and there is room. REQUIRES: mu.
  void recycle(proto::byte_buffer&& b) {
    const size_t room = std::max<size_t>(1, config.buffer_memory / config.batch_size);
    if (b.capacity() >= config.batch_size && b.capacity() < 2 * config.batch_size &&
        spare_buffers.size() < room) {
      spare_buffers.push_back(std::move(b));
    }
  }
  size_t memory_used = 0;
  size_t queued_records = 0;  // accepted and not yet completed
  int requests_in_flight = 0;
  bool new_epoch_needed = false;
  bool flushing = false;
  bool closed = false;   // send() refuses records
  bool stopped = false;  // the runtime is stopped
  std::mutex close_mu;   // one close() at a time
  uint64_t delivered = 0;
  uint64_t failed = 0;
};

}  // namespace sluice::client
