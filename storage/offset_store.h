// The offset keeper: committed offsets of consumer groups, the groups' own state, and producer-id
// blocks, in RocksDB under <data.dir>/offsets.
//
// Column families and keys:
//   offsets  group \0 topic \0 partition(u32 BE)  ->  offset i64 | leader epoch i32 |
//                                                      commit time ms i64 | metadata length u32 |
//                                                      metadata
//   groups   group                                ->  the coordinator's serialized group state
//   default  "producer-id-block"                  ->  next unallocated producer id, i64
// Integers are big-endian. Group ids hold no NUL byte (the coordinator checks), so keys of one
// group sort together and a group's offsets are one prefix scan.
//
// Writes go through one committer thread: every write waiting when it wakes goes into a single
// RocksDB write batch with a synced WAL, so concurrent commits share one fsync, and none is
// acknowledged before it is durable.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "proto/result.h"
#include "storage/file_io.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class Env;
}  // namespace rocksdb

namespace sluice::storage {

struct offset_key {
  std::string group;
  std::string topic;
  int32_t partition = 0;

  auto operator<=>(const offset_key&) const = default;
};

struct committed_offset {
  int64_t offset = -1;
  int32_t leader_epoch = -1;
  int64_t commit_time_ms = 0;
  std::string metadata;

  bool operator==(const committed_offset&) const = default;
};

// One atomic write.
struct offset_write {
  std::vector<std::pair<offset_key, committed_offset>> offsets;
  std::vector<offset_key> deleted_offsets;
  // Group state to store (a value) or delete (nullopt).
  std::vector<std::pair<std::string, std::optional<std::string>>> groups;
};

class offset_store {
 public:
  using done_fn = std::function<void(const result<void>&)>;

  // Opens (creating if needed) the store in `dir`. `env` (tests: fault injection) must outlive
  // the store; null means RocksDB's default.
  [[nodiscard]] static result<std::unique_ptr<offset_store>> open(const fs::path& dir,
                                                                  rocksdb::Env* env = nullptr);
  // A store that could not be opened: every call fails with `why`. The broker runs on with it,
  // serving produce and fetch, while group and producer-id requests get `why`.
  [[nodiscard]] static std::unique_ptr<offset_store> unavailable(error why);

  // Why the store cannot be used at all, if it cannot.
  [[nodiscard]] const std::optional<error>& unavailable_reason() const noexcept {
    return unavailable_;
  }
  ~offset_store();
  offset_store(const offset_store&) = delete;
  offset_store& operator=(const offset_store&) = delete;

  // Writes `w` atomically; `done` runs on the committer thread once the write is durable, or
  // with the error that stopped it.
  void write(offset_write w, done_fn done);
  // write() and wait.
  [[nodiscard]] result<void> write_sync(offset_write w);

  [[nodiscard]] result<std::optional<committed_offset>> get(const offset_key& key) const;
  [[nodiscard]] result<std::vector<std::pair<offset_key, committed_offset>>> group_offsets(
      const std::string& group) const;
  // Every offset key of `topic` (a full scan: topics are deleted rarely).
  [[nodiscard]] result<std::vector<offset_key>> topic_offsets(const std::string& topic) const;
  [[nodiscard]] result<std::vector<std::pair<std::string, std::string>>> load_groups() const;

  // Reserves `count` producer ids and returns the first. Durable before it returns.
  [[nodiscard]] result<int64_t> allocate_producer_ids(int64_t count);

 private:
  offset_store() = default;
  void committer();

  struct pending {
    offset_write write;
    done_fn done;
  };

  std::optional<error> unavailable_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, offsets, groups
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<pending> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::mutex id_mutex_;
};

}  // namespace sluice::storage
