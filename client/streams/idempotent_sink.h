// Remembers what a sink has applied, so that records replayed after a crash (at-least-once
// delivery) are not applied twice.
//
// By position: one offset per partition, the one after the last record applied. It relies on
// a consumer's contract that a partition's records arrive in offset order, so anything below
// that offset is a replay. By key: the keys the application names (an order id, say), for
// duplicates that come at new offsets, such as a record a producer without idempotence sent
// twice. Keys are kept until forget_keys(); the application bounds them.
//
// The state is only as durable as the sink's output: save serialize() in the same write as the
// output (one file, one database transaction, one changelog record), and restore() it on start.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "client/record.h"
#include "proto/result.h"

namespace sluice::streams {
class SinkState;
}

namespace sluice::client {

class idempotent_sink {
 public:
  /// True when a record at this position or after it in the partition was marked.
  [[nodiscard]] bool seen(const consumer_record& r) const;
  void mark(const consumer_record& r);
  /// seen(), then mark(): true once per position.
  [[nodiscard]] bool first_time(const consumer_record& r);

  [[nodiscard]] bool seen_key(std::string_view key) const;
  void mark_key(std::string_view key);
  /// seen_key(), then mark_key(): true once per key.
  [[nodiscard]] bool first_time_key(std::string_view key);
  void forget_keys();

  /// Per partition, the offset after the last record marked.
  [[nodiscard]] const std::map<topic_partition, int64_t>& positions() const noexcept {
    return next_;
  }

  void save(streams::SinkState& out) const;
  [[nodiscard]] static idempotent_sink load(const streams::SinkState& in);
  [[nodiscard]] std::string serialize() const;
  /// errc::protocol_error when `bytes` is not what serialize() wrote.
  [[nodiscard]] static result<idempotent_sink> restore(std::string_view bytes);

 private:
  std::map<topic_partition, int64_t> next_;
  std::set<std::string, std::less<>> keys_;
};

}  // namespace sluice::client
