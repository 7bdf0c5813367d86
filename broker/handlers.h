// Request handlers: functions from a decoded request (and the broker_context) to a response.
// Produce and Fetch also return what the session must wait for or send (durability waits,
// file ranges); the waiting and sending is the session's.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "broker/context.h"
#include "sluice/v1/sluice.pb.h"
#include "storage/partition_log.h"

namespace sluice::broker {

// The API versions this broker speaks: every API at version 1.
inline constexpr uint32_t api_version = 1;

v1::ApiVersionsResponse handle_api_versions(const v1::ApiVersionsRequest& req);
v1::MetadataResponse handle_metadata(const v1::MetadataRequest& req, broker_context& ctx);
v1::CreateTopicsResponse handle_create_topics(const v1::CreateTopicsRequest& req,
                                              broker_context& ctx);
v1::DeleteTopicsResponse handle_delete_topics(const v1::DeleteTopicsRequest& req,
                                              broker_context& ctx);
v1::CreatePartitionsResponse handle_create_partitions(const v1::CreatePartitionsRequest& req,
                                                      broker_context& ctx);
v1::ListOffsetsResponse handle_list_offsets(const v1::ListOffsetsRequest& req, broker_context& ctx);
// Fails (the whole request) when no id can be allocated or a transactional id is given.
result<v1::InitProducerIdResponse> handle_init_producer_id(const v1::InitProducerIdRequest& req,
                                                           broker_context& ctx);

// An acks=all partition: its response entry may be sent once `appended` (the slice's last
// batch) is durable in `log`.
struct durability_wait {
  std::shared_ptr<storage::partition_log> log;
  storage::append_info appended;
  int topic_index = 0;
  int partition_index = 0;
};

struct produce_outcome {
  v1::ProduceResponse response;
  std::vector<durability_wait> waits;  // acks=all only
};

// Appends the batches of every partition slice of `data` (patched in place: base offsets).
// A slice may hold several batches; they are appended in order, and an error stops the slice.
produce_outcome handle_produce(const v1::ProduceRequest& req, std::span<std::byte> data,
                               broker_context& ctx);

struct fetch_outcome {
  struct sent {
    partition_counters* counters;
    uint64_t bytes;
    uint64_t records;
  };
  v1::FetchResponse response;
  std::vector<storage::file_range> ranges;  // the response's data section, in order
  uint64_t bytes = 0;
  bool has_error = false;  // some partition has an error: answer at once
  // The partitions read and the high watermark seen in each, to wait on for new data.
  std::vector<std::pair<std::shared_ptr<storage::partition_log>, offset>> watch;
  std::vector<sent> sent_per_partition;  // for record_fetch_metrics once the answer goes out
};

// Adds a fetch response's bytes and records to the partition counters.
void record_fetch_metrics(const fetch_outcome& outcome);

// One pass over the partitions of a fetch, reading what is there now. The first partition with
// data gets at least one batch even past max_bytes; later ones only what fits.
fetch_outcome fetch_once(const v1::FetchRequest& req, broker_context& ctx);

}  // namespace sluice::broker
