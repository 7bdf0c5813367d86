#include "broker/metrics.h"

#include <cstdio>

namespace sluice::broker {

void histogram::observe(std::chrono::nanoseconds d) noexcept {
  const double seconds = std::chrono::duration<double>(d).count();
  size_t i = 0;
  while (i < bounds_seconds.size() && seconds > bounds_seconds[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(d.count()), std::memory_order_relaxed);
}

void histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  char le[32];
  for (size_t i = 0; i <= bounds_seconds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    if (i < bounds_seconds.size()) {
      std::snprintf(le, sizeof le, "%g", bounds_seconds[i]);
    } else {
      std::snprintf(le, sizeof le, "+Inf");
    }
    out += name + "_bucket{" + labels + sep + "le=\"" + le + "\"} " + std::to_string(cumulative) +
           "\n";
  }
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(sum_ns_.load()) / 1e9);
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += name + "_sum" + braces + " " + sum + "\n";
  out += name + "_count" + braces + " " + std::to_string(count_.load()) + "\n";
}

partition_counters& metrics_registry::partition(const std::string& topic, int32_t partition) {
  std::lock_guard lock(mutex_);
  auto& slot = partitions_[{topic, partition}];
  if (!slot) slot = std::make_unique<partition_counters>();
  return *slot;
}

api_counters& metrics_registry::api(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto& slot = apis_[name];
  if (!slot) slot = std::make_unique<api_counters>();
  return *slot;
}

std::string label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string metrics_registry::render(const std::function<void(std::string&)>& extra) const {
  std::string out;
  std::lock_guard lock(mutex_);
  auto family = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto per_partition = [&](const char* name, const char* help,
                           std::atomic<uint64_t> partition_counters::*field) {
    family(name, "counter", help);
    for (const auto& [key, c] : partitions_) {
      out += std::string(name) + "{topic=\"" + label_value(key.first) + "\",partition=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(((*c).*field).load()) + "\n";
    }
  };
  per_partition("sluice_partition_bytes_in_total", "Record batch bytes appended.",
                &partition_counters::bytes_in);
  per_partition("sluice_partition_records_in_total", "Records appended.",
                &partition_counters::records_in);
  per_partition("sluice_partition_bytes_out_total", "Record batch bytes sent to consumers.",
                &partition_counters::bytes_out);
  per_partition("sluice_partition_records_out_total", "Offsets sent to consumers.",
                &partition_counters::records_out);

  family("sluice_requests_total", "counter", "Requests handled, by API.");
  for (const auto& [api, c] : apis_) {
    out +=
        "sluice_requests_total{api=\"" + api + "\"} " + std::to_string(c->requests.load()) + "\n";
  }
  family("sluice_request_errors_total", "counter", "Requests answered with an error, by API.");
  for (const auto& [api, c] : apis_) {
    out += "sluice_request_errors_total{api=\"" + api + "\"} " + std::to_string(c->errors.load()) +
           "\n";
  }
  family("sluice_request_latency_seconds", "histogram",
         "Time from a request's arrival to its response being queued, by API.");
  for (const auto& [api, c] : apis_) {
    c->latency.render(out, "sluice_request_latency_seconds", "api=\"" + api + "\"");
  }
  family("sluice_fsync_latency_seconds", "histogram", "Duration of log flushes (fdatasync).");
  fsync_latency.render(out, "sluice_fsync_latency_seconds", "");
  family("sluice_connections", "gauge", "Open client connections.");
  out += "sluice_connections " + std::to_string(connections.load()) + "\n";
  family("sluice_connections_accepted_total", "counter", "Client connections accepted.");
  out += "sluice_connections_accepted_total " + std::to_string(connections_accepted.load()) + "\n";
  family("sluice_connections_rejected_total", "counter",
         "Client connections refused at max.connections.");
  out += "sluice_connections_rejected_total " + std::to_string(connections_rejected.load()) + "\n";
  family("sluice_request_memory_bytes", "gauge", "Bytes held in request buffers.");
  out += "sluice_request_memory_bytes " + std::to_string(request_bytes_in_use.load()) + "\n";
  if (extra) extra(out);
  return out;
}

}  // namespace sluice::broker
