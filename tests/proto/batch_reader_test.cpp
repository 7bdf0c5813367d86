// One test per class of malformed input the batch reader must refuse with an error value.
#include "proto/batch_reader.h"

#include <catch2/catch.hpp>
#include <random>

#include "proto/batch_builder.h"
#include "proto/byte_order.h"
#include "proto/errc.h"
#include "support/bytes.h"

using namespace sluice;
namespace L = proto::batch_layout;

namespace {

std::vector<std::byte> one_batch(proto::codec c = proto::codec::none, int records = 3) {
  proto::batch_builder b({.compression = c});
  for (int i = 0; i < records; ++i) {
    b.append(1000 + i, test::as_bytes("key"), test::as_bytes("value-" + std::to_string(i)));
  }
  return b.build().value();
}

void fix_crc(std::vector<std::byte>& batch) {
  proto::store_be<uint32_t>(batch.data() + L::crc, proto::compute_batch_crc(batch));
}

// Reads every batch and record; returns the first error, or nullopt if all parsed.
std::optional<error> read_all(std::span<const std::byte> bytes, proto::reader_limits limits = {}) {
  proto::batch_iterator it(bytes, limits);
  while (true) {
    auto batch = it.next();
    if (!batch) return batch.error();
    if (!batch.value()) return std::nullopt;
    auto records = proto::record_iterator::open(*batch.value(), limits);
    if (!records) return records.error();
    while (true) {
      auto r = records.value().next();
      if (!r) return r.error();
      if (!r.value()) break;
    }
  }
}

}  // namespace

TEST_CASE("a batch cut short is truncated", "[proto][reader][malformed]") {
  auto batch = one_batch();
  for (size_t keep :
       {size_t{1}, size_t{11}, L::header_size - 1, L::header_size, batch.size() - 1}) {
    auto err = read_all(std::span<const std::byte>(batch).first(keep));
    REQUIRE(err);
    CHECK(err->code == proto::errc::truncated);
    CHECK(err->message.find("batch at byte 0") != std::string::npos);
  }
}

TEST_CASE("a batchLength smaller than the header is a bad length", "[proto][reader][malformed]") {
  auto batch = one_batch();
  proto::store_be<int32_t>(batch.data() + L::batch_length, 10);
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::bad_length);
}

TEST_CASE("a CRC mismatch is detected", "[proto][reader][malformed]") {
  auto batch = one_batch();
  batch.back() ^= std::byte{0x01};
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::crc_mismatch);
}

TEST_CASE("a magic other than 2 is unsupported", "[proto][reader][malformed]") {
  auto batch = one_batch();
  batch[L::magic] = std::byte{1};
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::unsupported_magic);
  CHECK(err->message.find("magic is 1") != std::string::npos);
}

TEST_CASE("an unknown codec id is refused", "[proto][reader][malformed]") {
  auto batch = one_batch();
  proto::store_be<int16_t>(batch.data() + L::attributes, 6);
  fix_crc(batch);
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::unknown_codec);
}

TEST_CASE("a record length running past the batch is refused", "[proto][reader][malformed]") {
  auto batch = one_batch();
  batch[L::records] = std::byte{0x7E};  // zigzag 63: longer than the records that follow
  fix_crc(batch);
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::bad_varint);
}

TEST_CASE("a varint running past the end of the records is refused", "[proto][reader][malformed]") {
  auto batch = one_batch(proto::codec::none, 1);
  // Replace the records with a lone continuation byte: the length varint never ends.
  batch.resize(L::records + 1);
  batch[L::records] = std::byte{0x80};
  proto::store_be<int32_t>(batch.data() + L::batch_length,
                           static_cast<int32_t>(batch.size() - L::log_overhead));
  fix_crc(batch);
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::bad_varint);
}

TEST_CASE("fewer records than recordCount is refused", "[proto][reader][malformed]") {
  auto batch = one_batch();
  proto::store_be<int32_t>(batch.data() + L::record_count, 4);
  fix_crc(batch);
  auto err = read_all(batch);
  REQUIRE(err);
}

TEST_CASE("bytes after the last record are refused", "[proto][reader][malformed]") {
  auto batch = one_batch();
  proto::store_be<int32_t>(batch.data() + L::record_count, 2);
  fix_crc(batch);
  auto err = read_all(batch);
  REQUIRE(err);
  CHECK(err->code == proto::errc::bad_length);
}

TEST_CASE("records that decompress past the limit are too large", "[proto][reader][malformed]") {
  proto::batch_builder b({.compression = proto::codec::zstd});
  std::string big(100000, 'x');
  b.append(1, std::nullopt, test::as_bytes(big));
  auto batch = b.build().value();
  auto err = read_all(batch, {.max_uncompressed_bytes = 10000});
  REQUIRE(err);
  CHECK(err->code == proto::errc::too_large);
}

TEST_CASE("a batch over the batch size limit is too large", "[proto][reader][malformed]") {
  auto batch = one_batch();
  auto err = read_all(batch, {.max_batch_bytes = 64});
  REQUIRE(err);
  CHECK(err->code == proto::errc::too_large);
}

TEST_CASE("compressed garbage with a valid CRC fails to decompress", "[proto][reader][malformed]") {
  auto batch = one_batch(proto::codec::lz4, 20);
  for (size_t i = L::records + 8; i < batch.size(); ++i)
    batch[i] = std::byte{0x5A};
  fix_crc(batch);
  auto err = read_all(batch);
  REQUIRE(err);
}

TEST_CASE("random corruption never crashes the reader", "[proto][reader][malformed]") {
  std::mt19937_64 rng(99);
  for (int codec_id = 0; codec_id <= proto::max_codec_id; ++codec_id) {
    auto original = one_batch(static_cast<proto::codec>(codec_id), 10);
    for (int round = 0; round < 500; ++round) {
      auto batch = original;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) {
        size_t at = L::attributes + rng() % (batch.size() - L::attributes);
        batch[at] ^= static_cast<std::byte>(1u << (rng() % 8));
      }
      if (rng() % 2) batch.resize(rng() % batch.size());
      if (batch.size() >= L::header_size) fix_crc(batch);
      (void)read_all(batch, {.max_uncompressed_bytes = 1 << 16});
    }
  }
  SUCCEED("no crash, no sanitizer report");
}

TEST_CASE("several batches are read back to back", "[proto][reader]") {
  auto a = one_batch();
  auto b = one_batch(proto::codec::snappy);
  std::vector<std::byte> both = a;
  both.insert(both.end(), b.begin(), b.end());
  proto::batch_iterator it(both);
  REQUIRE(it.next().value());
  CHECK(it.position() == a.size());
  REQUIRE(it.next().value());
  CHECK(it.position() == both.size());
  CHECK_FALSE(it.next().value());
  CHECK_FALSE(read_all(both));
}
