// Partition sets to and from the wire's repeated TopicPartitions (one entry per topic).
#pragma once

#include "broker/group/assignor.h"
#include "sluice/v1/sluice.pb.h"

namespace sluice::broker {

void to_proto(const partition_set& set,
              google::protobuf::RepeatedPtrField<v1::TopicPartitions>* out);
[[nodiscard]] partition_set from_proto(
    const google::protobuf::RepeatedPtrField<v1::TopicPartitions>& in);

}  // namespace sluice::broker
