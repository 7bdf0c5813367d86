#include "broker/config.h"

#include <charconv>
#include <functional>

#include "broker/errc.h"
#include "storage/flush_policy.h"

namespace sluice::broker {
namespace {

using setter = std::function<result<void>(broker_config&, std::string_view value)>;

struct key_spec {
  config_key_info info;
  setter set;
};

error bad(std::string_view expected) {
  return make_error(errc::invalid_config, std::string(expected));
}

template <class T>
result<T> parse_int(std::string_view v, T min, T max) {
  T out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || out < min || out > max) {
    return bad("an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return out;
}

template <class T, class Field>
setter int_field(Field field, T min, T max) {
  return [=](broker_config& c, std::string_view v) -> result<void> {
    SLUICE_TRY(n, parse_int<T>(v, min, max));
    std::invoke(field, c) = n;
    return success();
  };
}

setter bool_field(bool broker_config::*field) {
  return [=](broker_config& c, std::string_view v) -> result<void> {
    if (v != "true" && v != "false") return bad("true or false");
    c.*field = v == "true";
    return success();
  };
}

// A broker-wide default for a topic config key (log.retention.ms -> retention.ms).
setter topic_default(std::string_view topic_key) {
  return [key = std::string(topic_key)](broker_config& c, std::string_view v) -> result<void> {
    auto applied = storage::apply_topic_config(c.storage.defaults, {{key, std::string(v)}});
    if (!applied) {
      std::string msg = applied.error().message;
      size_t at = msg.find(": expected ");
      return bad(at == std::string::npos ? msg : msg.substr(at + 11));
    }
    c.storage.defaults = applied.value();
    return success();
  };
}

const std::vector<key_spec>& specs() {
  static const std::vector<key_spec> all = {
      {{"listen", "127.0.0.1:9292", "Address the broker listens on; port 0 picks a free port."},
       [](broker_config& c, std::string_view v) -> result<void> {
         SLUICE_TRY(hp, parse_host_port(v));
         c.listen = hp;
         return success();
       }},
      {{"metrics.listen", "127.0.0.1:9293",
        "Address of the Prometheus /metrics endpoint; empty turns it off."},
       [](broker_config& c, std::string_view v) -> result<void> {
         if (v.empty()) {
           c.metrics_listen.reset();
           return success();
         }
         SLUICE_TRY(hp, parse_host_port(v));
         c.metrics_listen = hp;
         return success();
       }},
      {{"data.dir", "./data",
        "Directory holding topics, partitions and the clean-shutdown marker."},
       [](broker_config& c, std::string_view v) -> result<void> {
         if (v.empty()) return bad("a directory");
         c.storage.data_dir = std::string(v);
         return success();
       }},
      {{"log.level", "info", "Broker log level: trace, debug, info, warn, error or off."},
       [](broker_config& c, std::string_view v) -> result<void> {
         for (auto level : {"trace", "debug", "info", "warn", "error", "off"}) {
           if (v == level) {
             c.log_level = std::string(v);
             return success();
           }
         }
         return bad("trace, debug, info, warn, error or off");
       }},
      {{"log.file", "", "Also write the broker log to this file; empty: stderr only."},
       [](broker_config& c, std::string_view v) -> result<void> {
         c.log_file = std::string(v);
         return success();
       }},
      {{"auto.create.topics.enable", "false",
        "Create a topic when a producer or consumer first names it."},
       bool_field(&broker_config::auto_create_topics)},
      {{"num.partitions", "1", "Partitions of an auto-created topic."},
       int_field<int32_t>(&broker_config::num_partitions, 1, 10'000)},
      {{"max.partitions.per.topic", "10000", "Largest partition count a topic may have."},
       int_field<int32_t>([](broker_config& c) -> int32_t& { return c.storage.max_partitions; }, 1,
                          1'000'000)},
      {{"log.flush.policy", "interval",
        "always: group-commit fsync before readers see an append; interval: fsync every "
        "log.flush.interval.ms; os: leave it to the kernel. acks=all always waits for an fsync."},
       [](broker_config& c, std::string_view v) -> result<void> {
         auto p = storage::parse_flush_policy(v);
         if (!p) return bad("always, interval or os");
         c.storage.policy = *p;
         return success();
       }},
      {{"log.flush.interval.ms", "1000", "fsync period under log.flush.policy=interval."},
       [](broker_config& c, std::string_view v) -> result<void> {
         SLUICE_TRY(ms, parse_int<int64_t>(v, 1, 86'400'000));
         c.storage.flush_interval = std::chrono::milliseconds(ms);
         return success();
       }},
      {{"log.flush.threads", "4",
        "Partitions fsynced at once when someone waits on them (acks=all, or readers under "
        "log.flush.policy=always), so the disk completes their fsyncs together. Background "
        "flushes run one at a time."},
       int_field<int>([](broker_config& c) -> int& { return c.storage.flush_threads; }, 1, 64)},
      {{"log.preallocate.bytes", "1048576",
        "Disk space allocated ahead of each partition's active segment, so that appends allocate "
        "no blocks; what is left over is given back when the segment rolls. 0: none; else 65536 "
        "to 1073741824."},
       [](broker_config& c, std::string_view v) -> result<void> {
         constexpr uint64_t max = uint64_t{1} << 30;
         SLUICE_TRY(n, parse_int<uint64_t>(v, 0, max));
         if (n != 0 && n < storage::min_preallocate_bytes) {
           return bad("0, or an integer from " + std::to_string(storage::min_preallocate_bytes) +
                      " to " + std::to_string(max));
         }
         c.storage.preallocate_bytes = n;
         return success();
       }},
      {{"log.retention.check.interval.ms", "300000", "How often retention and compaction run."},
       [](broker_config& c, std::string_view v) -> result<void> {
         SLUICE_TRY(ms, parse_int<int64_t>(v, 1, INT64_MAX));
         c.storage.maintenance_interval = std::chrono::milliseconds(ms);
         return success();
       }},
      {{"log.retention.ms", "604800000", "Default retention.ms of topics (-1: forever)."},
       topic_default("retention.ms")},
      {{"log.retention.bytes", "-1", "Default retention.bytes per partition (-1: no limit)."},
       topic_default("retention.bytes")},
      {{"log.segment.bytes", "1073741824", "Default segment.bytes."},
       topic_default("segment.bytes")},
      {{"log.roll.ms", "604800000", "Default segment.ms: roll a segment this old."},
       topic_default("segment.ms")},
      {{"log.message.timestamp.type", "CreateTime",
        "Default message.timestamp.type: CreateTime or LogAppendTime."},
       topic_default("message.timestamp.type")},
      {{"log.cleanup.policy", "delete",
        "Default cleanup.policy: delete, compact or compact,delete."},
       topic_default("cleanup.policy")},
      {{"log.cleaner.delete.retention.ms", "86400000",
        "Default delete.retention.ms: how long tombstones outlive compaction."},
       topic_default("delete.retention.ms")},
      {{"log.index.interval.bytes", "4096", "Default index.interval.bytes."},
       topic_default("index.interval.bytes")},
      {{"message.max.bytes", "1048588", "Default max.message.bytes: the largest batch accepted."},
       topic_default("max.message.bytes")},
      {{"producer.id.expiration.ms", "86400000",
        "Forget an idempotent producer's sequence numbers after this long without writes."},
       int_field<int64_t>(
           [](broker_config& c) -> int64_t& { return c.storage.producer_id_expiration_ms; }, 1,
           INT64_MAX)},
      {{"socket.request.max.bytes", "104857600",
        "Largest request frame; checked before anything is allocated."},
       int_field<uint32_t>(&broker_config::socket_request_max_bytes, 64, 1U << 31)},
      {{"max.connections", "1000", "Client connections held at once; more are refused."},
       int_field<uint32_t>(&broker_config::max_connections, 1, 1'000'000)},
      {{"max.inflight.requests.per.connection", "32",
        "Requests read from one connection and not yet answered; the broker stops reading it "
        "beyond this."},
       int_field<uint32_t>(&broker_config::max_inflight_requests_per_connection, 1, 100'000)},
      {{"queued.max.request.bytes", "536870912",
        "Memory all connections may hold in request buffers; reading waits beyond this."},
       int_field<uint64_t>(&broker_config::queued_max_request_bytes, 1024, UINT64_MAX)},
      {{"connections.max.idle.ms", "600000", "Close a connection idle this long."},
       int_field<int64_t>(&broker_config::connections_max_idle_ms, 1, INT64_MAX)},
      {{"socket.request.timeout.ms", "30000",
        "A request frame must arrive whole within this time once its length is read."},
       int_field<int64_t>(&broker_config::socket_request_timeout_ms, 1, INT64_MAX)},
      {{"fetch.max.bytes", "57671680", "Cap on the data of one fetch response."},
       int_field<uint32_t>(&broker_config::fetch_max_bytes, 1024, 1U << 31)},
      {{"fetch.max.wait.ms", "30000",
        "Longest a fetch may wait for data; a client asking for longer is cut to this."},
       int_field<uint32_t>(&broker_config::fetch_max_wait_ms, 0, 3'600'000)},
      {{"group.consumer.session.timeout.ms", "45000",
        "A group member that sends no heartbeat for this long is fenced and its partitions move "
        "(members may ask for another value within the bounds below)."},
       int_field<int64_t>(&broker_config::group_session_timeout_ms, 1, INT64_MAX)},
      {{"group.consumer.min.session.timeout.ms", "1000",
        "Shortest session timeout a member may ask for."},
       int_field<int64_t>(&broker_config::group_min_session_timeout_ms, 1, INT64_MAX)},
      {{"group.consumer.max.session.timeout.ms", "300000",
        "Longest session timeout a member may ask for."},
       int_field<int64_t>(&broker_config::group_max_session_timeout_ms, 1, INT64_MAX)},
      {{"group.consumer.heartbeat.interval.ms", "1000",
        "How often group members heartbeat; a rebalance settles within a few intervals."},
       int_field<int64_t>(&broker_config::group_heartbeat_interval_ms, 1, 3'600'000)},
      {{"offsets.retention.ms", "604800000",
        "A group empty for this long is removed with its committed offsets."},
       int_field<int64_t>(&broker_config::offsets_retention_ms, 1, INT64_MAX)},
      {{"shutdown.timeout.ms", "30000",
        "On SIGTERM, how long in-flight requests may take before connections are cut."},
       int_field<int64_t>(&broker_config::shutdown_timeout_ms, 0, INT64_MAX)},
      {{"test.fault.injection", "false",
        "For fault tests only: partition logs go through a fault-injection layer. SIGUSR1 then "
        "drops every write not yet fsynced, as a power cut would, and exits at once; SIGUSR2 "
        "steps through failing every fsync, every write and fsync, and nothing, with EIO."},
       bool_field(&broker_config::fault_injection)},
  };
  return all;
}

}  // namespace

const std::vector<config_key_info>& config_keys() {
  static const std::vector<config_key_info> keys = [] {
    std::vector<config_key_info> out;
    for (const auto& s : specs())
      out.push_back(s.info);
    return out;
  }();
  return keys;
}

std::string default_config_file() {
  std::string out =
      "# sluiced configuration. Every key the broker knows, set to its default.\n"
      "# Any key can also be given on the command line: sluiced --set key=value.\n"
      "# Generated by `sluiced --print-default-config`; a test keeps the two in step.\n";
  for (const auto& k : config_keys()) {
    out += "\n";
    std::string doc(k.doc);
    // Wrap the description at about 96 columns.
    std::string line = "#";
    size_t start = 0;
    while (start < doc.size()) {
      size_t end = doc.find(' ', start);
      if (end == std::string::npos) end = doc.size();
      std::string word = doc.substr(start, end - start);
      if (line.size() + 1 + word.size() > 96) {
        out += line + "\n";
        line = "#";
      }
      line += " " + word;
      start = end + 1;
    }
    out += line + "\n" + std::string(k.key) + "=" + std::string(k.default_value) + "\n";
  }
  return out;
}

result<host_port> parse_host_port(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return bad("host:port");
  host_port hp{std::string(text.substr(0, colon)), 0};
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  auto port = parse_int<uint32_t>(text.substr(colon + 1), 0, 65535);
  if (!port) return bad("host:port with a port from 0 to 65535");
  hp.port = static_cast<uint16_t>(port.value());
  return hp;
}

result<broker_config> make_config(const std::vector<property>& properties) {
  broker_config config;
  for (const auto& p : properties) {
    const key_spec* spec = nullptr;
    for (const auto& s : specs()) {
      if (s.info.key == p.key) spec = &s;
    }
    if (spec == nullptr) {
      return make_error(errc::invalid_config, p.origin + ": unknown config key '" + p.key +
                                                  "' (configs/sluiced.properties lists every key)");
    }
    auto applied = spec->set(config, p.value);
    if (!applied) {
      return make_error(errc::invalid_config, p.origin + ": " + p.key + "=" + p.value +
                                                  ": expected " + applied.error().message);
    }
  }
  if (config.queued_max_request_bytes < config.socket_request_max_bytes) {
    return make_error(errc::invalid_config,
                      "queued.max.request.bytes must be at least socket.request.max.bytes");
  }
  return config;
}

}  // namespace sluice::broker
