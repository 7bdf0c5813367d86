// storage_bench: append throughput of the storage engine alone (no network). One partition takes
// batches of about --batch-bytes, each of --record-size records, until --total-bytes are
// written. With --flush always every append waits for its group-committed fsync, with at most
// --inflight appends waiting at once. See bench/RESULTS.md for figures and the fio baseline.
#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "proto/batch_builder.h"
#include "storage/log_manager.h"

using namespace sluice;

namespace {

struct settings {
  size_t record_size = 100;
  size_t batch_bytes = 16 * 1024;
  uint64_t total_bytes = 1ULL << 30;
  std::string flush = "os";
  std::string dir = ".";
  std::string codec = "none";
  int inflight = 1;
  bool json = false;
};

std::vector<std::byte> build_batch(const settings& s, int32_t& records) {
  std::mt19937_64 rng(1);
  proto::batch_builder b({.compression = *proto::parse_codec(s.codec)});
  std::vector<std::byte> value(s.record_size);
  for (auto& byte : value)
    byte = static_cast<std::byte>(rng());
  // Per-record overhead in v2 is a handful of varint bytes; stop before passing batch_bytes.
  while (b.empty() || b.size_estimate() + s.record_size + 8 <= s.batch_bytes) {
    b.append(storage::system_clock_ms(), std::nullopt, value);
  }
  records = b.record_count();
  return b.build().value();
}

int fail(const std::string& what) {
  std::fprintf(stderr, "storage_bench: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  CLI::App app{"Append throughput of the Sluice storage engine"};
  app.add_option("--record-size", s.record_size, "bytes per record value")
      ->check(CLI::Range(1, 1 << 24));
  app.add_option("--batch-bytes", s.batch_bytes, "target batch size (e.g. 16K)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--total-bytes", s.total_bytes, "bytes to append in all (e.g. 1G)")
      ->transform(CLI::AsSizeValue(false));
  app.add_option("--flush", s.flush, "log.flush.policy")
      ->check(CLI::IsMember({"os", "interval", "always"}));
  app.add_option("--dir", s.dir, "directory for the data (a fresh subdirectory is used)");
  app.add_option("--codec", s.codec, "batch compression")
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  app.add_option("--inflight", s.inflight, "appends waiting for fsync at once (flush always)")
      ->check(CLI::Range(1, 1 << 16));
  app.add_flag("--json", s.json, "print one JSON object");
  CLI11_PARSE(app, argc, argv);

  const auto data_dir = std::filesystem::path(s.dir) / "storage-bench-data";
  std::filesystem::remove_all(data_dir);
  storage::log_manager_options options;
  options.data_dir = data_dir;
  options.policy = *storage::parse_flush_policy(s.flush);
  options.maintenance_interval = std::chrono::milliseconds(0);
  options.defaults.segment_bytes = 1LL << 30;
  options.defaults.max_message_bytes = INT32_MAX;
  auto manager = storage::log_manager::open(options);
  if (!manager) return fail(manager.error().message);
  auto& mgr = *manager.value();
  if (auto t = mgr.create_topic("bench", 1); !t) return fail(t.error().message);
  auto log = mgr.partition("bench", partition_id{0}).value();

  int32_t records_per_batch = 0;
  auto built = build_batch(s, records_per_batch);
  void* mem = nullptr;
  if (::posix_memalign(&mem, 4096, built.size()) != 0) return fail("out of memory");
  std::memcpy(mem, built.data(), built.size());
  std::span<std::byte> batch(static_cast<std::byte*>(mem), built.size());
  const bool durable = options.policy == storage::flush_policy::always;

  std::mutex m;
  std::condition_variable cv;
  int waiting = 0;
  std::optional<error> failure;
  uint64_t bytes = 0;
  uint64_t batches = 0;
  const auto start = std::chrono::steady_clock::now();
  while (bytes < s.total_bytes) {
    // The batch is reused: append patches only baseOffset and partitionLeaderEpoch, which the
    // CRC does not cover.
    auto appended = log->append(batch);
    if (!appended) return fail(appended.error().message);
    bytes += batch.size();
    ++batches;
    if (durable) {
      std::unique_lock lock(m);
      ++waiting;
      lock.unlock();
      mgr.flusher().when_durable(log, appended.value(), [&](const result<void>& r) {
        std::lock_guard done(m);
        if (!r && !failure) failure = r.error();
        --waiting;
        cv.notify_all();
      });
      lock.lock();
      cv.wait(lock, [&] { return waiting < s.inflight; });
    }
  }
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return waiting == 0; });
    if (failure) return fail(failure->message);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (auto closed = mgr.close(); !closed) return fail(closed.error().message);
  manager.value().reset();
  std::filesystem::remove_all(data_dir);

  const double records = static_cast<double>(batches) * records_per_batch;
  const double records_per_s = records / seconds;
  const double mb_per_s = records * static_cast<double>(s.record_size) / seconds / 1e6;
  const double disk_mb_per_s = static_cast<double>(bytes) / seconds / 1e6;
  if (s.json) {
    std::printf(
        "{\"records_per_s\": %.0f, \"mb_per_s\": %.2f, \"disk_mb_per_s\": %.2f, \"seconds\": %.3f, "
        "\"batches\": %llu, \"batch_bytes\": %zu, \"records_per_batch\": %d, \"flush\": \"%s\"}\n",
        records_per_s, mb_per_s, disk_mb_per_s, seconds, static_cast<unsigned long long>(batches),
        batch.size(), records_per_batch, s.flush.c_str());
  } else {
    std::printf(
        "%.0f records/s, %.2f MB/s of values, %.2f MB/s to disk (%llu batches of %zu bytes, "
        "%d records each, flush %s, %.2f s)\n",
        records_per_s, mb_per_s, disk_mb_per_s, static_cast<unsigned long long>(batches),
        batch.size(), records_per_batch, s.flush.c_str(), seconds);
  }
  return 0;
}
