// Pieces of group requests shared by the consumer and admin.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "client/record.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::client {

// `partitions` as TopicPartitions, one entry per topic.
void add_topic_partitions(const std::set<topic_partition>& partitions,
                          google::protobuf::RepeatedPtrField<v1::TopicPartitions>* out);

// `offsets` (each the next offset to consume) into `req`'s topics.
void add_commit_offsets(const std::map<topic_partition, int64_t>& offsets,
                        v1::OffsetCommitRequest* req);

}  // namespace sluice::client
