// The producer: send() queues a record and returns at once; records are gathered per partition
// into batches that close at batch_size bytes or after linger, are compressed, and go to the
// broker in pipelined Produce requests. Retries keep their sequence numbers, so with
// idempotence (on by default, with acks=all) a retried batch is never written twice.
// Thread-safe: send() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string_view>

#include "client/config.h"
#include "client/record.h"
#include "proto/compression.h"
#include "proto/result.h"

namespace sluice::client {

struct producer_config : client_config {
  int acks = -1;  ///< 0: fire and forget; 1: appended; -1 (all): durable on the broker
  proto::codec compression = proto::codec::none;
  std::chrono::milliseconds linger{5};  ///< how long a batch waits for more records
  size_t batch_size = 16 * 1024;        ///< a batch closes when it reaches this many bytes
  bool idempotence = true;              ///< applies with acks=all
  int max_in_flight = 5;                ///< Produce requests awaiting answers at once
  std::chrono::milliseconds delivery_timeout{120'000};  ///< give up on a record after this
  std::chrono::milliseconds retry_backoff{100};
  size_t buffer_memory = 32u << 20;             ///< bytes of records not yet acknowledged
  std::chrono::milliseconds max_block{60'000};  ///< how long send() waits for buffer space
  size_t max_request_size = 1u << 20;           ///< bytes of batches per Produce request
};

/// "0", "1", "all" (or "-1") as producer_config::acks; nullopt for anything else.
[[nodiscard]] std::optional<int> parse_acks(std::string_view text) noexcept;

/// Called once per record, on the producer's network thread: keep it short.
using delivery_callback = std::function<void(const result<record_metadata>&)>;

class producer {
 public:
  explicit producer(producer_config config);
  /// close(): delivers or fails everything queued.
  /// REQUIRES: not destroyed from a delivery callback (the callback's own thread).
  ~producer();
  producer(const producer&) = delete;
  producer& operator=(const producer&) = delete;

  /// Queues `record`, whose bytes are copied into a batch: the caller may reuse it as soon as
  /// send() returns. `done` later reports where it was stored or why it was not. Fails at once
  /// (without calling `done`) when the topic is unknown, the partition does not exist, the buffer
  /// stays full for max_block, or the producer is closed.
  [[nodiscard]] result<void> send(const producer_record& record, delivery_callback done);
  /// The same with a future.
  [[nodiscard]] std::future<result<record_metadata>> send(const producer_record& record);

  /// Sends every queued record now and waits until each is acknowledged or failed.
  void flush();
  /// flush(), then stops. Further sends fail. From a delivery callback it only refuses further
  /// sends; the destructor does the rest.
  void close();

  /// Records acknowledged and failed so far.
  [[nodiscard]] uint64_t delivered() const;
  [[nodiscard]] uint64_t failed() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::client
