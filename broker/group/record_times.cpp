#include "broker/group/record_times.h"

#include <functional>
#include <vector>

#include "proto/batch_reader.h"

namespace sluice::broker {
namespace {

// Calls `visit(offset, timestamp)` for the records of the batches read from the one holding
// `at`, in offset order, until it returns false. Returns false when nothing could be read.
bool visit_records(storage::partition_log& log, offset at,
                   const std::function<bool(int64_t, int64_t)>& visit) {
  auto read = log.read(at, 64 << 10);
  if (!read || read.value().ranges.empty()) return false;
  const auto& range = read.value().ranges.front();
  std::vector<std::byte> bytes(range.length);
  auto n = range.source->read_at(bytes, range.position);
  if (!n || n.value() != range.length) return false;
  proto::batch_iterator batches(bytes);
  while (true) {
    auto batch = batches.next();
    if (!batch || !batch.value()) return true;
    auto records = proto::record_iterator::open(*batch.value());
    if (!records) return true;
    while (true) {
      auto r = records.value().next();
      if (!r || !r.value()) break;
      if (!visit(r.value()->record_offset.value, r.value()->timestamp)) return true;
    }
  }
}

}  // namespace

std::optional<int64_t> timestamp_at(storage::partition_log& log, offset at) {
  std::optional<int64_t> out;
  visit_records(log, at, [&](int64_t o, int64_t ts) {
    if (o < at.value) return true;
    out = ts;
    return false;
  });
  return out;
}

std::optional<int64_t> timestamp_before(storage::partition_log& log, offset end) {
  if (end.value <= log.log_start().value) return std::nullopt;
  std::optional<int64_t> out;
  visit_records(log, offset{end.value - 1}, [&](int64_t o, int64_t ts) {
    if (o >= end.value) return false;
    out = ts;
    return true;
  });
  return out;
}

}  // namespace sluice::broker
