#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "client/admin.h"
#include "client/cli/commands.h"
#include "client/cli/record_format.h"
#include "client/cli/time_arg.h"
#include "client/consumer.h"

namespace sluice::cli {
namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int) {
  stop_requested = true;
}

}  // namespace

int consume(const client::client_config& c, const consume_args& a) {
  if (a.format != "value" && a.format != "json") {
    return fail("consume", "--format is value or json, not '" + a.format + "'");
  }
  if (a.group) return consume_in_group(c, a);
  if (a.instance_id || a.session_timeout_ms) {
    return fail("consume", "--instance-id and --session-timeout-ms need --group");
  }
  std::vector<client::topic_partition> tps;
  {
    client::admin admin(c);
    auto info = admin.describe_topic(a.topic);
    if (!info) return fail("consume", info.error().message);
    for (const auto& p : info.value().partitions) {
      if (!a.partition || *a.partition == p.partition) tps.push_back({a.topic, p.partition});
    }
    if (tps.empty()) {
      return fail("consume",
                  "topic " + a.topic + " has no partition " + std::to_string(*a.partition));
    }
  }
  client::consumer_config cc;
  static_cast<client::client_config&>(cc) = c;
  cc.auto_offset_reset = "earliest";
  client::consumer consumer(cc);
  if (auto r = consumer.assign(tps); !r) return fail("consume", r.error().message);

  result<void> positioned = success();
  if (a.from == "beginning") {
    positioned = consumer.seek_to_beginning();
  } else if (a.from == "end") {
    positioned = consumer.seek_to_end();
  } else if (!a.from.empty() && a.from[0] == '@') {
    auto t = parse_time(a.from.substr(1));
    if (!t) return fail("consume", t.error().message);
    positioned = consumer.seek_to_timestamp(t.value());
  } else {
    int64_t offset = -1;
    auto [end, ec] = std::from_chars(a.from.data(), a.from.data() + a.from.size(), offset);
    if (ec != std::errc() || end != a.from.data() + a.from.size() || offset < 0) {
      return fail("consume", "--from is beginning, end, an offset or @TIME, not '" + a.from + "'");
    }
    for (const auto& tp : tps) {
      if (positioned) positioned = consumer.seek(tp, offset);
    }
  }
  if (!positioned) return fail("consume", positioned.error().message);

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  uint64_t printed = 0;
  auto last_record = std::chrono::steady_clock::now();
  while (!stop_requested) {
    auto records = consumer.poll(std::chrono::milliseconds(100));
    if (!records) return fail("consume", records.error().message);
    for (const auto& r : records.value()) {
      print_record(r, a.format);
      if (a.max_records && ++printed >= *a.max_records) {
        std::fflush(stdout);
        return 0;
      }
    }
    std::fflush(stdout);
    auto now = std::chrono::steady_clock::now();
    if (!records.value().empty()) {
      last_record = now;
    } else if (a.idle_timeout_ms &&
               now - last_record >= std::chrono::milliseconds(*a.idle_timeout_ms)) {
      return 0;
    }
  }
  return 0;
}

int offsets(const client::client_config& c, const std::string& topic, const std::string& time) {
  auto t = parse_time(time);
  if (!t) return fail("offsets", t.error().message);
  client::admin admin(c);
  auto found = admin.list_offsets(topic, client::offset_spec::timestamp, t.value());
  if (!found) return fail("offsets", found.error().message);
  for (const auto& p : found.value()) {
    std::printf("%d\t%lld\n", p.partition, static_cast<long long>(p.offset));
  }
  return 0;
}

}  // namespace sluice::cli
