// `sluice group list|describe|reset-offsets|delete`.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "client/admin.h"
#include "client/cli/commands.h"
#include "client/cli/time_arg.h"
#include "client/errors.h"

namespace sluice::cli {
namespace {

using json = nlohmann::ordered_json;

std::string duration_text(int64_t ms) {
  if (ms < 0) return "-";
  char buf[32];
  if (ms < 1000) {
    std::snprintf(buf, sizeof buf, "%lldms", static_cast<long long>(ms));
  } else if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  }
  return buf;
}

std::string timestamp_text(int64_t ms) {
  return ms < 0 ? "-" : format_time(ms);
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::string offset_text(int64_t offset) {
  return offset < 0 ? "-" : std::to_string(offset);
}

json to_json(const client::group_description& g) {
  json members = json::array();
  for (const auto& m : g.members) {
    json assignment = json::array();
    for (const auto& [topic, p] : m.assignment)
      assignment.push_back({{"topic", topic}, {"partition", p}});
    members.push_back({{"member_id", m.member_id},
                       {"instance_id", m.instance_id},
                       {"client_id", m.client_id},
                       {"member_epoch", m.member_epoch},
                       {"subscribed_topics", m.subscribed_topics},
                       {"subscribed_regex", m.subscribed_regex},
                       {"assignment", assignment}});
  }
  json partitions = json::array();
  for (const auto& p : g.partitions) {
    partitions.push_back({{"topic", p.topic},
                          {"partition", p.partition},
                          {"owner", p.owner_member_id},
                          {"committed_offset", p.committed_offset},
                          {"log_end_offset", p.log_end_offset},
                          {"lag", p.lag},
                          {"lag_ms", p.lag_ms},
                          {"max_timestamp", p.max_timestamp},
                          {"consumed_timestamp", p.consumed_timestamp},
                          {"event_time_lag_ms", p.event_time_lag_ms}});
  }
  json rebalances = json::array();
  for (const auto& r : g.rebalances) {
    json moved = json::array();
    for (const auto& m : r.moved) {
      moved.push_back({{"topic", m.topic},
                       {"partition", m.partition},
                       {"from", m.from_member},
                       {"to", m.to_member}});
    }
    rebalances.push_back({{"cause", r.cause},
                          {"group_epoch", r.group_epoch},
                          {"started_ms", r.started_ms},
                          {"duration_ms", r.duration_ms},
                          {"moved", moved}});
  }
  return {{"group_id", g.group_id},
          {"state", g.state},
          {"group_epoch", g.group_epoch},
          {"assignor", g.assignor},
          {"consumed_event_time", g.consumed_event_time},
          {"event_time_lag_ms", g.event_time_lag_ms},
          {"members", members},
          {"partitions", partitions},
          {"rebalances", rebalances}};
}

void print_table(const client::group_description& g) {
  std::printf("group %s: %s, epoch %d, assignor %s, %zu members\n", g.group_id.c_str(),
              g.state.c_str(), g.group_epoch, or_dash(g.assignor).c_str(), g.members.size());
  std::printf("consumed event time %s, event-time lag %s\n",
              timestamp_text(g.consumed_event_time).c_str(),
              duration_text(g.event_time_lag_ms).c_str());
  if (!g.members.empty()) {
    std::printf("\n%-24s %-12s %-14s %-6s %s\n", "MEMBER", "INSTANCE", "CLIENT", "EPOCH",
                "PARTITIONS");
    for (const auto& m : g.members) {
      std::string owned;
      for (const auto& [topic, p] : m.assignment)
        owned += (owned.empty() ? "" : ",") + topic + "-" + std::to_string(p);
      std::printf("%-24s %-12s %-14s %-6d %s\n", m.member_id.c_str(),
                  or_dash(m.instance_id).c_str(), or_dash(m.client_id).c_str(), m.member_epoch,
                  or_dash(owned).c_str());
    }
  }
  if (!g.partitions.empty()) {
    std::printf("\n%-16s %-9s %-24s %-10s %-10s %-8s %-9s %-24s %s\n", "TOPIC", "PARTITION",
                "OWNER", "COMMITTED", "LOG-END", "LAG", "LAG-TIME", "CONSUMED-EVENT-TIME",
                "EVENT-LAG");
    for (const auto& p : g.partitions) {
      std::printf("%-16s %-9d %-24s %-10s %-10lld %-8lld %-9s %-24s %s\n", p.topic.c_str(),
                  p.partition, or_dash(p.owner_member_id).c_str(),
                  offset_text(p.committed_offset).c_str(), static_cast<long long>(p.log_end_offset),
                  static_cast<long long>(p.lag), duration_text(p.lag_ms).c_str(),
                  timestamp_text(p.consumed_timestamp).c_str(),
                  duration_text(p.event_time_lag_ms).c_str());
    }
  }
  if (!g.rebalances.empty()) std::printf("\nRECENT REBALANCES\n");
  for (const auto& r : g.rebalances) {
    std::printf("epoch %d  %s  %s  took %s  moved %zu\n", r.group_epoch,
                format_time(r.started_ms).c_str(), r.cause.c_str(),
                r.duration_ms < 0 ? "(in progress)" : duration_text(r.duration_ms).c_str(),
                r.moved.size());
    for (const auto& m : r.moved) {
      std::printf("    %s-%d: %s -> %s\n", m.topic.c_str(), m.partition,
                  or_dash(m.from_member).c_str(), or_dash(m.to_member).c_str());
    }
  }
}

// The offsets `to` names for each partition of `topic`: earliest, latest, @TIME (the first
// record at or after TIME; the end where there is none) or OFFSET (clamped into the log).
result<std::map<int32_t, int64_t>> target_offsets(client::admin& admin, const std::string& topic,
                                                  const std::string& to) {
  SLUICE_TRY(earliest, admin.list_offsets(topic, client::offset_spec::earliest));
  SLUICE_TRY(latest, admin.list_offsets(topic, client::offset_spec::latest));
  std::map<int32_t, int64_t> start, end, out;
  for (const auto& p : earliest)
    start[p.partition] = p.offset;
  for (const auto& p : latest)
    end[p.partition] = p.offset;
  if (to == "earliest") return start;
  if (to == "latest") return end;
  if (!to.empty() && to[0] == '@') {
    SLUICE_TRY(t, parse_time(to.substr(1)));
    SLUICE_TRY(found, admin.list_offsets(topic, client::offset_spec::timestamp, t));
    for (const auto& p : found)
      out[p.partition] = p.offset >= 0 ? p.offset : end[p.partition];
    return out;
  }
  int64_t offset = -1;
  auto [ptr, ec] = std::from_chars(to.data(), to.data() + to.size(), offset);
  if (ec != std::errc() || ptr != to.data() + to.size() || offset < 0) {
    return make_error(client::errc::invalid_argument,
                      "--to is earliest, latest, @TIME or an offset, not '" + to + "'");
  }
  for (const auto& [p, s] : start)
    out[p] = std::clamp(offset, s, end[p]);
  return out;
}

}  // namespace

int group_list(const client::client_config& c) {
  client::admin admin(c);
  auto groups = admin.list_groups();
  if (!groups) return fail("group list", groups.error().message);
  for (const auto& g : groups.value()) {
    std::printf("%s\t%s\t%d members\n", g.group_id.c_str(), g.state.c_str(), g.members);
  }
  return 0;
}

int group_describe(const client::client_config& c, const std::string& group,
                   const std::string& format) {
  if (format != "table" && format != "json") {
    return fail("group describe", "--format is table or json, not '" + format + "'");
  }
  client::admin admin(c);
  auto g = admin.describe_group(group);
  if (!g) return fail("group describe", g.error().message);
  if (format == "json") {
    std::printf("%s\n", to_json(g.value()).dump(2).c_str());
  } else {
    print_table(g.value());
  }
  return 0;
}

int group_reset_offsets(const client::client_config& c, const reset_offsets_args& a) {
  client::admin admin(c);
  auto offsets = target_offsets(admin, a.topic, a.to);
  if (!offsets) return fail("group reset-offsets", offsets.error().message);
  std::map<client::topic_partition, int64_t> commit;
  for (const auto& [p, off] : offsets.value())
    commit[{a.topic, p}] = off;
  if (!a.dry_run) {
    if (auto r = admin.commit_offsets(a.group, commit); !r) {
      return fail("group reset-offsets", r.error().message);
    }
  }
  for (const auto& [tp, off] : commit) {
    std::printf("%s\t%d\t%lld%s\n", tp.topic.c_str(), tp.partition, static_cast<long long>(off),
                a.dry_run ? "\t(dry run)" : "");
  }
  return 0;
}

int group_delete(const client::client_config& c, const std::string& group) {
  client::admin admin(c);
  if (auto r = admin.delete_group(group); !r) return fail("group delete", r.error().message);
  std::printf("deleted group %s\n", group.c_str());
  return 0;
}

}  // namespace sluice::cli
