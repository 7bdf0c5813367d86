#include <algorithm>

#include "broker/handlers.h"
#include "broker/wire_error.h"

namespace sluice::broker {

fetch_outcome fetch_once(const v1::FetchRequest& req, broker_context& ctx) {
  fetch_outcome outcome;
  const uint64_t total_limit =
      std::min<uint64_t>(req.max_bytes() == 0 ? ctx.config.fetch_max_bytes : req.max_bytes(),
                         ctx.config.fetch_max_bytes);
  for (const auto& t : req.topics()) {
    auto* topic = outcome.response.add_topics();
    topic->set_name(t.name());
    for (const auto& p : t.partitions()) {
      auto* out = topic->add_partitions();
      out->set_partition(p.partition());
      out->set_high_watermark(-1);
      out->set_log_start_offset(-1);
      auto log = ctx.logs.partition(t.name(), partition_id{p.partition()});
      if (!log) {
        to_wire_error(log.error(), out->mutable_error());
        outcome.has_error = true;
        continue;
      }
      const uint64_t remaining = total_limit - std::min(total_limit, outcome.bytes);
      uint64_t budget = std::min<uint64_t>(p.max_bytes() == 0 ? total_limit : p.max_bytes(),
                                           outcome.bytes == 0 ? total_limit : remaining);
      auto read = log.value()->read(offset{p.fetch_offset()}, std::max<uint64_t>(budget, 1));
      if (!read) {
        to_wire_error(read.error(), out->mutable_error());
        out->set_high_watermark(log.value()->high_watermark().value);
        out->set_log_start_offset(log.value()->log_start().value);
        outcome.has_error = true;
        continue;
      }
      auto& r = read.value();
      outcome.watch.emplace_back(log.value(), r.high_watermark);
      out->set_high_watermark(r.high_watermark.value);
      out->set_log_start_offset(r.log_start.value);
      out->set_data_offset(outcome.bytes);
      out->set_next_offset(p.fetch_offset());
      // Past the first partition with data, a batch that does not fit waits for the next fetch.
      if (r.bytes == 0 || (outcome.bytes > 0 && r.bytes > remaining)) continue;
      out->set_data_length(static_cast<uint32_t>(r.bytes));
      out->set_next_offset(r.next_offset.value);
      outcome.bytes += r.bytes;
      for (auto& range : r.ranges)
        outcome.ranges.push_back(std::move(range));
      outcome.sent_per_partition.push_back(
          {&ctx.metrics.partition(t.name(), p.partition()), r.bytes,
           static_cast<uint64_t>(std::max<int64_t>(0, r.next_offset.value - p.fetch_offset()))});
    }
  }
  return outcome;
}

void record_fetch_metrics(const fetch_outcome& outcome) {
  for (const auto& s : outcome.sent_per_partition) {
    s.counters->bytes_out.fetch_add(s.bytes, std::memory_order_relaxed);
    s.counters->records_out.fetch_add(s.records, std::memory_order_relaxed);
  }
}

}  // namespace sluice::broker
