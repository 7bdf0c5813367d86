#include "storage/producer_state.h"

#include <algorithm>

#include "proto/byte_order.h"
#include "proto/crc32c.h"
#include "storage/errc.h"

namespace sluice::storage {
namespace {

constexpr uint32_t snapshot_magic = 0x534C5053;  // "SLPS"
constexpr uint16_t snapshot_version = 1;
constexpr size_t header_bytes = 4 + 2 + 4 + 4;  // magic, version, crc, producer count
constexpr size_t producer_bytes = 8 + 2 + 8 + 1;

int32_t next_sequence(int32_t seq) noexcept {
  return seq == INT32_MAX ? 0 : seq + 1;
}

class writer {
 public:
  template <class T>
  void put(T v) {
    size_t at = out.size();
    out.resize(at + sizeof(T));
    proto::store_be<T>(out.data() + at, v);
  }
  std::vector<std::byte> out;
};

class reader {
 public:
  explicit reader(std::span<const std::byte> in) : in_(in) {}
  template <class T>
  bool get(T& v) {
    if (in_.size() - pos_ < sizeof(T)) return false;
    v = proto::load_be<T>(in_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  [[nodiscard]] bool done() const { return pos_ == in_.size(); }

 private:
  std::span<const std::byte> in_;
  size_t pos_ = 0;
};

}  // namespace

int32_t last_sequence(int32_t base_sequence, int32_t record_count) noexcept {
  int64_t last = int64_t{base_sequence} + record_count - 1;
  return static_cast<int32_t>(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

producer_state::check_result producer_state::check(const proto::batch_header& h) const {
  if (h.producer_id < 0) return {};
  auto it = producers_.find(h.producer_id);
  if (it == producers_.end() || it->second.batches.empty()) return {};
  const entry& e = it->second;
  const std::string who = "producer " + std::to_string(h.producer_id);
  if (h.producer_epoch < e.epoch) {
    return {verdict::fenced,
            {},
            who + " has epoch " + std::to_string(h.producer_epoch) + " but epoch " +
                std::to_string(e.epoch) + " already wrote: this producer was fenced"};
  }
  if (h.producer_epoch > e.epoch) {
    if (h.base_sequence == 0) return {};
    return {verdict::out_of_order,
            {},
            who + " started epoch " + std::to_string(h.producer_epoch) + " at sequence " +
                std::to_string(h.base_sequence) + "; a new epoch starts at 0"};
  }
  const int32_t last = last_sequence(h.base_sequence, h.record_count);
  for (const auto& b : e.batches) {
    if (b.first_seq == h.base_sequence && b.last_seq == last) return {verdict::duplicate, b, {}};
  }
  const int32_t expected = next_sequence(e.batches.back().last_seq);
  if (h.base_sequence == expected) return {};
  return {verdict::out_of_order,
          {},
          who + " sent sequence " + std::to_string(h.base_sequence) + ", expected " +
              std::to_string(expected)};
}

void producer_state::record(const proto::batch_header& h, int64_t now_ms) {
  if (h.producer_id < 0) return;
  entry& e = producers_[h.producer_id];
  if (h.producer_epoch != e.epoch) e.batches.clear();
  e.epoch = h.producer_epoch;
  e.last_update_ms = now_ms;
  e.batches.push_back({h.base_sequence, last_sequence(h.base_sequence, h.record_count),
                       h.base_offset, h.last_offset(), h.max_timestamp});
  if (e.batches.size() > batches_kept) e.batches.pop_front();
}

void producer_state::truncate(offset end) {
  for (auto it = producers_.begin(); it != producers_.end();) {
    auto& batches = it->second.batches;
    while (!batches.empty() && batches.back().last_offset >= end)
      batches.pop_back();
    it = batches.empty() ? producers_.erase(it) : std::next(it);
  }
}

void producer_state::expire(int64_t now_ms, int64_t expiration_ms) {
  std::erase_if(producers_,
                [&](const auto& kv) { return now_ms - kv.second.last_update_ms > expiration_ms; });
}

std::vector<std::byte> producer_state::serialize() const {
  writer w;
  w.put<uint32_t>(snapshot_magic);
  w.put<uint16_t>(snapshot_version);
  w.put<uint32_t>(0);  // CRC, filled in below
  w.put<uint32_t>(static_cast<uint32_t>(producers_.size()));
  for (const auto& [id, e] : producers_) {
    w.put<int64_t>(id);
    w.put<int16_t>(e.epoch);
    w.put<int64_t>(e.last_update_ms);
    w.put<uint8_t>(static_cast<uint8_t>(e.batches.size()));
    for (const auto& b : e.batches) {
      w.put<int32_t>(b.first_seq);
      w.put<int32_t>(b.last_seq);
      w.put<int64_t>(b.first_offset.value);
      w.put<int64_t>(b.last_offset.value);
      w.put<int64_t>(b.timestamp);
    }
  }
  uint32_t crc = proto::crc32c(std::span<const std::byte>(w.out).subspan(10));
  proto::store_be<uint32_t>(w.out.data() + 6, crc);
  return std::move(w.out);
}

result<producer_state> producer_state::parse(std::span<const std::byte> bytes) {
  auto bad = [](const std::string& why) {
    return make_error(errc::corrupt_metadata, "producer snapshot: " + why);
  };
  if (bytes.size() < header_bytes) return bad("too short");
  reader r(bytes);
  uint32_t magic = 0, crc = 0, count = 0;
  uint16_t version = 0;
  (void)r.get(magic), (void)r.get(version), (void)r.get(crc);
  if (magic != snapshot_magic || version != snapshot_version)
    return bad("unknown magic or version");
  if (proto::crc32c(bytes.subspan(10)) != crc) return bad("CRC mismatch");
  (void)r.get(count);
  if (count > bytes.size() / producer_bytes) return bad("producer count too large");
  producer_state state;
  for (uint32_t i = 0; i < count; ++i) {
    int64_t id = 0;
    entry e;
    uint8_t batches = 0;
    if (!r.get(id) || !r.get(e.epoch) || !r.get(e.last_update_ms) || !r.get(batches) ||
        batches > batches_kept) {
      return bad("producer " + std::to_string(i) + " is cut short");
    }
    for (uint8_t b = 0; b < batches; ++b) {
      producer_batch pb;
      if (!r.get(pb.first_seq) || !r.get(pb.last_seq) || !r.get(pb.first_offset.value) ||
          !r.get(pb.last_offset.value) || !r.get(pb.timestamp)) {
        return bad("a batch of producer " + std::to_string(id) + " is cut short");
      }
      e.batches.push_back(pb);
    }
    state.producers_[id] = std::move(e);
  }
  if (!r.done()) return bad("bytes after the last producer");
  return state;
}

}  // namespace sluice::storage
