// sluice-bench: produce and consume workloads against a running broker, reporting throughput
// and latency percentiles.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "bench/sluice_bench/benches.h"
#include "client/producer.h"

using namespace sluice;

namespace {

int finish(const result<bench::run_report>& r, bool json) {
  if (!r) {
    std::fprintf(stderr, "sluice-bench: %s\n", r.error().message.c_str());
    return 1;
  }
  std::fputs(bench::format_report(r.value(), json).c_str(), stdout);
  return r.value().failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sluice-bench: throughput and latency of a running sluiced"};
  app.require_subcommand(1);
  app.fallthrough();  // --broker and --json may follow the subcommand
  client::client_config config;
  if (const char* env = std::getenv("SLUICE_BROKER")) config.broker = env;
  app.add_option("--broker", config.broker, "HOST:PORT (default SLUICE_BROKER or 127.0.0.1:9292)");
  bool json = false;
  app.add_flag("--json", json, "one JSON object instead of text");

  bench::produce_options p;
  std::string acks = "1";
  auto* produce = app.add_subcommand("produce", "send records as fast as possible, or at --rate");
  produce->add_option("--topic", p.topic, "topic (created when missing)")->required();
  produce->add_option("--records", p.records, "records to send (1000000)");
  produce->add_option("--record-size", p.record_size, "value bytes (100)");
  produce->add_option("--partitions", p.partitions, "partitions when creating the topic (1)");
  produce->add_option("--producers", p.producers, "producer threads (1)");
  produce->add_option("--keys", p.keys, "distinct keys; 0: no keys (0)");
  produce->add_option("--acks", acks, "0, 1 or all (1)");
  produce->add_option("--compression", p.compression, "none, gzip, snappy, lz4, zstd (none)");
  produce->add_option("--linger-ms", p.linger_ms, "batch linger (5)");
  produce->add_option("--batch-bytes", p.batch_bytes, "batch size (65536)");
  produce->add_option("--rate", p.rate, "records/s across producers; unset: unthrottled");

  bench::consume_options c;
  auto* consume = app.add_subcommand("consume", "read a filled topic from the beginning");
  consume->add_option("--topic", c.topic, "topic")->required();
  consume->add_option("--group", c.group, "consume as this group; unset: assign mode");
  consume->add_option("--consumers", c.consumers, "consumer threads (1)");
  consume->add_option("--records", c.records, "records to read (what the topic holds)");
  consume->add_flag("--copy", c.copy, "poll() copies of the records instead of poll_views()");

  bench::e2e_options e;
  std::string e2e_acks = "1";
  auto* e2e = app.add_subcommand("e2e", "produce at a fixed rate; latency from send to consume");
  e2e->add_option("--topic", e.topic, "topic (created when missing)")->required();
  e2e->add_option("--rate", e.rate, "records/s (10000)");
  e2e->add_option("--seconds", e.seconds, "how long to produce (10)");
  e2e->add_option("--record-size", e.record_size, "value bytes, at least 8 (100)");
  e2e->add_option("--partitions", e.partitions, "partitions when creating the topic (1)");
  e2e->add_option("--acks", e2e_acks, "0, 1 or all (1)");

  CLI11_PARSE(app, argc, argv);
  if (produce->parsed() || e2e->parsed()) {
    const std::string& text = produce->parsed() ? acks : e2e_acks;
    auto parsed = client::parse_acks(text);
    if (!parsed) {
      std::fprintf(stderr, "sluice-bench: --acks is 0, 1 or all, not '%s'\n", text.c_str());
      return 1;
    }
    if (e2e->parsed()) {
      e.acks = *parsed;
      return finish(bench::run_e2e(config, e), json);
    }
    p.acks = *parsed;
    return finish(bench::run_produce(config, p), json);
  }
  return finish(bench::run_consume(config, c), json);
}
