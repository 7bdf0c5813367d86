#include "storage/log_config.h"

#include <charconv>
#include <functional>
#include <vector>

#include "storage/errc.h"

namespace sluice::storage {
namespace {

error bad_value(std::string_view key, std::string_view value, std::string_view expected) {
  return make_error(errc::invalid_config, "topic config " + std::string(key) + "=" +
                                              std::string(value) + ": expected " +
                                              std::string(expected));
}

result<int64_t> parse_long(std::string_view key, std::string_view value, int64_t min, int64_t max) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
  if (ec != std::errc() || end != value.data() + value.size() || v < min || v > max) {
    return bad_value(key, value,
                     "an integer from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

struct key_spec {
  std::string_view key;
  std::function<result<void>(log_config&, std::string_view)> set;
  std::function<std::string(const log_config&)> get;
};

template <class Field>
key_spec long_key(std::string_view key, Field log_config::*field, int64_t min, int64_t max) {
  return {key,
          [=](log_config& c, std::string_view v) -> result<void> {
            SLUICE_TRY(n, parse_long(key, v, min, max));
            c.*field = static_cast<Field>(n);
            return success();
          },
          [=](const log_config& c) { return std::to_string(c.*field); }};
}

const std::vector<key_spec>& specs() {
  static const std::vector<key_spec> all = {
      long_key("retention.ms", &log_config::retention_ms, -1, INT64_MAX),
      long_key("retention.bytes", &log_config::retention_bytes, -1, INT64_MAX),
      long_key("segment.bytes", &log_config::segment_bytes, 1024, INT32_MAX),
      long_key("segment.ms", &log_config::segment_ms, 1, INT64_MAX),
      {"message.timestamp.type",
       [](log_config& c, std::string_view v) -> result<void> {
         if (v == "CreateTime") {
           c.timestamp_type = proto::timestamp_type::create_time;
         } else if (v == "LogAppendTime") {
           c.timestamp_type = proto::timestamp_type::log_append_time;
         } else {
           return bad_value("message.timestamp.type", v, "CreateTime or LogAppendTime");
         }
         return success();
       },
       [](const log_config& c) -> std::string {
         return c.timestamp_type == proto::timestamp_type::create_time ? "CreateTime"
                                                                       : "LogAppendTime";
       }},
      {"cleanup.policy",
       [](log_config& c, std::string_view v) -> result<void> {
         if (v == "delete") {
           c.cleanup_delete = true, c.cleanup_compact = false;
         } else if (v == "compact") {
           c.cleanup_delete = false, c.cleanup_compact = true;
         } else if (v == "compact,delete" || v == "delete,compact") {
           c.cleanup_delete = true, c.cleanup_compact = true;
         } else {
           return bad_value("cleanup.policy", v, "delete, compact or compact,delete");
         }
         return success();
       },
       [](const log_config& c) -> std::string {
         if (c.cleanup_compact && c.cleanup_delete) return "compact,delete";
         return c.cleanup_compact ? "compact" : "delete";
       }},
      long_key("delete.retention.ms", &log_config::delete_retention_ms, 0, INT64_MAX),
      long_key("index.interval.bytes", &log_config::index_interval_bytes, 0, INT32_MAX),
      long_key("max.message.bytes", &log_config::max_message_bytes, 64, INT32_MAX),
  };
  return all;
}

const key_spec* find_spec(std::string_view key) {
  for (const auto& s : specs()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string_view>& topic_config_keys() {
  static const std::vector<std::string_view> keys = [] {
    std::vector<std::string_view> out;
    for (const auto& s : specs())
      out.push_back(s.key);
    return out;
  }();
  return keys;
}

result<log_config> apply_topic_config(const log_config& base, const config_map& overrides) {
  log_config config = base;
  for (const auto& [key, value] : overrides) {
    const key_spec* spec = find_spec(key);
    if (spec == nullptr) {
      std::string known;
      for (auto k : topic_config_keys())
        known += (known.empty() ? "" : ", ") + std::string(k);
      return make_error(errc::invalid_config,
                        "unknown topic config '" + key + "' (known keys: " + known + ")");
    }
    SLUICE_TRY(spec->set(config, value));
  }
  return config;
}

std::string topic_config_value(const log_config& config, std::string_view key) {
  const key_spec* spec = find_spec(key);
  return spec ? spec->get(config) : std::string();
}

result<void> validate_topic_name(std::string_view name) {
  if (name.empty()) return make_error(errc::invalid_topic_name, "topic name is empty");
  if (name.size() > 249) {
    return make_error(errc::invalid_topic_name, "topic name is " + std::to_string(name.size()) +
                                                    " characters long; the limit is 249");
  }
  if (name == "." || name == "..") {
    return make_error(errc::invalid_topic_name, "topic name cannot be '.' or '..'");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) {
      return make_error(errc::invalid_topic_name,
                        "topic name '" + std::string(name) + "' contains '" + std::string(1, c) +
                            "'; allowed are ASCII letters, digits, '.', '_' and '-'");
    }
  }
  return success();
}

}  // namespace sluice::storage
