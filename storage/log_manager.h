// The topics on disk: creates, deletes, lists and opens partition logs under data.dir, owns the
// group-commit flusher and the maintenance thread (retention and compaction), and marks a clean
// shutdown so the next start need not check any batch.
//
// Layout (storage/FORMAT.md): <data.dir>/<topic>-<partition>/ per partition,
// <data.dir>/topics/<topic>.properties per topic, <data.dir>/.clean_shutdown, <data.dir>/.lock.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "proto/result.h"
#include "storage/file_io.h"
#include "storage/flush_policy.h"
#include "storage/flusher.h"
#include "storage/log_config.h"
#include "storage/partition_log.h"
#include "storage/topic_metadata.h"

namespace sluice::storage {

struct log_manager_options {
  fs::path data_dir = "data";
  log_config defaults;
  flush_policy policy = flush_policy::interval;
  std::chrono::milliseconds flush_interval{1000};
  int flush_threads = 4;                                   // partitions fsynced at once
  uint64_t preallocate_bytes = default_preallocate_bytes;  // see partition_options
  // How often retention and compaction run; zero: never in the background (call
  // run_maintenance).
  std::chrono::milliseconds maintenance_interval{300'000};
  int32_t max_partitions = 10'000;  // per topic
  // Idempotent producers that have not written for this long are forgotten.
  int64_t producer_id_expiration_ms = 86'400'000;
  filesystem* fs = nullptr;       // nullptr: the real filesystem
  flusher::observer_fn on_flush;  // told the duration of every partition flush
  clock_fn clock = system_clock_ms;
};

struct topic_description {
  std::string name;
  int32_t partitions = 0;
  log_config config;     // effective: defaults with the overrides applied
  config_map overrides;  // the keys set on the topic itself
};

struct open_report {
  bool clean = false;  // the previous run shut down cleanly
  size_t partitions = 0;
  uint64_t batches_scanned = 0;
  uint64_t bytes_truncated = 0;
};

class log_manager {
 public:
  // Opens data.dir, taking its lock. After an unclean shutdown the last segment of every
  // partition is checked and cut at the first torn or corrupt batch.
  [[nodiscard]] static result<std::unique_ptr<log_manager>> open(log_manager_options options);

  ~log_manager();
  log_manager(const log_manager&) = delete;
  log_manager& operator=(const log_manager&) = delete;

  // Fails with errc::invalid_topic_name, invalid_partitions, invalid_config or topic_exists.
  [[nodiscard]] result<topic_description> create_topic(const std::string& name, int32_t partitions,
                                                       const config_map& overrides = {});
  [[nodiscard]] result<void> delete_topic(std::string_view name);
  // Grows a topic to `partitions` partitions (errc::invalid_partitions unless more than now).
  [[nodiscard]] result<topic_description> add_partitions(std::string_view name, int32_t partitions);
  [[nodiscard]] std::vector<topic_description> list_topics() const;
  [[nodiscard]] result<topic_description> describe_topic(std::string_view name) const;

  // errc::unknown_topic or errc::unknown_partition when there is no such partition.
  [[nodiscard]] result<std::shared_ptr<partition_log>> partition(std::string_view topic,
                                                                 partition_id id) const;
  [[nodiscard]] std::vector<std::shared_ptr<partition_log>> partitions(
      std::string_view topic) const;

  [[nodiscard]] storage::flusher& flusher() noexcept { return *flusher_; }
  [[nodiscard]] const open_report& report() const noexcept { return report_; }
  [[nodiscard]] const log_manager_options& options() const noexcept { return options_; }

  // Applies retention and compaction to every partition once.
  [[nodiscard]] result<void> run_maintenance(int64_t now_ms);

  // Stops the background threads, flushes and seals every partition, then writes the
  // clean-shutdown marker. If any partition fails to close, no marker is written.
  [[nodiscard]] result<void> close();

 private:
  struct topic_state {
    config_map overrides;
    log_config config;
    std::vector<std::shared_ptr<partition_log>> logs;
  };
  // What the last compaction pass over a partition left, to skip passes that would find nothing.
  struct compaction_mark {
    std::weak_ptr<partition_log> log;
    size_t compactable_segments = 0;  // sealed and below the recovery point at the last pass
    bool tombstones_retained = false;
  };

  explicit log_manager(log_manager_options options);

  [[nodiscard]] result<void> load(bool clean);
  [[nodiscard]] result<void> lock_data_dir();
  [[nodiscard]] result<void> compact_if_needed(const std::shared_ptr<partition_log>& log,
                                               int64_t now_ms);
  [[nodiscard]] result<std::shared_ptr<partition_log>> open_partition(const std::string& topic,
                                                                      int32_t id,
                                                                      const log_config& config,
                                                                      bool clean);
  [[nodiscard]] fs::path partition_dir(std::string_view topic, int32_t id) const;
  [[nodiscard]] fs::path metadata_path(std::string_view topic) const;
  [[nodiscard]] topic_description describe(const std::string& name, const topic_state& t) const;
  void maintenance_loop();

  log_manager_options options_;
  filesystem& fs_;
  std::shared_ptr<file> lock_file_;
  std::unique_ptr<storage::flusher> flusher_;
  open_report report_;

  mutable std::shared_mutex topics_mutex_;
  std::map<std::string, topic_state, std::less<>> topics_;

  std::mutex maintenance_mutex_;  // one maintenance pass at a time; guards compaction_marks_
  std::map<const partition_log*, compaction_mark> compaction_marks_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool opened_ = false;  // open() finished: only then may close() mark a clean shutdown
  bool closed_ = false;
  std::thread maintenance_;
};

}  // namespace sluice::storage
