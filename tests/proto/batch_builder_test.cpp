#include "proto/batch_builder.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "proto/batch_reader.h"
#include "support/bytes.h"

using namespace sluice;
using proto::codec;

namespace {

struct sample {
  int64_t timestamp;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

std::optional<proto::bytes_view> view(const std::optional<std::string>& s) {
  if (!s) return std::nullopt;
  return test::as_bytes(*s);
}

std::vector<sample> samples(std::mt19937_64& rng, int n) {
  std::vector<sample> out;
  for (int i = 0; i < n; ++i) {
    sample s;
    s.timestamp = 1'700'000'000'000 + static_cast<int64_t>(rng() % 100000) - 50000;
    if (i % 3 != 0) s.key = "key-" + std::to_string(i % 17);
    if (i % 5 != 0) s.value = test::compressible_text(rng, rng() % 300);
    if (i % 4 == 0) s.headers = {{"trace", "abc"}, {"empty", std::nullopt}};
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::byte> build(const std::vector<sample>& in, proto::batch_options opts) {
  proto::batch_builder b(opts);
  for (const auto& s : in) {
    std::vector<proto::header_view> hs;
    for (const auto& [k, v] : s.headers)
      hs.push_back({k, view(v)});
    b.append(s.timestamp, view(s.key), view(s.value), hs);
  }
  auto batch = b.build(offset{1000});
  REQUIRE(batch);
  return std::move(batch).value();
}

}  // namespace

TEST_CASE("batches round trip through every codec", "[proto][batch]") {
  std::mt19937_64 rng(3);
  auto in = samples(rng, 200);
  for (uint8_t id = 0; id <= proto::max_codec_id; ++id) {
    auto c = static_cast<codec>(id);
    INFO(proto::codec_name(c));
    auto bytes =
        build(in, {.compression = c, .producer_id = 42, .producer_epoch = 3, .base_sequence = 7});
    proto::batch_iterator batches(bytes);
    auto first = batches.next();
    REQUIRE(first);
    REQUIRE(first.value());
    const auto& h = first.value()->header;
    CHECK(h.base_offset == offset{1000});
    CHECK(h.record_count == 200);
    CHECK(h.last_offset_delta == 199);
    CHECK(h.compression() == c);
    CHECK(h.producer_id == 42);
    CHECK(h.producer_epoch == 3);
    CHECK(h.base_sequence == 7);
    CHECK(h.base_timestamp == in.front().timestamp);
    int64_t max_ts = INT64_MIN;
    for (const auto& s : in)
      max_ts = std::max(max_ts, s.timestamp);
    CHECK(h.max_timestamp == max_ts);

    auto records = proto::record_iterator::open(*first.value());
    REQUIRE(records);
    for (size_t i = 0; i < in.size(); ++i) {
      auto r = records.value().next();
      REQUIRE(r);
      REQUIRE(r.value());
      const auto& rec = *r.value();
      CHECK(rec.record_offset == offset{1000 + static_cast<int64_t>(i)});
      CHECK(rec.timestamp == in[i].timestamp);
      CHECK(rec.key.has_value() == in[i].key.has_value());
      if (rec.key) CHECK(test::to_string(*rec.key) == *in[i].key);
      CHECK(rec.value.has_value() == in[i].value.has_value());
      if (rec.value) CHECK(test::to_string(*rec.value) == *in[i].value);
      auto hs = rec.headers();
      REQUIRE(hs.size() == in[i].headers.size());
      for (size_t k = 0; k < hs.size(); ++k) {
        CHECK(hs[k].key == in[i].headers[k].first);
        CHECK(hs[k].value.has_value() == in[i].headers[k].second.has_value());
      }
    }
    auto end = records.value().next();
    REQUIRE(end);
    CHECK_FALSE(end.value());
    auto none = batches.next();
    REQUIRE(none);
    CHECK_FALSE(none.value());
  }
}

TEST_CASE("uncompressed keys and values are views into the input", "[proto][batch]") {
  proto::batch_builder b;
  b.append(1, test::as_bytes("k"), test::as_bytes("value"));
  auto bytes = b.build().value();
  proto::batch_iterator it(bytes);
  auto batch = *it.next().value();
  auto records = proto::record_iterator::open(batch).value();
  auto rec = *records.next().value();
  CHECK(rec.value->data() >= bytes.data());
  CHECK(rec.value->data() < bytes.data() + bytes.size());
}

TEST_CASE("setting the base offset keeps the CRC valid", "[proto][batch]") {
  proto::batch_builder b;
  b.append(5, std::nullopt, test::as_bytes("v"));
  auto bytes = b.build().value();
  proto::set_base_offset(bytes, offset{123456789});
  auto h = proto::validate_batch(bytes);
  REQUIRE(h);
  CHECK(h.value().base_offset == offset{123456789});
}

TEST_CASE("log-append time stamps every record with the batch time", "[proto][batch]") {
  proto::batch_builder b({.compression = codec::lz4});
  b.append(100, std::nullopt, test::as_bytes("a"));
  b.append(200, std::nullopt, test::as_bytes("b"));
  auto bytes = b.build().value();
  proto::stamp_log_append_time(bytes, 999);
  auto h = proto::validate_batch(bytes);
  REQUIRE(h);
  CHECK(h.value().ts_type() == proto::timestamp_type::log_append_time);
  CHECK(h.value().max_timestamp == 999);
  auto records = proto::record_iterator::open({h.value(), bytes}).value();
  CHECK(records.next().value()->timestamp == 999);
  CHECK(records.next().value()->timestamp == 999);
}

TEST_CASE("a rewritten batch keeps offset gaps and its last offset delta", "[proto][batch]") {
  proto::batch_builder b;
  b.append_at(2, 10, test::as_bytes("k2"), test::as_bytes("v2"));
  b.append_at(5, 11, test::as_bytes("k5"), std::nullopt);
  b.set_last_offset_delta(9);
  auto bytes = b.build(offset{50}).value();
  auto h = proto::validate_batch(bytes).value();
  CHECK(h.last_offset() == offset{59});
  CHECK(h.record_count == 2);
  auto records = proto::record_iterator::open({h, bytes}).value();
  CHECK(records.next().value()->record_offset == offset{52});
  auto second = *records.next().value();
  CHECK(second.record_offset == offset{55});
  CHECK_FALSE(second.value.has_value());
}

TEST_CASE("take gives what build gives and leaves the builder empty", "[proto][batch]") {
  std::mt19937_64 rng(5);
  auto in = samples(rng, 50);
  for (auto c : {codec::none, codec::lz4}) {
    INFO(proto::codec_name(c));
    proto::batch_builder b({.compression = c});
    for (int round = 0; round < 2; ++round) {
      for (const auto& s : in)
        b.append(s.timestamp, view(s.key), view(s.value));
      auto built = b.build(offset{7});
      auto taken = b.take(offset{7});
      REQUIRE(built);
      REQUIRE(taken);
      CHECK(std::ranges::equal(taken.value(), built.value()));
      CHECK(b.empty());
      CHECK(b.size_estimate() == proto::batch_layout::header_size);
    }
  }
}

TEST_CASE("a batch checksummed in pieces as it grows has the CRC of the whole", "[proto][batch]") {
  // Records of 1,000 bytes cross the builder's CRC pieces at every offset, over two batches from
  // the one builder, with producer fields set last.
  std::mt19937_64 rng(6);
  proto::batch_builder b;
  for (int round = 0; round < 2; ++round) {
    const int n = 120 + round * 37;
    for (int i = 0; i < n; ++i) {
      auto value = test::random_bytes(rng, 1000 + static_cast<size_t>(i % 7));
      b.append(1000 + i, std::nullopt, value);
    }
    b.set_producer(42, 3, 100 * round);
    auto taken = b.take(offset{5});
    REQUIRE(taken);
    auto validated = proto::validate_batch(taken.value());  // checks the stored CRC
    REQUIRE(validated);
    CHECK(validated.value().record_count == n);
  }
}

TEST_CASE("a builder building in an earlier batch's buffer gives the batch a fresh one gives",
          "[proto][batch]") {
  std::mt19937_64 rng(6);
  auto first = samples(rng, 80);
  auto second = samples(rng, 20);  // shorter: the old batch's bytes lie beyond its end
  proto::batch_builder old_one({.producer_id = 9, .producer_epoch = 3, .base_sequence = 40});
  old_one.reserve(64 << 10);
  for (const auto& s : first)
    old_one.append(s.timestamp + 7, view(s.key), view(s.value));
  auto used = old_one.take(offset{5});
  REQUIRE(used);
  const auto* storage = used.value().data();
  const size_t capacity = used.value().capacity();

  proto::batch_builder b;
  b.adopt(std::move(used).value());
  for (const auto& s : second)
    b.append(s.timestamp, view(s.key), view(s.value));
  auto taken = b.take(offset{1000});
  REQUIRE(taken);
  CHECK(taken.value().data() == storage);  // built in place: no new allocation
  CHECK(taken.value().capacity() == capacity);

  proto::batch_builder fresh;
  for (const auto& s : second)
    fresh.append(s.timestamp, view(s.key), view(s.value));
  CHECK(std::ranges::equal(taken.value(), fresh.build(offset{1000}).value()));
}
