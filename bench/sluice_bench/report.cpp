#include "bench/sluice_bench/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace sluice::bench {
namespace {

double ms(uint64_t micros) {
  return static_cast<double>(micros) / 1000.0;
}

}  // namespace

std::string format_report(const run_report& r, bool json) {
  const double secs = r.seconds > 0 ? r.seconds : 1e-9;
  const double rps = static_cast<double>(r.records) / secs;
  const double mbps = static_cast<double>(r.bytes) / 1e6 / secs;
  const auto& h = r.latency;
  if (json) {
    nlohmann::json j = {
        {"mode", r.mode},           {"records", r.records},       {"failed", r.failed},
        {"bytes", r.bytes},         {"seconds", r.seconds},       {"records_per_s", rps},
        {"mb_per_s", mbps},         {"latency_of", r.latency_of}, {"p50_ms", ms(h.at(0.50))},
        {"p95_ms", ms(h.at(0.95))}, {"p99_ms", ms(h.at(0.99))},   {"p999_ms", ms(h.at(0.999))},
        {"max_ms", ms(h.max())}};
    return j.dump() + "\n";
  }
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "%s: %llu records in %.2f s: %.0f records/s, %.1f MB/s%s\n"
                "latency (%s) ms: p50 %.3f  p95 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
                r.mode.c_str(), static_cast<unsigned long long>(r.records), r.seconds, rps, mbps,
                r.failed ? (", " + std::to_string(r.failed) + " FAILED").c_str() : "",
                r.latency_of.c_str(), ms(h.at(0.50)), ms(h.at(0.95)), ms(h.at(0.99)),
                ms(h.at(0.999)), ms(h.max()));
  return buf;
}

}  // namespace sluice::bench
