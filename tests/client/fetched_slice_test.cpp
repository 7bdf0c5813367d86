#include "client/fetched_slice.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>

#include "proto/batch_builder.h"
#include "proto/byte_order.h"
#include "proto/record_batch.h"

using namespace sluice;
using namespace sluice::client;

namespace {

namespace L = proto::batch_layout;

// A batch at `base` holding values "v<base>", "v<base+1>"... `count` of them.
std::vector<std::byte> batch_at(int64_t base, int count) {
  proto::batch_builder b;
  for (int i = 0; i < count; ++i) {
    std::string v = "v" + std::to_string(base + i);
    b.append(1000 + i, std::nullopt, std::as_bytes(std::span(v.data(), v.size())));
  }
  return b.build(offset{base}).value();
}

void mark_control(std::vector<std::byte>& batch) {
  auto attributes = proto::load_be<int16_t>(batch.data() + L::attributes);
  proto::store_be<int16_t>(batch.data() + L::attributes,
                           static_cast<int16_t>(attributes | proto::control_flag));
  proto::store_be<uint32_t>(batch.data() + L::crc, proto::compute_batch_crc(batch));
}

std::vector<std::byte> concat(std::initializer_list<std::vector<std::byte>> parts) {
  std::vector<std::byte> out;
  for (const auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<std::string> values(const decoded_slice& d) {
  std::vector<std::string> out;
  for (const auto& r : d.records.records)
    out.emplace_back(*r.value);
  return out;
}

const topic_partition tp{"t", 0};

}  // namespace

TEST_CASE("a checked slice counts its records and says where the next fetch starts") {
  auto bytes = concat({batch_at(0, 3), batch_at(3, 2)});
  auto c = check_slice(tp, nullptr, bytes, 0);
  CHECK_FALSE(c.bad);
  CHECK(c.next_offset == 5);
  CHECK(c.slice.records == 5);
  CHECK(c.slice.batches.size() == bytes.size());
}

TEST_CASE("decoding hands out only the records at or after the fetch offset") {
  auto bytes = concat({batch_at(0, 3), batch_at(3, 2)});
  auto c = check_slice(tp, nullptr, bytes, 2);
  auto out = decode_slice(tp, c.slice);
  REQUIRE_FALSE(out.problem);
  CHECK(values(out) == std::vector<std::string>{"v2", "v3", "v4"});
  const auto& first = out.records.records.front();
  CHECK(first.offset == 2);
  CHECK(first.timestamp == 1002);
  CHECK(first.topic == "t");
  // Views into the slice's bytes, not copies; the topic name lives in the slice's memory.
  CHECK(first.value->data() > reinterpret_cast<const char*>(bytes.data()));
  CHECK(first.value->data() < reinterpret_cast<const char*>(bytes.data() + bytes.size()));
  CHECK(first.topic.data() == out.records.memory->topic.data());
}

TEST_CASE("decoding into a used vector keeps its storage and none of its records") {
  auto earlier_bytes = batch_at(0, 4);
  auto earlier = decode_slice(tp, check_slice(tp, nullptr, earlier_bytes, 0).slice);
  auto storage = std::move(earlier.records.records);
  const auto* kept = storage.data();

  auto bytes = batch_at(10, 2);
  auto out = decode_slice(tp, check_slice(tp, nullptr, bytes, 0).slice, std::move(storage));
  REQUIRE_FALSE(out.problem);
  CHECK(values(out) == std::vector<std::string>{"v10", "v11"});
  CHECK(out.records.records.data() == kept);
  CHECK(out.records.bytes == bytes.size());
}

TEST_CASE("control batches move the next offset but hand out nothing") {
  auto control = batch_at(3, 1);
  mark_control(control);
  auto bytes = concat({batch_at(0, 3), control, batch_at(4, 1)});
  auto c = check_slice(tp, nullptr, bytes, 0);
  CHECK(c.next_offset == 5);
  CHECK(c.slice.records == 4);
  auto out = decode_slice(tp, c.slice);
  REQUIRE_FALSE(out.problem);
  CHECK(values(out) == std::vector<std::string>{"v0", "v1", "v2", "v4"});
}

TEST_CASE("a batch with a bad CRC ends the decoded slice, is named, and is fetched again") {
  auto second = batch_at(3, 2);
  second.back() ^= std::byte{0xff};
  auto first = batch_at(0, 3);
  auto third = batch_at(5, 2);
  auto bytes = concat({first, second, third});
  // The network thread checks lengths only.
  auto c = check_slice(tp, nullptr, bytes, 0);
  REQUIRE_FALSE(c.bad);
  CHECK(c.next_offset == 7);
  auto out = decode_slice(tp, c.slice);
  REQUIRE(out.problem);
  CHECK_THAT(out.problem->message, Catch::Contains("t-0") && Catch::Contains("CRC"));
  CHECK(out.corrupt_at == 3);
  CHECK(values(out) == std::vector<std::string>{"v0", "v1", "v2"});
}

TEST_CASE("a bad CRC at the end of a large batch drops every record decoded from it") {
  // The CRC is taken in pieces as the records are decoded; the batch is many pieces long.
  proto::batch_builder b;
  const std::string value(1000, 'x');
  for (int i = 0; i < 300; ++i)
    b.append(1000 + i, std::nullopt, std::as_bytes(std::span(value.data(), value.size())));
  auto large = b.build(offset{2}).value();
  auto intact = concat({batch_at(0, 2), large});
  auto clean = decode_slice(tp, check_slice(tp, nullptr, intact, 0).slice);
  REQUIRE_FALSE(clean.problem);
  CHECK(clean.records.records.size() == 302);

  large.back() ^= std::byte{0x01};
  auto bytes = concat({batch_at(0, 2), large});
  auto out = decode_slice(tp, check_slice(tp, nullptr, bytes, 0).slice);
  REQUIRE(out.problem);
  CHECK_THAT(out.problem->message, Catch::Contains("t-0") && Catch::Contains("CRC"));
  CHECK(out.corrupt_at == 2);
  CHECK(values(out) == std::vector<std::string>{"v0", "v1"});
}

TEST_CASE("a bad CRC in the batch holding the fetch offset is fetched again from that offset") {
  auto batch = batch_at(0, 5);
  batch.back() ^= std::byte{0xff};
  auto c = check_slice(tp, nullptr, batch, 3);
  auto out = decode_slice(tp, c.slice);
  REQUIRE(out.problem);
  CHECK(out.corrupt_at == 3);
  CHECK(out.records.records.empty());
}

TEST_CASE("records of a compressed batch stay valid with the slice's memory") {
  proto::batch_builder b(proto::batch_options{.compression = proto::codec::zstd});
  for (int i = 0; i < 50; ++i) {
    std::string v = "value number " + std::to_string(i);
    std::string k = "k" + std::to_string(i);
    proto::header_view h{"h", std::as_bytes(std::span(v.data(), v.size()))};
    b.append(1000 + i, std::as_bytes(std::span(k.data(), k.size())),
             std::as_bytes(std::span(v.data(), v.size())), std::span(&h, 1));
  }
  auto bytes = b.build(offset{10}).value();
  auto c = check_slice(tp, nullptr, bytes, 0);
  decoded_records kept;
  {
    auto out = decode_slice(tp, c.slice);
    REQUIRE_FALSE(out.problem);
    REQUIRE(out.records.memory->decompressed.size() == 1);
    kept = std::move(out.records);
  }
  REQUIRE(kept.records.size() == 50);
  CHECK(*kept.records[49].key == "k49");
  CHECK(*kept.records[49].value == "value number 49");
  CHECK(kept.records[49].headers.at(0).first == "h");
  CHECK(*kept.records[49].headers.at(0).second == "value number 49");
  auto copy = kept.records[7].to_record();
  CHECK(copy.offset == 17);
  CHECK(*copy.value == "value number 7");
  CHECK(copy.headers.at(0) == header{"h", "value number 7"});
}
