#include "broker/group/partition_set_proto.h"

namespace sluice::broker {

void to_proto(const partition_set& set,
              google::protobuf::RepeatedPtrField<v1::TopicPartitions>* out) {
  v1::TopicPartitions* current = nullptr;
  for (const auto& [topic, p] : set) {
    if (current == nullptr || current->topic() != topic) {
      current = out->Add();
      current->set_topic(topic);
    }
    current->add_partitions(p);
  }
}

partition_set from_proto(const google::protobuf::RepeatedPtrField<v1::TopicPartitions>& in) {
  partition_set out;
  for (const auto& t : in) {
    for (int32_t p : t.partitions())
      out.insert({t.topic(), p});
  }
  return out;
}

}  // namespace sluice::broker
