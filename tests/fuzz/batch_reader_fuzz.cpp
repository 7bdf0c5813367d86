// libFuzzer target: record batches laid end to end, as in a segment or a fetch response, read
// batch by batch and record by record with every codec (the CRC check is off, so the fuzzer
// reaches the decompressors and the record decoder, and on, for the checked path).
#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/batch_reader.h"

using namespace sluice;

namespace {

void read_all(std::span<const std::byte> in, bool verify_crc) {
  proto::reader_limits limits;
  limits.max_batch_bytes = 1 << 20;
  limits.max_uncompressed_bytes = 4 << 20;
  limits.verify_crc = verify_crc;
  proto::batch_iterator batches(in, limits);
  for (int n = 0; n < 1000; ++n) {
    auto batch = batches.next();
    if (!batch || !batch.value()) return;
    auto records = proto::record_iterator::open(*batch.value(), limits);
    if (!records) continue;
    for (;;) {
      auto r = records.value().next();
      if (!r || !r.value()) break;
      for (const auto& h : r.value()->headers())
        (void)h;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  read_all(in, false);
  read_all(in, true);
  return 0;
}
