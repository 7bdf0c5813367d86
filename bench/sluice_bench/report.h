// What a benchmark run measured, printed as text or as one JSON object.
#pragma once

#include <cstdint>
#include <string>

#include "bench/sluice_bench/histogram.h"

namespace sluice::bench {

struct run_report {
  std::string mode;  // produce, consume
  uint64_t records = 0;
  uint64_t bytes = 0;  // record values (and keys, when consuming)
  uint64_t failed = 0;
  double seconds = 0;
  histogram latency;       // microseconds
  std::string latency_of;  // what a latency sample measures
};

// Text for people, or (json) one line with records_per_s, mb_per_s, p50_ms, p95_ms, p99_ms,
// p999_ms, max_ms and the counts.
[[nodiscard]] std::string format_report(const run_report& r, bool json);

}  // namespace sluice::bench
