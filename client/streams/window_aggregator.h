// Windowed aggregation of a topic by event time (or processing time), on a micro-batch consumer
// in a consumer group.
//
// Each micro-batch is counted into the open windows; windows the watermark has closed are taken
// out; then, in order, late records go to the late-data handler, each closed window's result and
// a checkpoint of the whole state (open windows, watermark, input positions) go to the changelog
// topic, the producer waits until all of it is durable, and only then are the input offsets
// committed. start() restores the last checkpoint and resumes at the committed offsets;
// records the checkpoint already holds are skipped by position. A result written by a batch that
// crashed before its checkpoint is found after that checkpoint and is not written again. So across
// a crash and restart a closed window's result is in the changelog exactly once, and no record is
// lost or counted twice.
//
// What is only at-least-once: the late-data handler (a crash before the checkpoint hands those
// records over again; the default handler marks each late record with its source position in a
// "sluice.source" header, so readers can drop repeats with an idempotent_sink) and on_result,
// which is called after the write, once per result this process wrote.
//
// One instance per aggregation: its state covers every partition of the topic, so the group has
// one member at a time. Unless the config names one, the member is static with the instance id
// "<group_id>.aggregator": a restarted instance gets the partitions back at once, and a second
// instance started by mistake fences the first one's commits. Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/consumer.h"
#include "client/streams/micro_batch.h"
#include "client/streams/window.h"
#include "client/streams/window_state.h"
#include "proto/result.h"

namespace sluice::client {

struct window_aggregator_config {
  consumer_config consumer;  ///< group_id is required; auto-commit is turned off
  std::string topic;         ///< the input
  window_spec window;
  std::chrono::milliseconds allowed_lateness{10 * 60'000};
  /// Windows by the time records are processed instead of their timestamps; windows then close
  /// as the clock moves, with or without records.
  bool processing_time = false;
  std::string changelog_topic;  ///< default "<group_id>.changelog"; created compacted if missing
  std::string late_topic;       ///< default "<topic>.late"; created if missing
  micro_batch_config batch;
  /// The key windows are kept by; default the record's key ("" without one).
  std::function<std::string(const consumer_record&)> key_of;
};

/// Handles a late record; an error fails the batch, which then comes again.
using late_handler = std::function<result<void>(const consumer_record&)>;

class window_aggregator {
 public:
  window_aggregator(window_aggregator_config config, aggregate_fn aggregate);
  ~window_aggregator();
  window_aggregator(const window_aggregator&) = delete;
  window_aggregator& operator=(const window_aggregator&) = delete;

  /// Called with each closed window's result once it is durable in the changelog.
  void on_result(std::function<void(const window_result&)> callback);
  /// Replaces producing late records to the late topic.
  void on_late(late_handler handler);

  /// Checks the config, creates the changelog and late topics if missing, restores the last
  /// checkpoint and joins the group.
  [[nodiscard]] result<void> start();
  /// One micro-batch, waiting up to `idle` for its first record. Returns the records handled.
  /// After an error the state is restored from the changelog before the next batch.
  [[nodiscard]] result<size_t> run_once(std::chrono::milliseconds idle);
  /// Leaves the group. Uncommitted input is consumed again by the next start().
  void close();

  [[nodiscard]] int64_t watermark() const;
  [[nodiscard]] uint64_t late_records() const;
  [[nodiscard]] size_t open_windows() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Every window result in `changelog_topic`, in the order they were written.
[[nodiscard]] result<std::vector<window_result>> read_window_results(
    const client_config& config, const std::string& changelog_topic);

}  // namespace sluice::client
