#include "proto/crc32c.h"

#include <catch2/catch.hpp>
#include <random>

#include "support/bytes.h"

using namespace sluice;

TEST_CASE("crc32c matches the standard check value", "[proto][crc32c]") {
  CHECK(proto::crc32c(test::as_bytes("123456789")) == 0xE3069283u);
  CHECK(proto::crc32c_table(test::as_bytes("123456789")) == 0xE3069283u);
  CHECK(proto::crc32c(test::as_bytes("")) == 0u);
}

TEST_CASE("crc32c of 32 zero bytes matches RFC 3720", "[proto][crc32c]") {
  std::vector<std::byte> zeros(32);
  CHECK(proto::crc32c(zeros) == 0x8A9136AAu);
}

TEST_CASE("crc32c hardware and table implementations agree", "[proto][crc32c]") {
  using impl = uint32_t (*)(std::span<const std::byte>, uint32_t) noexcept;
  std::vector<std::pair<const char*, impl>> impls;
  if (proto::crc32c_has_sse42()) {
    impls.emplace_back("sse42", &proto::crc32c_sse42);
  } else {
    WARN("no SSE4.2 crc32 instruction on this CPU: crc32c_sse42 is not tested");
  }
  if (proto::crc32c_has_fold()) {
    impls.emplace_back("fold", &proto::crc32c_fold);
  } else {
    WARN("no AVX-512 VPCLMULQDQ on this CPU: crc32c_fold is not tested");
  }
  if (proto::crc32c_has_fold256()) {
    impls.emplace_back("fold256", &proto::crc32c_fold256);
  } else {
    WARN("no AVX2 VPCLMULQDQ on this CPU: crc32c_fold256 is not tested");
  }
  std::mt19937_64 rng(7);
  // Around the three-stream rounds of 3 x 256 and 3 x 4096 bytes, the folds' 16-, 32-, 64- and
  // 256-byte steps, and fold256's blocks of 6,976 bytes (folded and crc32 streams together).
  for (size_t n : {0,    1,     7,     8,     9,     15,    16,         17,        63,     64,
                   65,   255,   256,   257,   319,   320,   336,        511,       512,    513,
                   767,  768,   769,   1000,  4099,  6975,  6976,       6977,      7232,   7233,
                   7263, 12287, 12288, 12289, 13063, 13952, 13952 + 48, 65536 + 5, 200'003}) {
    auto data = test::random_bytes(rng, n);
    for (auto [name, crc] : impls) {
      INFO(name << " over " << n << " bytes");
      CHECK(crc(data, 0) == proto::crc32c_table(data));
      CHECK(crc(data, 0x12345678) == proto::crc32c_table(data, 0x12345678));
      // At an odd address as well: batches sit anywhere in a buffer.
      if (n > 1) {
        auto tail = std::span<const std::byte>(data).subspan(1);
        CHECK(crc(tail, 0) == proto::crc32c_table(tail));
      }
    }
  }
}

TEST_CASE("crc32c can be continued across pieces", "[proto][crc32c]") {
  std::mt19937_64 rng(8);
  auto data = test::random_bytes(rng, 1000);
  std::span<const std::byte> all(data);
  uint32_t whole = proto::crc32c(all);
  for (size_t cut : {0, 1, 13, 500, 999, 1000}) {
    CHECK(proto::crc32c(all.subspan(cut), proto::crc32c(all.first(cut))) == whole);
  }
}

TEST_CASE("crc32c of two pieces can be combined", "[proto][crc32c]") {
  std::mt19937_64 rng(9);
  auto data = test::random_bytes(rng, 70000);
  std::span<const std::byte> all(data);
  const uint32_t whole = proto::crc32c(all);
  for (size_t cut : {0, 1, 7, 61, 4096, 40000, 69999, 70000}) {
    const auto b = all.subspan(cut);
    CHECK(proto::crc32c_combine(proto::crc32c(all.first(cut)), proto::crc32c(b), b.size()) ==
          whole);
  }
}
