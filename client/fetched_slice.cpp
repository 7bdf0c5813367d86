#include "client/fetched_slice.h"

#include <algorithm>

#include "client/errors.h"
#include "proto/batch_reader.h"
#include "proto/crc32c.h"

namespace sluice::client {
namespace {

std::string_view text(std::span<const std::byte> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string name(const topic_partition& tp) {
  return tp.topic + "-" + std::to_string(tp.partition);
}

// Bytes of a record that decoding reads beyond where it starts, at most a cache line, short of
// keys and values it only points to.
constexpr size_t record_lookahead_bytes = 64;

// A batch's CRC taken a piece at a time just ahead of the records being decoded, so that both
// read each piece from the cache. Checked whole before decoding, a 1 MiB batch had mostly left
// the cache again by the time its records were read.
class crc_ahead {
 public:
  explicit crc_ahead(std::span<const std::byte> batch)
      : covered_(batch.subspan(proto::batch_layout::crc_covered_from)) {}

  // Takes the CRC at least `ahead` bytes past `p`, a position in the batch's records.
  void through(const std::byte* p, size_t ahead) noexcept {
    while (done_ < covered_.size() && static_cast<size_t>(p - covered_.data()) + ahead > done_)
      step();
  }
  // The CRC of the whole batch.
  uint32_t finish() noexcept {
    while (done_ < covered_.size())
      step();
    return crc_;
  }

 private:
  static constexpr size_t piece_bytes = 64 * 1024;
  void step() noexcept {
    const size_t n = std::min(piece_bytes, covered_.size() - done_);
    crc_ = proto::crc32c(covered_.subspan(done_, n), crc_);
    done_ += n;
  }
  std::span<const std::byte> covered_;
  size_t done_ = 0;
  uint32_t crc_ = 0;
};

// Appends the records of a batch at or after `from` to `views`, keeping `crc` ahead of them
// unless it is null (a compressed batch, whose records are not in the batch's bytes). Returns
// what is wrong with the first malformed record, which ends the batch.
std::optional<std::string> decode_records(proto::record_iterator& records, crc_ahead* crc,
                                          const topic_partition& tp, const proto::batch_header& h,
                                          int64_t from, std::string_view topic,
                                          std::vector<consumer_record_view>& views) {
  const bool log_append_time = h.ts_type() == proto::timestamp_type::log_append_time;
  while (true) {
    if (crc != nullptr) crc->through(records.position(), record_lookahead_bytes);
    auto r = records.next();
    if (!r) return r.error().message;
    if (!r.value()) return std::nullopt;
    const auto& rec = *r.value();
    if (rec.record_offset.value < from) continue;
    auto& v = views.emplace_back();
    v.topic = topic;
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

decoded_slice decode_slice(const topic_partition& tp, const fetched_slice& slice,
                           std::vector<consumer_record_view> storage) {
  auto memory = std::make_shared<slice_memory>();
  memory->fetched = slice.owner;
  memory->topic = tp.topic;
  decoded_slice out;
  out.records.bytes = slice.batches.size();
  auto& views = out.records.records;
  views = std::move(storage);
  views.clear();
  // recordCount is only a claim until the records are read: reserve no more than the bytes hold
  // uncompressed (a record takes at least 7 bytes); compressed batches may grow the vector.
  views.reserve(std::min(slice.records, slice.batches.size() / 7));
  auto fail = [&](const std::string& why) {
    if (!out.problem) out.problem = make_error(errc::protocol_error, name(tp) + ": " + why);
  };
  proto::batch_iterator batches(slice.batches, {.verify_crc = false});  // checked below
  while (true) {
    auto batch = batches.next();
    if (!batch) {  // check_slice found every length sound
      fail(batch.error().message);
      break;
    }
    if (!batch.value()) break;
    const auto& h = batch.value()->header;
    crc_ahead crc(batch.value()->bytes);
    const size_t kept = views.size();
    std::optional<std::string> malformed;
    proto::byte_buffer decompressed;
    // A compressed batch is checked before it is decompressed.
    const bool compressed = h.compression() != proto::codec::none;
    const bool wanted = !h.is_control() && h.next_offset().value > slice.from &&
                        (!compressed || crc.finish() == h.crc);
    if (wanted) {
      if (auto records = proto::record_iterator::open(*batch.value()); !records) {
        malformed = records.error().message;
      } else {
        malformed = decode_records(records.value(), compressed ? nullptr : &crc, tp, h, slice.from,
                                   memory->topic, views);
        decompressed = std::move(records.value()).release_decompressed();
      }
    }
    if (const uint32_t actual = crc.finish(); actual != h.crc) {
      views.resize(kept);
      fail(proto::crc_mismatch(h, actual).message);
      // Records before `from` were handed out from an earlier fetch.
      out.corrupt_at = std::max(slice.from, h.base_offset.value);
      break;
    }
    if (malformed) fail(*malformed);
    if (!decompressed.empty()) memory->decompressed.push_back(std::move(decompressed));
  }
  out.records.memory = std::move(memory);
  return out;
}

}  // namespace sluice::client
