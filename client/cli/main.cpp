// sluice: the command-line client. The broker comes from --broker HOST:PORT, else the
// SLUICE_BROKER environment variable, else 127.0.0.1:9292.
#include <CLI/CLI.hpp>
#include <cstdlib>

#include "client/cli/commands.h"

using namespace sluice;

int main(int argc, char** argv) {
  CLI::App app{"sluice: topics, produce, consume and export on a Sluice broker"};
  app.require_subcommand(1);
  const char* env = std::getenv("SLUICE_BROKER");
  client::client_config config;
  config.broker = env != nullptr && *env != '\0' ? env : "127.0.0.1:9292";
  config.client_id = "sluice-cli";
  app.add_option("--broker", config.broker,
                 "broker HOST:PORT (default $SLUICE_BROKER or 127.0.0.1:9292)");

  int status = 0;
  auto* topic = app.add_subcommand("topic", "create, list, describe and delete topics");
  topic->require_subcommand(1);
  cli::topic_create_args create;
  auto* create_cmd = topic->add_subcommand("create", "create a topic");
  create_cmd->add_option("NAME", create.name, "topic name")->required();
  create_cmd->add_option("--partitions", create.partitions, "partition count")
      ->check(CLI::PositiveNumber);
  create_cmd->add_option("--config", create.configs, "topic config key=value (repeatable)");
  create_cmd->callback([&] { status = cli::topic_create(config, create); });
  topic->add_subcommand("list", "list topics")->callback([&] { status = cli::topic_list(config); });
  std::string name;
  auto* describe_cmd = topic->add_subcommand("describe", "partitions, offsets, size and configs");
  describe_cmd->add_option("NAME", name, "topic name")->required();
  describe_cmd->callback([&] { status = cli::topic_describe(config, name); });
  auto* delete_cmd = topic->add_subcommand("delete", "delete a topic and its data");
  delete_cmd->add_option("NAME", name, "topic name")->required();
  delete_cmd->callback([&] { status = cli::topic_delete(config, name); });
  int32_t partitions = 0;
  auto* alter_cmd = topic->add_subcommand("alter", "grow a topic to more partitions");
  alter_cmd->add_option("NAME", name, "topic name")->required();
  alter_cmd->add_option("--partitions", partitions, "the new partition count")
      ->required()
      ->check(CLI::PositiveNumber);
  alter_cmd->callback([&] { status = cli::topic_alter(config, name, partitions); });

  cli::produce_args produce;
  auto* produce_cmd = app.add_subcommand("produce", "one record per line of stdin");
  produce_cmd->add_option("TOPIC", produce.topic, "topic")->required();
  produce_cmd->add_option("--key-separator", produce.key_separator,
                          "text before the first separator is the key");
  produce_cmd->add_option(
      "--timestamp-separator", produce.timestamp_separator,
      "each line starts with its event time (ISO 8601 or epoch ms) and this "
      "separator (not ':', which ISO 8601 times contain); without it records are "
      "stamped now");
  produce_cmd->add_option("--partition", produce.partition, "partition (default: by key)");
  produce_cmd->add_option("--acks", produce.acks, "0, 1 or all");
  produce_cmd->add_option("--compression", produce.compression, "none, gzip, snappy, lz4 or zstd");
  produce_cmd->callback([&] { status = cli::produce(config, produce); });

  cli::consume_args consume;
  auto* consume_cmd = app.add_subcommand("consume", "print records to stdout");
  consume_cmd->add_option("TOPIC", consume.topic, "topic")->required();
  consume_cmd->add_option("--from", consume.from, "beginning, end, OFFSET or @TIME (default end)");
  consume_cmd->add_option("--partition", consume.partition, "only this partition");
  consume_cmd->add_option("--max-records", consume.max_records, "exit after this many records");
  consume_cmd->add_option("--idle-timeout-ms", consume.idle_timeout_ms,
                          "exit after this long with nothing new");
  consume_cmd->add_option("--format", consume.format, "value or json");
  consume_cmd->add_option("--group", consume.group,
                          "consume as a member of this group, committing what is printed");
  consume_cmd->add_option("--instance-id", consume.instance_id,
                          "static group membership: come back to the same partitions");
  consume_cmd
      ->add_option("--session-timeout-ms", consume.session_timeout_ms,
                   "with --group: fenced after this long without a heartbeat (10000)")
      ->check(CLI::PositiveNumber);
  consume_cmd->callback([&] { status = cli::consume(config, consume); });

  std::string offsets_topic, time;
  auto* offsets_cmd =
      app.add_subcommand("offsets", "first offset at or after a time, per partition");
  offsets_cmd->add_option("TOPIC", offsets_topic, "topic")->required();
  offsets_cmd->add_option("--time", time, "ISO 8601 or epoch milliseconds")->required();
  offsets_cmd->callback([&] { status = cli::offsets(config, offsets_topic, time); });

  cli::export_args exp;
  auto* export_cmd = app.add_subcommand("export", "records with timestamps in [from, to)");
  export_cmd->add_option("TOPIC", exp.topic, "topic")->required();
  export_cmd->add_option("--from", exp.from, "window start, ISO 8601 or epoch ms")->required();
  export_cmd->add_option("--to", exp.to, "window end (exclusive)")->required();
  export_cmd->add_option("--format", exp.format, "jsonl or csv");
  export_cmd->add_option("--out", exp.out, "write to this file instead of stdout");
  export_cmd->callback([&] { status = cli::export_window(config, exp); });

  auto* group = app.add_subcommand("group", "list, describe, reset and delete consumer groups");
  group->require_subcommand(1);
  group->add_subcommand("list", "groups, their state and member count")->callback([&] {
    status = cli::group_list(config);
  });
  std::string group_id, group_format = "table";
  auto* gdescribe = group->add_subcommand(
      "describe", "members, and per partition owner, committed offset, log end and lag");
  gdescribe->add_option("GROUP", group_id, "group id")->required();
  gdescribe->add_option("--format", group_format, "table or json");
  gdescribe->callback([&] { status = cli::group_describe(config, group_id, group_format); });
  cli::reset_offsets_args reset;
  auto* greset =
      group->add_subcommand("reset-offsets", "set a topic's committed offsets of an empty group");
  greset->add_option("GROUP", reset.group, "group id")->required();
  greset->add_option("--topic", reset.topic, "topic")->required();
  greset->add_option("--to", reset.to, "earliest, latest, @TIME or OFFSET")->required();
  greset->add_flag("--dry-run", reset.dry_run, "print the offsets without committing them");
  greset->callback([&] { status = cli::group_reset_offsets(config, reset); });
  auto* gdelete = group->add_subcommand("delete", "delete an empty group and its offsets");
  gdelete->add_option("GROUP", group_id, "group id")->required();
  gdelete->callback([&] { status = cli::group_delete(config, group_id); });

  CLI11_PARSE(app, argc, argv);
  return status;
}
