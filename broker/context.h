// What request handlers need from the broker: the logs, the config, producer ids, metrics, the
// group coordinator and the address clients reach it at. Handlers use nothing else, so they run
// without sockets.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "broker/config.h"
#include "broker/metrics.h"
#include "broker/producer_ids.h"
#include "proto/result.h"
#include "storage/log_manager.h"

namespace sluice::broker {

class group_coordinator;

struct broker_context {
  storage::log_manager& logs;
  const broker_config& config;
  producer_id_allocator& producer_ids;
  metrics_registry& metrics;
  group_coordinator* groups = nullptr;  // null in tests of the plain handlers
  std::string advertised_host;
  uint16_t advertised_port = 0;
};

// The partition, creating its topic first if auto.create.topics.enable allows it.
[[nodiscard]] result<std::shared_ptr<storage::partition_log>> find_partition(
    broker_context& ctx, const std::string& topic, int32_t partition, bool may_create);

}  // namespace sluice::broker
