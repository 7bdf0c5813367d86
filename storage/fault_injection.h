// A filesystem that wraps another and injects the faults a storage engine must survive: failed
// writes, failed fsyncs, a full disk, and power loss (data written but not yet synced is dropped
// or partly kept; files whose directory was never synced vanish). Used by tests and by the fault
// suite's power-loss variant.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>

#include "storage/file_io.h"

namespace sluice::storage {

class fault_injecting_filesystem final : public filesystem {
 public:
  explicit fault_injecting_filesystem(filesystem& inner = posix_filesystem()) : inner_(inner) {}

  // Every following write fails with `errno_value` (EIO, ENOSPC...) until clear_faults().
  void fail_writes(int errno_value);
  // The next `count` fsyncs (of files or directories) fail with `errno_value`.
  void fail_syncs(int errno_value, int count = 1);
  // Writes past `bytes` in total (counted from now) fail with ENOSPC, after writing what fits.
  void limit_space(uint64_t bytes);
  void clear_faults();

  // Simulates losing power: every file keeps its synced prefix plus a random part of what was
  // written after the last sync, sometimes with a zeroed hole in that part (pages written back
  // out of order); files created since their directory was last synced are removed. Afterwards
  // every call fails with EIO: the machine is off. Open the data again with a new filesystem.
  void power_loss(std::mt19937_64& rng);

  // Successful fsyncs of files (not directories) so far.
  [[nodiscard]] uint64_t sync_count() const;

  // Bytes read through this filesystem from files with this extension (".log", ".index"...).
  [[nodiscard]] uint64_t bytes_read(const std::string& extension) const;

  result<std::shared_ptr<file>> open(const fs::path& path, bool create) override;
  result<bool> exists(const fs::path& path) override;
  result<void> remove(const fs::path& path) override;
  result<void> remove_all(const fs::path& path) override;
  result<void> rename(const fs::path& from, const fs::path& to) override;
  result<void> create_directories(const fs::path& path) override;
  result<std::vector<std::string>> list(const fs::path& dir) override;
  result<void> sync_directory(const fs::path& dir) override;

 private:
  friend class faulty_file;

  struct file_state {
    uint64_t synced_size = 0;
    bool entry_synced = true;  // false until the parent directory is synced after creation
  };

  result<void> check_powered() const;
  // Called by faulty_file before a write of `n` bytes: how many bytes may be written (n when no
  // fault applies), and the errno for the rest.
  std::pair<uint64_t, int> admit_write(uint64_t n);
  // Called before preallocating `n` bytes: 0, or the errno it fails with (a full disk refuses
  // more than it has left). Preallocated space is not counted: the writes into it are.
  int admit_preallocation(uint64_t n);
  result<void> admit_sync();
  result<void> admit_sync_locked();
  result<void> sync_file(file& inner);
  void note_read(const fs::path& path, uint64_t n);
  void note_truncate(const fs::path& path, uint64_t size);

  filesystem& inner_;
  mutable std::mutex mutex_;
  std::map<fs::path, file_state> files_;
  std::map<std::string, uint64_t> reads_by_extension_;
  std::optional<int> write_errno_;
  int sync_failures_ = 0;
  int sync_errno_ = 0;
  std::optional<uint64_t> space_left_;
  bool powered_off_ = false;
  uint64_t syncs_ = 0;
};

}  // namespace sluice::storage
