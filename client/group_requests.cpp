#include "client/group_requests.h"

namespace sluice::client {

void add_topic_partitions(const std::set<topic_partition>& partitions,
                          google::protobuf::RepeatedPtrField<v1::TopicPartitions>* out) {
  v1::TopicPartitions* current = nullptr;
  for (const auto& tp : partitions) {
    if (current == nullptr || current->topic() != tp.topic) {
      current = out->Add();
      current->set_topic(tp.topic);
    }
    current->add_partitions(tp.partition);
  }
}

void add_commit_offsets(const std::map<topic_partition, int64_t>& offsets,
                        v1::OffsetCommitRequest* req) {
  v1::OffsetCommitRequest::Topic* current = nullptr;
  for (const auto& [tp, offset] : offsets) {
    if (current == nullptr || current->name() != tp.topic) {
      current = req->add_topics();
      current->set_name(tp.topic);
    }
    auto* p = current->add_partitions();
    p->set_partition(tp.partition);
    p->set_offset(offset);
    p->set_leader_epoch(-1);
  }
}

}  // namespace sluice::client
