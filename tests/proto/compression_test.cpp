#include "proto/compression.h"

#include <snappy.h>

#include <catch2/catch.hpp>
#include <random>

#include "proto/errc.h"
#include "support/bytes.h"

using namespace sluice;
using proto::codec;

namespace {
constexpr codec all_codecs[] = {codec::gzip, codec::snappy, codec::lz4, codec::zstd};
}

TEST_CASE("every codec round trips empty, small and multi-block inputs", "[proto][compression]") {
  std::mt19937_64 rng(1);
  for (codec c : all_codecs) {
    for (size_t n : {0, 1, 100, 70000, 300000}) {
      auto text = test::compressible_text(rng, n);
      auto random = test::random_bytes(rng, n);
      for (auto input : {test::as_bytes(text), std::span<const std::byte>(random)}) {
        proto::byte_buffer packed;
        REQUIRE(proto::compress(c, input, packed));
        auto unpacked = proto::decompress(c, packed, 1 << 20);
        INFO(proto::codec_name(c) << " size " << n);
        REQUIRE(unpacked);
        CHECK(std::equal(unpacked.value().begin(), unpacked.value().end(), input.begin(),
                         input.end()));
      }
    }
  }
}

TEST_CASE("decompression stops at the size limit", "[proto][compression][malformed]") {
  std::string zeros(1 << 20, '\0');
  for (codec c : all_codecs) {
    proto::byte_buffer packed;
    REQUIRE(proto::compress(c, test::as_bytes(zeros), packed));
    auto r = proto::decompress(c, packed, 64 * 1024);
    INFO(proto::codec_name(c));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == proto::errc::too_large);
    CHECK(r.error().message.find("limit") != std::string::npos);
    auto exact = proto::decompress(c, packed, zeros.size());
    CHECK(exact);
  }
}

TEST_CASE("corrupt compressed bytes are an error, not a crash", "[proto][compression][malformed]") {
  std::mt19937_64 rng(2);
  auto text = test::compressible_text(rng, 50000);
  for (codec c : all_codecs) {
    proto::byte_buffer packed;
    REQUIRE(proto::compress(c, test::as_bytes(text), packed));
    auto garbage = test::random_bytes(rng, packed.size());
    auto r = proto::decompress(c, garbage, 1 << 20);
    INFO(proto::codec_name(c));
    CHECK_FALSE(r);
    auto cut = std::span<const std::byte>(packed).first(packed.size() / 2);
    auto r2 = proto::decompress(c, cut, 1 << 20);
    CHECK_FALSE(r2);
    if (!r2) CHECK(r2.error().code == proto::errc::decompression_failed);
  }
}

TEST_CASE("snappy reads raw blocks as well as xerial framing", "[proto][compression]") {
  std::string text = "raw snappy as librdkafka writes it";
  std::string packed;
  snappy::Compress(text.data(), text.size(), &packed);
  auto r = proto::decompress(codec::snappy, test::as_bytes(packed), 1024);
  REQUIRE(r);
  CHECK(test::to_string(r.value()) == text);
}

TEST_CASE("codec names parse back", "[proto][compression]") {
  for (uint8_t id = 0; id <= proto::max_codec_id; ++id) {
    auto c = static_cast<codec>(id);
    CHECK(proto::parse_codec(proto::codec_name(c)) == c);
  }
  CHECK_FALSE(proto::parse_codec("brotli"));
}
