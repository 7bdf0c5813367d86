// libFuzzer target: a partition directory of arbitrary bytes, recovered after an unclean
// shutdown, then read, searched by time and appended to. The input is a list of files, each
// [name selector: 1 byte][length: 2 bytes LE][bytes]; the selector picks one of the files a
// partition directory holds (storage/FORMAT.md).
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>

#include "proto/batch_builder.h"
#include "storage/partition_log.h"

using namespace sluice;
namespace fs = std::filesystem;

namespace {

constexpr std::array<const char*, 8> names{
    "00000000000000000000.log",       "00000000000000000000.index",
    "00000000000000000000.timeindex", "00000000000000000000.snapshot",
    "00000000000000000100.log",       "00000000000000000100.index",
    "00000000000000000100.snapshot",  "recovery-point",
};

// A fresh directory per process, emptied per input. /dev/shm keeps it off the disk.
const fs::path& work_dir() {
  static const fs::path dir = [] {
    fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    return base / ("sluice-recovery-fuzz-" + std::to_string(::getpid()));
  }();
  return dir;
}

void write_files(std::span<const uint8_t> in, const fs::path& dir) {
  size_t pos = 0;
  while (pos + 3 <= in.size()) {
    const char* name = names[in[pos] % names.size()];
    const size_t length = in[pos + 1] | (size_t{in[pos + 2]} << 8);
    pos += 3;
    const size_t n = std::min(length, in.size() - pos);
    std::ofstream out(dir / name, std::ios::binary | std::ios::app);
    out.write(reinterpret_cast<const char*>(in.data() + pos), static_cast<std::streamsize>(n));
    pos += n;
  }
}

void exercise(storage::partition_log& log) {
  for (offset at = log.log_start(); at < log.high_watermark();) {
    auto read = log.read(at, 64 * 1024);
    if (!read || read.value().ranges.empty()) break;
    for (const auto& r : read.value().ranges) {
      std::vector<std::byte> bytes(r.length);
      (void)r.source->read_at(bytes, r.position);
    }
    at = read.value().next_offset;
  }
  (void)log.offset_for_timestamp(0);
  (void)log.offset_for_timestamp(1'700'000'000'000);
  proto::batch_builder b({});
  b.append(1'700'000'000'000, std::nullopt, std::span<const std::byte>());
  auto batch = b.build();
  if (batch) (void)log.append(batch.value());
  (void)log.flush();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path dir = work_dir() / "t-0";
  std::error_code ec;
  fs::remove_all(work_dir(), ec);
  fs::create_directories(dir);
  write_files({data, size}, dir);
  storage::partition_options options;
  options.policy = storage::flush_policy::always;
  options.config.segment_bytes = 64 * 1024;
  options.limits.max_batch_bytes = 1 << 20;
  options.limits.max_uncompressed_bytes = 4 << 20;
  auto log = storage::partition_log::open(storage::posix_filesystem(), dir, "t", partition_id{0},
                                          options, /*clean=*/false);
  if (log) {
    exercise(*log.value());
    (void)log.value()->close();
  }
  fs::remove_all(work_dir(), ec);
  return 0;
}
