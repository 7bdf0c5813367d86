#include "proto/varint.h"

#include <catch2/catch.hpp>
#include <climits>

using namespace sluice::proto;

TEST_CASE("varlong round trips at the edges", "[proto][varint]") {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{63}, int64_t{-64}, int64_t{64},
                    int64_t{300}, int64_t{INT32_MAX}, int64_t{INT32_MIN}, INT64_MAX, INT64_MIN}) {
    std::vector<std::byte> buf;
    append_varlong(buf, v);
    CHECK(buf.size() == varlong_size(v));
    byte_cursor c{buf.data(), buf.data() + buf.size()};
    int64_t out = 0;
    REQUIRE(c.read_varlong(out));
    CHECK(out == v);
    CHECK(c.remaining() == 0);
  }
}

TEST_CASE("zigzag encodes small magnitudes in one byte", "[proto][varint]") {
  CHECK(zigzag_encode(0) == 0);
  CHECK(zigzag_encode(-1) == 1);
  CHECK(zigzag_encode(1) == 2);
  CHECK(varlong_size(-64) == 1);
  CHECK(varlong_size(64) == 2);
}

TEST_CASE("a varint running past the end is refused", "[proto][varint][malformed]") {
  std::vector<std::byte> buf{std::byte{0x80}, std::byte{0x80}};
  byte_cursor c{buf.data(), buf.data() + buf.size()};
  int64_t out;
  CHECK_FALSE(c.read_varlong(out));
}

TEST_CASE("a varint longer than its width is refused", "[proto][varint][malformed]") {
  std::vector<std::byte> six(6, std::byte{0x80});
  six.back() = std::byte{0x01};
  byte_cursor c{six.data(), six.data() + six.size()};
  int32_t out;
  CHECK_FALSE(c.read_varint(out));

  std::vector<std::byte> eleven(11, std::byte{0x80});
  eleven.back() = std::byte{0x01};
  byte_cursor c2{eleven.data(), eleven.data() + eleven.size()};
  int64_t out2;
  CHECK_FALSE(c2.read_varlong(out2));
}

TEST_CASE("a 5-byte varint above int32 range is refused", "[proto][varint][malformed]") {
  std::vector<std::byte> buf;
  append_varlong(buf, int64_t{INT32_MAX} + 1);
  byte_cursor c{buf.data(), buf.data() + buf.size()};
  int32_t out;
  CHECK_FALSE(c.read_varint(out));
}
