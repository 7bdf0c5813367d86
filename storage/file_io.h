// The file I/O seam of the storage engine. Every byte storage/ reads or writes goes through
// `filesystem` and `file`, so tests can swap in fault_injection.h's implementation to fail writes
// and fsyncs, fill the disk, or drop unsynced data as a power loss would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "proto/result.h"

namespace sluice::storage {

namespace fs = std::filesystem;

class file {
 public:
  virtual ~file() = default;

  // Reads up to dst.size() bytes at `pos`. Returns the bytes read; fewer only at end of file.
  [[nodiscard]] virtual result<size_t> read_at(std::span<std::byte> dst, uint64_t pos) = 0;
  // Writes all of `src` at `pos`. On failure a prefix of `src` may have been written.
  [[nodiscard]] virtual result<void> write_at(std::span<const std::byte> src, uint64_t pos) = 0;
  // fdatasync: everything written before the call is on stable storage when it succeeds.
  [[nodiscard]] virtual result<void> sync() = 0;
  // Cuts the file to `size`, releasing any disk space allocated past it.
  [[nodiscard]] virtual result<void> truncate(uint64_t size) = 0;
  // Allocates disk space for [pos, pos + length) without changing the file's size, so that
  // later writes there allocate no blocks (fallocate with FALLOC_FL_KEEP_SIZE).
  [[nodiscard]] virtual result<void> preallocate(uint64_t pos, uint64_t length) = 0;
  [[nodiscard]] virtual result<uint64_t> size() = 0;
  // The OS descriptor for zero-copy sends (sendfile), or -1 when there is none.
  [[nodiscard]] virtual int native_handle() const = 0;
  [[nodiscard]] virtual const fs::path& path() const = 0;
};

class filesystem {
 public:
  virtual ~filesystem() = default;

  // Opens `path` for reading and writing, creating it (empty) if `create` and it is missing.
  [[nodiscard]] virtual result<std::shared_ptr<file>> open(const fs::path& path, bool create) = 0;
  [[nodiscard]] virtual result<bool> exists(const fs::path& path) = 0;
  [[nodiscard]] virtual result<void> remove(const fs::path& path) = 0;
  // Removes a directory and everything in it.
  [[nodiscard]] virtual result<void> remove_all(const fs::path& path) = 0;
  // Atomically replaces `to` with `from`.
  [[nodiscard]] virtual result<void> rename(const fs::path& from, const fs::path& to) = 0;
  [[nodiscard]] virtual result<void> create_directories(const fs::path& path) = 0;
  // Names of the entries of a directory, in no particular order.
  [[nodiscard]] virtual result<std::vector<std::string>> list(const fs::path& dir) = 0;
  // fsync of a directory: makes creations, renames and removals in it durable.
  [[nodiscard]] virtual result<void> sync_directory(const fs::path& dir) = 0;
};

// The real filesystem, through POSIX calls.
[[nodiscard]] filesystem& posix_filesystem();

// Reads a whole (small) file.
[[nodiscard]] result<std::vector<std::byte>> read_whole_file(filesystem& fs, const fs::path& path);

// Replaces `path` with `bytes` so that a crash leaves either the old or the new content: writes
// a temporary file, syncs it, renames it over `path` and syncs the directory.
[[nodiscard]] result<void> write_file_atomically(filesystem& fs, const fs::path& path,
                                                 std::span<const std::byte> bytes);

}  // namespace sluice::storage
