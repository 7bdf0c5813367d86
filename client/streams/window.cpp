#include "client/streams/window.h"

namespace sluice::client {
namespace {

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::optional<std::string> invalid_window(const window_spec& spec) {
  if (spec.size_ms <= 0) return "window size must be positive";
  if (spec.advance_ms <= 0) return "window advance must be positive";
  if (spec.advance_ms > spec.size_ms) {
    return "window advance (" + std::to_string(spec.advance_ms) + " ms) is longer than its size (" +
           std::to_string(spec.size_ms) + " ms): records between windows would be dropped";
  }
  return std::nullopt;
}

std::vector<int64_t> window_starts(const window_spec& spec, int64_t ts) {
  // The latest window holding ts starts at the last multiple of advance at or before ts; the
  // earlier ones every advance before it, while they still reach past ts.
  const int64_t last = floor_div(ts, spec.advance_ms) * spec.advance_ms;
  std::vector<int64_t> out;
  for (int64_t start = last; start > ts - spec.size_ms; start -= spec.advance_ms)
    out.push_back(start);
  return {out.rbegin(), out.rend()};
}

}  // namespace sluice::client
