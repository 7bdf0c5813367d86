#include "support/raw_requests.h"

#include "support/raw_client.h"

namespace sluice::test {

v1::RequestMeta produce_request(const std::string& topic, size_t bytes) {
  v1::RequestMeta meta;
  meta.mutable_header()->set_api_key(v1::PRODUCE);
  auto* req = meta.mutable_produce();
  req->set_acks(-1);
  req->set_timeout_ms(10'000);
  auto* t = req->add_topics();
  t->set_name(topic);
  auto* p = t->add_partitions();
  p->set_partition(0);
  p->set_data_offset(0);
  p->set_data_length(static_cast<uint32_t>(bytes));
  return meta;
}

std::optional<int64_t> new_producer_id(uint16_t port) {
  raw_client c(port);
  v1::RequestMeta init;
  init.mutable_header()->set_api_key(v1::INIT_PRODUCER_ID);
  init.mutable_init_producer_id();
  c.send_request(init);
  auto resp = c.read_response();
  if (!resp || !resp->has_init_producer_id()) return std::nullopt;
  return resp->init_producer_id().producer_id();
}

}  // namespace sluice::test
