#include <cstdio>
#include <iostream>

#include "client/admin.h"
#include "client/cli/commands.h"

namespace sluice::cli {

int fail(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "sluice %s: %s\n", command.c_str(), message.c_str());
  return 1;
}

int topic_create(const client::client_config& c, const topic_create_args& a) {
  std::map<std::string, std::string> configs;
  for (const auto& kv : a.configs) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return fail("topic create", "--config wants key=value, got '" + kv + "'");
    }
    configs[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  client::admin admin(c);
  auto created = admin.create_topic(a.name, a.partitions, configs);
  if (!created) return fail("topic create", created.error().message);
  std::printf("created topic %s with %d partitions\n", a.name.c_str(), a.partitions);
  return 0;
}

int topic_list(const client::client_config& c) {
  client::admin admin(c);
  auto topics = admin.list_topics();
  if (!topics) return fail("topic list", topics.error().message);
  for (const auto& t : topics.value()) {
    std::printf("%s\t%zu partitions\n", t.name.c_str(), t.partitions.size());
  }
  return 0;
}

int topic_describe(const client::client_config& c, const std::string& name) {
  client::admin admin(c);
  auto t = admin.describe_topic(name);
  if (!t) return fail("topic describe", t.error().message);
  const auto& info = t.value();
  std::printf("topic %s: %zu partitions\n", info.name.c_str(), info.partitions.size());
  std::printf("%-10s %-14s %-14s %s\n", "partition", "log-start", "log-end", "size-bytes");
  for (const auto& p : info.partitions) {
    std::printf(
        "%-10d %-14lld %-14lld %llu\n", p.partition, static_cast<long long>(p.log_start_offset),
        static_cast<long long>(p.high_watermark), static_cast<unsigned long long>(p.size_bytes));
  }
  std::printf("configs:\n");
  for (const auto& [k, v] : info.configs)
    std::printf("  %s=%s\n", k.c_str(), v.c_str());
  return 0;
}

int topic_delete(const client::client_config& c, const std::string& name) {
  client::admin admin(c);
  auto deleted = admin.delete_topic(name);
  if (!deleted) return fail("topic delete", deleted.error().message);
  std::printf("deleted topic %s\n", name.c_str());
  return 0;
}

int topic_alter(const client::client_config& c, const std::string& name, int32_t partitions) {
  client::admin admin(c);
  if (auto r = admin.add_partitions(name, partitions); !r) {
    return fail("topic alter", r.error().message);
  }
  std::printf("topic %s now has %d partitions\n", name.c_str(), partitions);
  return 0;
}

}  // namespace sluice::cli
