// The group coordinator: consumer groups (consumer_group.h) kept on the io thread, their state
// and committed offsets in the offset store. Handlers are functions from a decoded request to
// a response, except OffsetCommit, which answers once the commit is durable.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "broker/config.h"
#include "broker/group/consumer_group.h"
#include "broker/metrics.h"
#include "sluice/v1/sluice.pb.h"
#include "storage/log_manager.h"
#include "storage/offset_store.h"

namespace sluice::broker {

class group_coordinator {
 public:
  using clock_fn = std::function<int64_t()>;

  group_coordinator(storage::log_manager& logs, storage::offset_store& store,
                    const broker_config& config, metrics_registry& metrics, clock_fn clock);

  // Loads the groups the store holds. Members get a full session to come back. When it fails
  // the coordinator is unavailable (below) rather than serving groups it could not read.
  [[nodiscard]] result<void> load();

  // Why group requests cannot be served (the offset store could not be opened or read), if so.
  [[nodiscard]] std::optional<error> unavailable() const;

  // Join, heartbeat or leave. Errors go in `header_error`.
  v1::ConsumerGroupHeartbeatResponse heartbeat(const v1::ConsumerGroupHeartbeatRequest& req,
                                               const std::string& client_id,
                                               v1::Error* header_error);

  // Checks the commit and, when it may go ahead, writes it; `done` gets the response, on the
  // offset store's thread, once the offsets are durable (or the write failed).
  void commit(const v1::OffsetCommitRequest& req,
              std::function<void(v1::OffsetCommitResponse)> done);

  v1::OffsetFetchResponse fetch_offsets(const v1::OffsetFetchRequest& req);
  v1::ListGroupsResponse list_groups();
  v1::DescribeGroupsResponse describe_groups(const v1::DescribeGroupsRequest& req);
  v1::DeleteGroupsResponse delete_groups(const v1::DeleteGroupsRequest& req);

  // Committed offsets of a deleted topic go with it.
  void topic_deleted(const std::string& topic);

  // Fences members past their session timeout, reassigns groups whose topics changed, and
  // drops groups empty for longer than offsets.retention.ms. Run it often (every ~250 ms).
  void sweep();

  // Gauges for /metrics: members, rebalances, lag per group and partition.
  void render_metrics(std::string& out);

  [[nodiscard]] uint32_t heartbeat_interval_ms() const;

 private:
  [[nodiscard]] topic_catalog catalog() const;
  void persist(const consumer_group& g);
  void fill_lag(const consumer_group& g, v1::DescribeGroupsResponse::Group& out);
  // The partition's newest record timestamp and that of the group's last consumed record.
  static void fill_event_time(storage::partition_log& log, int64_t committed,
                              v1::DescribeGroupsResponse::PartitionLag& out);
  // The group `id`, or end() with GROUP_ID_NOT_FOUND in `error`.
  std::map<std::string, consumer_group>::iterator find_group(const std::string& id,
                                                             v1::Error* error);

  storage::log_manager& logs_;
  storage::offset_store& store_;
  const broker_config& config_;
  metrics_registry& metrics_;
  clock_fn clock_;
  std::map<std::string, consumer_group> groups_;
  std::optional<error> load_error_;
};

// Group ids: 1 to 255 printable characters.
[[nodiscard]] std::optional<std::string> invalid_group_id(const std::string& id);

}  // namespace sluice::broker
