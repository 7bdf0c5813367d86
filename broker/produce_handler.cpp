#include <optional>

#include "broker/handlers.h"
#include "broker/wire_error.h"
#include "proto/errc.h"
#include "proto/frame.h"

namespace sluice::broker {
namespace {

// Appends the batches of one slice. Returns the first appended offsets, or the error that
// stopped it (earlier batches of the slice stay appended; an idempotent retry skips them).
void append_slice(storage::partition_log& log, std::span<std::byte> slice,
                  v1::ProduceResponse::Partition* out,
                  std::optional<storage::append_info>& last_appended,
                  partition_counters& counters) {
  bool first = true;
  while (!slice.empty()) {
    auto header = proto::parse_batch_header(slice);
    if (!header) {
      to_wire_error(header.error(), out->mutable_error());
      return;
    }
    if (header.value().total_size() > slice.size()) {
      set_error(out->mutable_error(), v1::CORRUPT_MESSAGE,
                "the partition's data slice ends inside a batch of " +
                    std::to_string(header.value().total_size()) + " bytes");
      return;
    }
    auto batch = slice.first(header.value().total_size());
    auto appended = log.append(batch);
    if (!appended) {
      to_wire_error(appended.error(), out->mutable_error());
      return;
    }
    if (first) {
      out->set_base_offset(appended.value().base.value);
      out->set_log_append_time(appended.value().log_append_time);
      first = false;
    }
    last_appended = appended.value();
    if (!appended.value().duplicate) {
      counters.bytes_in.fetch_add(batch.size(), std::memory_order_relaxed);
      counters.records_in.fetch_add(
          static_cast<uint64_t>(appended.value().last - appended.value().base + 1),
          std::memory_order_relaxed);
    }
    slice = slice.subspan(batch.size());
  }
}

}  // namespace

produce_outcome handle_produce(const v1::ProduceRequest& req, std::span<std::byte> data,
                               broker_context& ctx) {
  produce_outcome outcome;
  const bool acks_valid = req.acks() == 0 || req.acks() == 1 || req.acks() == -1;
  for (int ti = 0; ti < req.topics_size(); ++ti) {
    const auto& t = req.topics(ti);
    auto* topic = outcome.response.add_topics();
    topic->set_name(t.name());
    for (int pi = 0; pi < t.partitions_size(); ++pi) {
      const auto& p = t.partitions(pi);
      auto* out = topic->add_partitions();
      out->set_partition(p.partition());
      out->set_base_offset(-1);
      out->set_log_append_time(-1);
      if (!acks_valid) {
        set_error(out->mutable_error(), v1::INVALID_REQUIRED_ACKS,
                  "acks is " + std::to_string(req.acks()) + "; use 0, 1 or -1 (all)");
        continue;
      }
      auto slice = proto::data_slice(data, p.data_offset(), p.data_length());
      if (!slice) {
        set_error(out->mutable_error(), v1::INVALID_REQUEST, slice.error().message);
        continue;
      }
      auto log = find_partition(ctx, t.name(), p.partition(), true);
      if (!log) {
        to_wire_error(log.error(), out->mutable_error());
        continue;
      }
      std::span<std::byte> mutable_slice(data.data() + (slice.value().data() - data.data()),
                                         slice.value().size());
      std::optional<storage::append_info> last_appended;
      append_slice(*log.value(), mutable_slice, out, last_appended,
                   ctx.metrics.partition(t.name(), p.partition()));
      out->set_log_start_offset(log.value()->log_start().value);
      if (req.acks() == -1 && last_appended && out->error().code() == v1::NONE) {
        outcome.waits.push_back({log.value(), *last_appended, ti, pi});
      }
    }
  }
  return outcome;
}

}  // namespace sluice::broker
