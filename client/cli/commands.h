// The sluice CLI's commands. Each returns the process exit status and prints its errors to
// stderr with the command's name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "client/config.h"

namespace sluice::cli {

struct topic_create_args {
  std::string name;
  int32_t partitions = 1;
  std::vector<std::string> configs;  // key=value
};
int topic_create(const client::client_config& c, const topic_create_args& a);
int topic_list(const client::client_config& c);
int topic_describe(const client::client_config& c, const std::string& name);
int topic_delete(const client::client_config& c, const std::string& name);

struct produce_args {
  std::string topic;
  std::optional<std::string> key_separator;
  std::optional<std::string> timestamp_separator;  // lines start with TIME and it
  std::optional<int32_t> partition;
  std::string acks = "all";
  std::string compression = "none";
};
int produce(const client::client_config& c, const produce_args& a);

struct consume_args {
  std::string topic;
  std::string from = "end";  // beginning | end | OFFSET | @TIME
  std::optional<int32_t> partition;
  std::optional<uint64_t> max_records;
  std::optional<int64_t> idle_timeout_ms;
  std::string format = "value";            // value | json
  std::optional<std::string> group;        // consume as a member of this group
  std::optional<std::string> instance_id;  // static membership in the group
  std::optional<int64_t> session_timeout_ms;
};
int consume(const client::client_config& c, const consume_args& a);
// consume with --group: the group's share of the topic, committing what has been printed.
int consume_in_group(const client::client_config& c, const consume_args& a);

int group_list(const client::client_config& c);
int group_describe(const client::client_config& c, const std::string& group,
                   const std::string& format);
struct reset_offsets_args {
  std::string group;
  std::string topic;
  std::string to;  // earliest | latest | @TIME | OFFSET
  bool dry_run = false;
};
int group_reset_offsets(const client::client_config& c, const reset_offsets_args& a);
int group_delete(const client::client_config& c, const std::string& group);

int topic_alter(const client::client_config& c, const std::string& name, int32_t partitions);

int offsets(const client::client_config& c, const std::string& topic, const std::string& time);

struct export_args {
  std::string topic;
  std::string from;
  std::string to;
  std::string format = "jsonl";  // jsonl | csv
  std::optional<std::string> out;
};
int export_window(const client::client_config& c, const export_args& a);

// Prints "sluice <command>: <message>" to stderr and returns 1.
int fail(const std::string& command, const std::string& message);

}  // namespace sluice::cli
