// The sluice-bench workloads, each against a running broker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "bench/sluice_bench/report.h"
#include "client/config.h"
#include "proto/result.h"

namespace sluice::bench {

struct produce_options {
  std::string topic;
  uint64_t records = 1'000'000;
  size_t record_size = 100;
  int32_t partitions = 1;  // when the topic is created
  int producers = 1;
  uint64_t keys = 0;  // distinct keys; 0: no keys (sticky partitioning)
  int acks = 1;       // 0, 1 or -1 (all): client::parse_acks
  std::string compression = "none";
  int64_t linger_ms = 5;
  size_t batch_bytes = 64 * 1024;
  std::optional<double> rate;  // records/s across all producers; unset: as fast as possible
};

struct consume_options {
  std::string topic;
  std::string group;  // empty: assign mode, partitions shared out among the consumers
  int consumers = 1;
  std::optional<uint64_t> records;  // unset: what the topic holds when the run starts
  bool copy = false;                // poll() (owning copies) instead of poll_views()
};

struct e2e_options {
  std::string topic;
  double rate = 10'000;  // records/s
  double seconds = 10;
  size_t record_size = 100;  // at least 8: the intended send time travels in the value
  int32_t partitions = 1;    // when the topic is created
  int acks = 1;
};

// Latency of a produce sample: from the record's intended send time to its acknowledgement
// (with --rate the schedule, not the actual send, so a stall counts in full).
[[nodiscard]] result<run_report> run_produce(const client::client_config& c,
                                             const produce_options& o);
// Latency of an e2e sample: from the record's intended send time (its slot in the fixed-rate
// schedule) to the moment a consumer in this process polled it.
[[nodiscard]] result<run_report> run_e2e(const client::client_config& c, const e2e_options& o);
// Latency of a consume sample: one poll() that returned records.
[[nodiscard]] result<run_report> run_consume(const client::client_config& c,
                                             const consume_options& o);

}  // namespace sluice::bench
