// Windowed aggregation of a topic by event time (or processing time), on a micro-batch consumer
// in a consumer group.
//
// Each micro-batch is counted into the open windows and the windows the watermark has closed are
// taken out. Then, in order: the late records go to the late-data handler; one changelog record
// (changelog.h) holds the closed windows' results and the whole state after the batch (open
// windows, watermark, the input positions it holds), and the producer waits until it is durable;
// only then are the input offsets committed. start() restores the last changelog record and
// resumes at the committed offsets, skipping by position what that record already holds. A batch
// that crashed before its changelog record was durable left no result and no state behind, and
// is done again. So across a crash and restart each closed window's result is in the changelog
// exactly once, and no input record is lost or counted twice.
//
// Only at-least-once: the late-data handler (a crash before the changelog record hands those
// records over again; the default handler marks each late record with its source position in a
// "sluice.source" header, so readers can drop repeats with an idempotent_sink), and on_result,
// called after the changelog write, once per result this process wrote (a crash between the two
// loses the call, not the result: read_window_results() has it).
//
// A user function that throws fails the batch like an error would. Each changelog record holds
// every open window, so it must stay under the producer's max_request_size (1 MiB): size the keys
// and the aggregates for that.
//
// One instance per aggregation: its state covers every partition of the topic, so the group has
// one member at a time. Unless the config names one, the member is static with the instance id
// "<group_id>.aggregator", so a restarted instance gets the partitions back at once. A second
// instance started by mistake takes the partitions over and the first one's commits are refused,
// but not its changelog writes: do not run two. Not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "client/consumer.h"
#include "client/streams/changelog.h"
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
  /// default "<group_id>.changelog"; created if missing, with retention.ms=-1 (the results are
  /// kept; restoring needs only the last record)
  std::string changelog_topic;
  std::string late_topic;  ///< default "<topic>.late"; created if missing
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

  /// As of the last changelog record written or restored, so never backwards: a failed batch's
  /// progress does not show.
  [[nodiscard]] int64_t watermark() const;
  [[nodiscard]] uint64_t late_records() const;
  [[nodiscard]] size_t open_windows() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::client
