#include "client/fetched_slice.h"

#include <algorithm>

#include "client/errors.h"
#include "proto/batch_reader.h"

namespace sluice::client {
namespace {

std::string_view text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string name(const topic_partition& tp) {
  return tp.topic + "-" + std::to_string(tp.partition);
}

}  // namespace

checked_slice check_slice(const topic_partition& tp, std::shared_ptr<const response> owner,
                          std::span<const std::byte> bytes, int64_t from) {
  checked_slice out;
  out.next_offset = from;
  proto::batch_iterator batches(bytes, {.verify_crc = false});  // decode_slice checks them
  while (true) {
    auto batch = batches.next();
    if (!batch) {
      out.bad = make_error(errc::protocol_error, name(tp) + ": " + batch.error().message);
      break;
    }
    if (!batch.value()) break;
    const auto& h = batch.value()->header;
    if (!h.is_control()) out.slice.records += static_cast<size_t>(h.record_count);
    out.next_offset = std::max(out.next_offset, h.next_offset().value);
  }
  out.slice.owner = std::move(owner);
  out.slice.batches = bytes.first(batches.position());
  out.slice.from = from;
  return out;
}

decoded_slice decode_slice(const topic_partition& tp, const fetched_slice& slice) {
  decoded_slice out;
  decode_slice(tp, slice, out);
  return out;
}

void decode_slice(const topic_partition& tp, const fetched_slice& slice, decoded_slice& out) {
  auto memory = std::make_shared<slice_memory>();
  memory->fetched = slice.owner;
  memory->topic = tp.topic;
  out.records.bytes = slice.batches.size();
  auto& views = out.records.records;
  // recordCount is only a claim until the records are read: reserve no more than the bytes hold
  // uncompressed (a record takes at least 7 bytes); compressed batches may grow the vector.
  views.reserve(std::min(slice.records, slice.batches.size() / 7));
  auto fail = [&](const std::string& why) {
    if (!out.problem) out.problem = make_error(errc::protocol_error, name(tp) + ": " + why);
  };
  proto::batch_iterator batches(slice.batches);
  while (true) {
    auto batch = batches.next();
    if (!batch) {  // a wrong CRC: check_slice found every length sound
      fail(batch.error().message);
      auto header = proto::parse_batch_header(slice.batches.subspan(batches.position()));
      // Records before `from` were handed out from an earlier fetch.
      out.corrupt_at = std::max(slice.from, header ? header.value().base_offset.value : 0);
      break;
    }
    if (!batch.value()) break;
    const auto& h = batch.value()->header;
    if (h.is_control() || h.next_offset().value <= slice.from) continue;
    auto records = proto::record_iterator::open(*batch.value());
    if (!records) {
      fail(records.error().message);
      continue;
    }
    const bool log_append_time = h.ts_type() == proto::timestamp_type::log_append_time;
    while (true) {
      auto r = records.value().next();
      if (!r) {
        fail(r.error().message);
        break;
      }
      if (!r.value()) break;
      const auto& rec = *r.value();
      if (rec.record_offset.value < slice.from) continue;
      auto& v = views.emplace_back();
      v.topic = memory->topic;
      v.partition = tp.partition;
      v.offset = rec.record_offset.value;
      v.timestamp = rec.timestamp;
      v.log_append_time = log_append_time;
      if (rec.key) v.key = text(*rec.key);
      if (rec.value) v.value = text(*rec.value);
      if (rec.header_count > 0) {
        for (const auto& hv : rec.headers())
          v.headers.emplace_back(hv.key, hv.value ? std::optional(text(*hv.value)) : std::nullopt);
      }
    }
    auto decompressed = std::move(records.value()).release_decompressed();
    if (!decompressed.empty()) memory->decompressed.push_back(std::move(decompressed));
  }
  out.records.memory = std::move(memory);
}

}  // namespace sluice::client
