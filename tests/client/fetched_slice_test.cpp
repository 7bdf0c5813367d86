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

std::vector<std::string> values(const std::deque<consumer_record>& records) {
  std::vector<std::string> out;
  for (const auto& r : records)
    out.push_back(*r.value);
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
  std::deque<consumer_record> out;
  REQUIRE(decode_slice(tp, c.slice, out));
  CHECK(values(out) == std::vector<std::string>{"v2", "v3", "v4"});
  CHECK(out.front().offset == 2);
  CHECK(out.front().timestamp == 1002);
  CHECK(out.front().topic == "t");
}

TEST_CASE("control batches move the next offset but hand out nothing") {
  auto control = batch_at(3, 1);
  mark_control(control);
  auto bytes = concat({batch_at(0, 3), control, batch_at(4, 1)});
  auto c = check_slice(tp, nullptr, bytes, 0);
  CHECK(c.next_offset == 5);
  CHECK(c.slice.records == 4);
  std::deque<consumer_record> out;
  REQUIRE(decode_slice(tp, c.slice, out));
  CHECK(values(out) == std::vector<std::string>{"v0", "v1", "v2", "v4"});
}

TEST_CASE("a batch with a bad CRC ends the slice and is named") {
  auto second = batch_at(3, 2);
  second.back() ^= std::byte{0xff};
  auto first = batch_at(0, 3);
  auto bytes = concat({first, second});
  auto c = check_slice(tp, nullptr, bytes, 0);
  REQUIRE(c.bad);
  CHECK_THAT(c.bad->message, Catch::Contains("t-0") && Catch::Contains("CRC"));
  CHECK(c.next_offset == 3);
  CHECK(c.slice.batches.size() == first.size());
  std::deque<consumer_record> out;
  REQUIRE(decode_slice(tp, c.slice, out));
  CHECK(out.size() == 3);
}
