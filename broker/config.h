// The broker's configuration: every key of configs/sluiced.properties, its default, and
// validation. Unknown keys and bad values stop start-up with a message naming the key and where
// it was set.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/properties.h"
#include "proto/result.h"
#include "storage/log_manager.h"

namespace sluice::broker {

struct host_port {
  std::string host;
  uint16_t port = 0;
};

struct broker_config {
  host_port listen{"127.0.0.1", 9292};
  std::optional<host_port> metrics_listen = host_port{"127.0.0.1", 9293};  // nullopt: off
  std::string log_level = "info";
  std::string log_file;  // empty: stderr only
  bool auto_create_topics = false;
  int32_t num_partitions = 1;
  uint32_t socket_request_max_bytes = 100 << 20;
  uint32_t max_connections = 1000;
  uint32_t max_inflight_requests_per_connection = 32;
  uint64_t queued_max_request_bytes = 512ULL << 20;
  int64_t connections_max_idle_ms = 600'000;
  int64_t socket_request_timeout_ms = 30'000;
  uint32_t fetch_max_bytes = 55 << 20;
  uint32_t fetch_max_wait_ms = 30'000;
  int64_t shutdown_timeout_ms = 30'000;
  int64_t group_session_timeout_ms = 45'000;
  int64_t group_min_session_timeout_ms = 1'000;
  int64_t group_max_session_timeout_ms = 300'000;
  int64_t group_heartbeat_interval_ms = 1'000;
  int64_t offsets_retention_ms = 7LL * 24 * 3600 * 1000;
  bool fault_injection = false;  // the fault suite's hooks: broker/fault_signals.h
  // data.dir, flush policy, maintenance interval, topic defaults, limits.
  storage::log_manager_options storage;
};

struct config_key_info {
  std::string_view key;
  std::string_view default_value;
  std::string_view doc;
};

// Every key, in the order configs/sluiced.properties documents them.
[[nodiscard]] const std::vector<config_key_info>& config_keys();

// Applies properties in order (later ones win) to the defaults. Fails with errc::invalid_config
// naming the key, the value, what was expected and the property's origin.
[[nodiscard]] result<broker_config> make_config(const std::vector<property>& properties);

// configs/sluiced.properties as generated from config_keys(): every key with its doc and default.
[[nodiscard]] std::string default_config_file();

// "host:port" -> host_port. Port 0 asks the OS for a free port.
[[nodiscard]] result<host_port> parse_host_port(std::string_view text);

}  // namespace sluice::broker
