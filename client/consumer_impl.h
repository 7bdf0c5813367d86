// Internals of the consumer, shared by consumer.cpp (the application side), consumer_fetch.cpp
// (the fetch loop on the runtime thread) and consumer_group.cpp (group membership).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

#include "client/connection.h"
#include "client/consumer.h"
#include "client/fetched_slice.h"
#include "client/runtime.h"

namespace sluice::client {

struct consumer::impl {
  struct held_count {
    size_t records = 0;
    size_t bytes = 0;
  };
  struct partition_state {
    std::optional<int64_t> fetch_position;  // next offset to fetch; nullopt: to be reset
    int64_t position = -1;                  // next offset poll() hands out
    uint64_t generation = 0;  // new on assign and seek: stale fetch results are dropped
    int64_t high_watermark = -1;
    std::deque<fetched_slice> fetched;  // checked, not decoded yet
    uint64_t decoding = 0;  // nonzero: the id of the poll() decoding this partition outside mu
    std::deque<decoded_records> buffered;  // decoded, not all handed out yet

    // Records, and bytes of their batches, held for poll(), decoded or not.
    [[nodiscard]] held_count held() const {
      held_count n;
      for (const auto& b : buffered) {
        n.records += b.left();
        n.bytes += b.bytes;
      }
      for (const auto& f : fetched) {
        n.records += f.records;
        n.bytes += f.batches.size();
      }
      return n;
    }
    // Forgets what is held. Returns how much that was.
    held_count clear_held() {
      const held_count n = held();
      buffered.clear();
      fetched.clear();
      return n;
    }
  };

  explicit impl(consumer_config c);

  void wake_fetcher() {
    asio::post(rt.executor(), [this] { wake.cancel(); });
  }
  awaitable<void> pause(std::chrono::milliseconds d);

  // Fetch side (consumer_fetch.cpp), on the runtime thread.
  // ListOffsets for `tps` by `spec` (and `ts`).
  awaitable<result<std::map<topic_partition, int64_t>>> list_offsets(
      std::vector<topic_partition> tps, v1::OffsetSpec spec, int64_t ts);
  // Gives partitions without a position one, by auto_offset_reset. False when ListOffsets failed
  // with a retriable error: worth trying again after retry_backoff.
  awaitable<bool> reset_positions();
  // Queues the checked slices of a fetch response for poll(). REQUIRES: mu held.
  void absorb(partition_state& st, checked_slice checked);
  using asked_map = std::map<topic_partition, std::pair<uint64_t, int64_t>>;  // generation, offset
  struct fetch_sent {
    connection::request_ptr request;
    asked_map asked;
  };
  // A fetch of every partition with a position, into `asked`. A partition that `previous` asked
  // for, unchanged since, is fetched from `ahead` (its offset after the previous fetch's data)
  // if it is there. REQUIRES: mu held.
  v1::RequestMeta fetch_request(std::chrono::milliseconds max_wait, const asked_map& previous,
                                const std::map<topic_partition, int64_t>& ahead, asked_map& asked);
  // Given the meta of the response to a fetch that asked for `asked`, whose data has not
  // arrived yet: the fetch to send next at once, or nullopt when the consumer has caught up,
  // its buffer would be full, or a partition waits for a position. REQUIRES: mu held.
  std::optional<v1::RequestMeta> fetch_after(const v1::ResponseMeta& head, const asked_map& asked,
                                             asked_map& next_asked);
  // Queues a fetch response's batches for poll(); false if it (or a partition) failed.
  bool take_fetched(result<response> resp, const asked_map& asked);
  awaitable<void> fetch_loop();

  // Application side (consumer.cpp).
  // Appends decoded records to `records`, round-robin over partitions, until it holds
  // max_poll_records, and the memory they point into to `memory`. REQUIRES: mu held.
  void hand_out(std::vector<consumer_record_view>& records,
                std::vector<std::shared_ptr<const slice_memory>>& memory);
  // Decodes the next fetched slice of partitions with nothing decoded, with mu released while
  // decoding. Returns false if there was none. REQUIRES: `lock` holds mu.
  bool decode_fetched(std::unique_lock<std::mutex>& lock);
  // Adds (or keeps) partition states for `tps`. REQUIRES: mu held.
  void add_partitions(const std::set<topic_partition>& tps);
  // Drops the states of `tps` and their buffered records. REQUIRES: mu held.
  void drop_partitions(const std::set<topic_partition>& tps);

  // Group side (consumer_group.cpp).
  awaitable<void> heartbeat_loop();
  // Brings the application's partitions to the coordinator's latest assignment: revokes (with a
  // commit under auto-commit) and adds, calling the listener. On the application thread.
  result<void> reconcile();
  // Commits on the runtime thread.
  awaitable<result<void>> commit(std::map<topic_partition, int64_t> offsets);
  // The consumed positions of the owned partitions that moved since the last commit.
  std::map<topic_partition, int64_t> positions_to_commit(const std::set<topic_partition>& of);
  // Leaves the group (a static member says it comes back).
  void leave();
  // subscribe() and subscribe_regex().
  result<void> join(std::vector<std::string> subscribed_topics, std::string subscribed_regex,
                    rebalance_listener* l);

  consumer_config config;
  runtime rt;
  connection conn;        // fetches and offset lookups
  connection group_conn;  // heartbeats and commits, never stuck behind a long-polling fetch
  asio::steady_timer wake;
  asio::steady_timer heartbeat_wake;

  mutable std::mutex mu;
  std::condition_variable data_ready;
  std::map<topic_partition, partition_state> parts;
  size_t buffered_total = 0;  // records held for poll()
  size_t buffered_bytes = 0;  // bytes of the batches they are in
  void forget(held_count h) {
    buffered_total -= h.records;
    buffered_bytes -= h.bytes;
  }
  // Drops what `st` holds and anything fetched or being decoded for it, and fetches it again
  // from `from` (nullopt: from where auto_offset_reset says). REQUIRES: mu held.
  void refetch(partition_state& st, std::optional<int64_t> from) {
    forget(st.clear_held());
    st.fetch_position = from;
    st.generation = ++next_generation;
  }
  // Whether prefetching is to pause. REQUIRES: mu held.
  [[nodiscard]] bool buffer_full() const {
    return buffered_total >= config.max_buffered_records ||
           buffered_bytes >= config.max_buffered_bytes;
  }
  // Wakes the fetch loop if it paused on a full buffer that now has room: called as records
  // leave the buffer. Waking it only then spares its thread a wake-up for every poll().
  // REQUIRES: mu held.
  void room_freed() {
    if (!waiting_for_room || buffer_full()) return;
    waiting_for_room = false;
    wake_fetcher();
  }
  // Record vectors of handed-out slices, for decode_fetched() to fill again. A slice of
  // 1 KiB records needs about 120 KiB of views: allocated afresh each time, glibc hands the pages
  // back to the kernel between slices and every decode faults them in again.
  static constexpr size_t max_spare_views = 4;
  static constexpr size_t max_spare_view_bytes = 2u << 20;  // each
  std::vector<std::vector<consumer_record_view>> spare_views;
  size_t next_partition = 0;     // round-robin start for poll()
  size_t fetch_rotation = 0;     // round-robin start for the fetch loop
  uint64_t next_generation = 0;  // partition states never share a generation
  std::optional<error> error_once;
  bool polling = false;           // poll() has been called: fetching may start
  bool waiting_for_room = false;  // the fetch loop paused on a full buffer
  bool stopped = false;

  // Group membership (mu guards it).
  bool subscribed = false;
  // Replaced by a newer member with our instance id, or close() has left: the heartbeat loop
  // sends nothing more.
  bool heartbeats_done = false;
  std::set<topic_partition> adding;  // being taken on by reconcile(): reported as owned
  std::vector<std::string> topics;
  std::string regex;
  rebalance_listener* listener = nullptr;
  std::string member_id;
  int32_t member_epoch = 0;
  std::set<topic_partition> owned;   // handed to the application and not revoked
  std::set<topic_partition> target;  // what the coordinator says to own now
  std::set<topic_partition> lost;    // fenced: gone without a commit, on_lost still to tell
  std::map<topic_partition, int64_t> last_committed;
  std::chrono::steady_clock::time_point last_auto_commit{};
  std::chrono::milliseconds heartbeat_interval{1000};
};

}  // namespace sluice::client
