// Broker metrics in Prometheus text format: counters and histograms kept with atomics so any
// thread may update them, and gauges read when /metrics is scraped.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace sluice::broker {

// Latency histogram with fixed buckets from 50 µs to 10 s.
class histogram {
 public:
  static constexpr std::array<double, 16> bounds_seconds = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
      0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   10.0};

  void observe(std::chrono::nanoseconds d) noexcept;
  // Appends `name_bucket{labels,le=...}`, `name_sum` and `name_count` lines.
  void render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, bounds_seconds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_ns_{0};
};

struct partition_counters {
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> records_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<uint64_t> records_out{0};
};

struct api_counters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> errors{0};
  histogram latency;
};

class metrics_registry {
 public:
  // Stable for the registry's life; look up once per partition per request.
  partition_counters& partition(const std::string& topic, int32_t partition);
  api_counters& api(const std::string& name);

  histogram fsync_latency;
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> connections_accepted{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<int64_t> request_bytes_in_use{0};

  // Renders everything, then `extra` (gauges computed at scrape time) appends its lines.
  [[nodiscard]] std::string render(const std::function<void(std::string&)>& extra) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<partition_counters>> partitions_;
  std::map<std::string, std::unique_ptr<api_counters>> apis_;
};

// Escapes a label value for the text format.
[[nodiscard]] std::string label_value(const std::string& v);

}  // namespace sluice::broker
