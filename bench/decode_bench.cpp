// decode_bench: how long walking a batch's records takes (record_iterator), the consumer's
// per-record work after the CRC. Builds 1 MiB batches of --record-size records, 16 of them so the
// walk does not stay in the CPU's L2 cache, and decodes them --passes times per round; prints the
// best round's nanoseconds per record. See bench/RESULTS.md.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <vector>

#include "proto/batch_builder.h"
#include "proto/batch_reader.h"

using namespace sluice;

int main(int argc, char** argv) {
  size_t record_size = 1024;
  int rounds = 5;
  int passes = 20;
  CLI::App app{"decode_bench: record_iterator nanoseconds per record"};
  app.add_option("--record-size", record_size, "value bytes per record (1024)");
  app.add_option("--rounds", rounds, "rounds; the best is printed (5)");
  app.add_option("--passes", passes, "passes over the batches per round (20)");
  CLI11_PARSE(app, argc, argv);

  const size_t per_batch = std::max<size_t>(1, (1u << 20) / std::max<size_t>(record_size, 1));
  proto::batch_builder builder;
  const std::vector<std::byte> value(record_size, std::byte{'x'});
  for (size_t i = 0; i < per_batch; ++i)
    builder.append(1000 + static_cast<int64_t>(i), std::nullopt, value);
  auto built = builder.build();
  if (!built) {
    std::fprintf(stderr, "decode_bench: %s\n", built.error().message.c_str());
    return 1;
  }
  const std::vector<std::vector<std::byte>> batches(16, built.value());

  double best = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto start = std::chrono::steady_clock::now();
    size_t records = 0;
    size_t value_bytes = 0;
    for (int pass = 0; pass < passes; ++pass) {
      for (const auto& bytes : batches) {
        proto::batch_iterator it(bytes, {.verify_crc = false});
        auto batch = it.next();
        auto walk = proto::record_iterator::open(batch.value().value());
        while (auto r = walk.value().next()) {
          if (!r.value()) break;
          value_bytes += r.value()->value->size();
          ++records;
        }
      }
    }
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        static_cast<double>(records);
    if (round == 0 || ns < best) best = ns;
    if (value_bytes != records * record_size) return 1;
  }
  std::printf("%zu B records: %.1f ns per record (best of %d rounds)\n", record_size, best, rounds);
}
