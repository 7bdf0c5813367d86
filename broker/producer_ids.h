// Allocates producer ids for idempotent producers, unique across restarts: ids come in blocks
// whose end is persisted in <data.dir>/producer-id-block before any id of the block is handed
// out. (The consumer-group issue moves this into the RocksDB store.)
#pragma once

#include <cstdint>
#include <mutex>

#include "proto/result.h"
#include "storage/file_io.h"

namespace sluice::broker {

class producer_id_allocator {
 public:
  static constexpr int64_t block_size = 1000;

  // Reads the persisted block end; the next id is the first of a fresh block.
  [[nodiscard]] static result<producer_id_allocator> open(storage::filesystem& fs,
                                                          const storage::fs::path& data_dir);

  producer_id_allocator(producer_id_allocator&& other) noexcept;

  [[nodiscard]] result<int64_t> next();

 private:
  producer_id_allocator(storage::filesystem& fs, storage::fs::path path, int64_t next);
  [[nodiscard]] result<void> persist(int64_t block_end);

  storage::filesystem& fs_;
  storage::fs::path path_;
  std::mutex mutex_;
  int64_t next_ = 0;
  int64_t block_end_ = 0;
};

}  // namespace sluice::broker
