// The consumer. In assign mode the application names the partitions; in group mode (subscribe)
// the broker's group coordinator shares the topics' partitions among the group's members and
// moves them incrementally as members come and go. Either way the consumer fetches in the
// background (the next fetch is sent as soon as the previous answer arrives, so a consumer never
// waits a round trip between batches) and poll() hands out records. Rebalance callbacks and
// auto-commits run inside poll(), on the application's thread. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/config.h"
#include "client/record.h"
#include "proto/result.h"

namespace sluice::client {

struct consumer_config : client_config {
  /// Where to start a partition without a position, or one whose position fell out of the log:
  /// "earliest", "latest", or "none" (poll() reports the error).
  std::string auto_offset_reset = "latest";
  uint32_t fetch_min_bytes = 1;
  std::chrono::milliseconds fetch_max_wait{500};
  /// Bytes a fetch response holds (at least one batch). Kafka's default is 50 MiB; 1 MiB keeps a
  /// response in the CPU's cache while it is received, checked and decoded, which on the
  /// benchmark machine gave a fifth more throughput for a quarter less CPU (bench/RESULTS.md).
  /// While the consumer is behind the log, its next fetch goes out as soon as a response's meta
  /// has arrived, ahead of the batches (proto/FRAMING.md): two responses may be in flight.
  uint32_t fetch_max_bytes = 1u << 20;
  uint32_t max_partition_fetch_bytes = 1u << 20;
  size_t max_poll_records = 500;
  /// Fetching pauses while this many records, or this many bytes of fetched batches, wait for
  /// poll() (librdkafka's queued.min.messages and queued.max.messages.kbytes): enough to keep
  /// a fetch in flight while the application works through the last ones.
  size_t max_buffered_records = 100'000;
  /// Counts the batches as fetched (compressed, if they are): decompressed copies come on top.
  size_t max_buffered_bytes = 64u << 20;
  std::chrono::milliseconds retry_backoff{100};

  /// Group mode: the group to join on subscribe(), and commits' group in either mode.
  std::string group_id;
  /// Static membership: a member restarted with the same id within its session timeout gets its
  /// partitions back without moving anyone else's.
  std::string group_instance_id;
  std::string group_assignor;  ///< sticky (the broker's default), range or roundrobin
  /// Without a heartbeat for this long the member is fenced and its partitions move.
  std::chrono::milliseconds session_timeout{10'000};
  bool enable_auto_commit = true;  ///< commit consumed positions from poll(), and on close
  std::chrono::milliseconds auto_commit_interval{5'000};
};

/// Told about partitions coming and going in group mode, from inside poll().
class rebalance_listener {
 public:
  virtual ~rebalance_listener() = default;
  /// Partitions now this member's; consumption starts at the committed offsets.
  virtual void on_assigned(const std::vector<topic_partition>& partitions) { (void)partitions; }
  /// Partitions about to move to another member; with auto-commit, already committed. Commit
  /// here what has been processed and not committed yet.
  virtual void on_revoked(const std::vector<topic_partition>& partitions) { (void)partitions; }
  /// Partitions lost without a chance to commit (the member was fenced, e.g. after missing its
  /// session timeout); another member may already consume them.
  virtual void on_lost(const std::vector<topic_partition>& partitions) { (void)partitions; }
};

struct slice_memory;

/// What poll_views() returns: records whose topic, key, value and headers point into the fetched
/// responses, which this object keeps alive (also after the consumer is gone).
class record_views {
 public:
  [[nodiscard]] const std::vector<consumer_record_view>& records() const noexcept {
    return records_;
  }
  [[nodiscard]] auto begin() const noexcept { return records_.begin(); }
  [[nodiscard]] auto end() const noexcept { return records_.end(); }
  [[nodiscard]] size_t size() const noexcept { return records_.size(); }
  [[nodiscard]] bool empty() const noexcept { return records_.empty(); }

 private:
  friend class consumer;
  std::vector<consumer_record_view> records_;
  std::vector<std::shared_ptr<const slice_memory>> memory_;
};

class consumer {
 public:
  explicit consumer(consumer_config config);
  ~consumer();
  consumer(const consumer&) = delete;
  consumer& operator=(const consumer&) = delete;

  /// Joins group_id, consuming `topics`. `listener` (optional) must outlive the consumer.
  [[nodiscard]] result<void> subscribe(const std::vector<std::string>& topics,
                                       rebalance_listener* listener = nullptr);
  /// Joins group_id, consuming every topic whose name fully matches `regex` (ECMAScript),
  /// including topics created later.
  [[nodiscard]] result<void> subscribe_regex(const std::string& regex,
                                             rebalance_listener* listener = nullptr);

  /// Commits the consumed positions (the offset after the last record poll() returned) of the
  /// owned partitions, and waits until the commit is durable.
  [[nodiscard]] result<void> commit_sync();
  /// Commits explicit offsets: each the next offset to consume.
  [[nodiscard]] result<void> commit_sync(const std::map<topic_partition, int64_t>& offsets);
  /// commit_sync() without waiting; `done`, if given, gets the outcome on the network thread.
  void commit_async(std::function<void(const result<void>&)> done = {});
  /// The group's committed offset of `tp` (nullopt: none).
  [[nodiscard]] result<std::optional<int64_t>> committed(const topic_partition& tp);

  /// Assign mode: replaces the assignment. Partitions kept from the old one keep their
  /// positions. Not in group mode.
  [[nodiscard]] result<void> assign(const std::vector<topic_partition>& partitions);
  [[nodiscard]] std::vector<topic_partition> assignment() const;

  /// The next record poll() returns for `tp` is at `offset`.
  [[nodiscard]] result<void> seek(const topic_partition& tp, int64_t offset);
  /// Empty `partitions`: every assigned partition.
  [[nodiscard]] result<void> seek_to_beginning(const std::vector<topic_partition>& partitions = {});
  [[nodiscard]] result<void> seek_to_end(const std::vector<topic_partition>& partitions = {});
  /// To the first record whose timestamp is >= `timestamp_ms`; the end where there is none.
  [[nodiscard]] result<void> seek_to_timestamp(int64_t timestamp_ms,
                                               const std::vector<topic_partition>& partitions = {});

  /// Up to max_poll_records records, waiting up to `timeout` for the first. Empty on timeout.
  /// A fetch error (unknown topic, offset out of range with reset "none") is returned once.
  [[nodiscard]] result<std::vector<consumer_record>> poll(std::chrono::milliseconds timeout);

  /// poll() without copying: the records' bytes are views into the fetched responses, which the
  /// returned record_views keeps alive. For readers that look at a record and move on: each
  /// record_views pins the whole fetch responses its records came from (up to fetch_max_bytes
  /// each), outside max_buffered_records, so drop it soon or copy what you keep (to_record()).
  [[nodiscard]] result<record_views> poll_views(std::chrono::milliseconds timeout);

  /// The offset of the next record poll() returns for `tp` (past offsets that hold no record),
  /// once known.
  [[nodiscard]] std::optional<int64_t> position(const topic_partition& tp) const;
  /// The partition's high watermark as of the last fetch.
  [[nodiscard]] std::optional<int64_t> high_watermark(const topic_partition& tp) const;

  /// In group mode commits (with auto-commit) and leaves the group, so its partitions move at
  /// once (a static member's wait for it instead).
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::client
