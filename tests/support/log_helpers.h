// Helpers for storage tests: batches with recognisable records, and reading a partition log back
// into plain records.
#pragma once

#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/batch_builder.h"
#include "proto/batch_reader.h"
#include "storage/partition_log.h"
#include "support/bytes.h"

namespace sluice::test {

struct plain_record {
  int64_t offset = 0;
  int64_t timestamp = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;

  bool operator==(const plain_record&) const = default;
};

// A batch of `values`, keyless, each record stamped `timestamp`.
inline std::vector<std::byte> make_batch(const std::vector<std::string>& values,
                                         int64_t timestamp = 1000,
                                         proto::codec codec = proto::codec::none) {
  proto::batch_builder b({.compression = codec});
  for (const auto& v : values)
    b.append(timestamp, std::nullopt, as_bytes(v));
  return b.build().value();
}

// A batch of (key, value) records; a nullopt value is a tombstone.
inline std::vector<std::byte> make_keyed_batch(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& records,
    int64_t timestamp = 1000) {
  proto::batch_builder b;
  for (const auto& [k, v] : records) {
    std::optional<proto::bytes_view> value;
    if (v) value = as_bytes(*v);
    b.append(timestamp, as_bytes(k), value);
  }
  return b.build().value();
}

// Decodes every record in `bytes` (whole batches back to back).
inline std::vector<plain_record> decode_records(std::span<const std::byte> bytes) {
  std::vector<plain_record> out;
  proto::batch_iterator batches(bytes);
  while (true) {
    auto batch = batches.next();
    REQUIRE(batch);
    if (!batch.value()) break;
    auto records = proto::record_iterator::open(*batch.value());
    REQUIRE(records);
    while (true) {
      auto r = records.value().next();
      REQUIRE(r);
      if (!r.value()) break;
      plain_record p{r.value()->record_offset.value, r.value()->timestamp, std::nullopt,
                     std::nullopt};
      if (r.value()->key) p.key = to_string(*r.value()->key);
      if (r.value()->value) p.value = to_string(*r.value()->value);
      out.push_back(std::move(p));
    }
  }
  return out;
}

inline std::vector<std::byte> read_ranges(const storage::read_result& r) {
  std::vector<std::byte> out;
  for (const auto& range : r.ranges) {
    size_t at = out.size();
    out.resize(at + range.length);
    auto n = range.source->read_at(std::span<std::byte>(out).subspan(at), range.position);
    REQUIRE(n);
    REQUIRE(n.value() == range.length);
  }
  return out;
}

// Every record readable from `from` (log start when -1) up to the high watermark, in order.
inline std::vector<plain_record> read_all(storage::partition_log& log, int64_t from = -1) {
  std::vector<plain_record> out;
  offset next{from < 0 ? log.log_start().value : from};
  while (next < log.high_watermark()) {
    auto r = log.read(next, 1 << 20);
    REQUIRE(r);
    if (r.value().ranges.empty()) break;
    auto bytes = read_ranges(r.value());
    for (auto& rec : decode_records(bytes)) {
      if (rec.offset >= next.value) out.push_back(rec);
    }
    proto::batch_iterator it(bytes);
    while (auto b = it.next().value())
      next = b->header.next_offset();
  }
  return out;
}

}  // namespace sluice::test
