#include "integration/group_members.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

namespace sluice::test {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

std::set<int32_t> partitions_named(const std::string& list) {
  std::set<int32_t> out;
  std::stringstream in(list);
  std::string tp;
  while (std::getline(in, tp, ',')) {
    if (auto dash = tp.rfind('-'); dash != std::string::npos)
      out.insert(std::stoi(tp.substr(dash + 1)));
  }
  return out;
}

std::set<int32_t> assignment_of(const client::group_member_info& m) {
  std::set<int32_t> out;
  for (const auto& [_, p] : m.assignment)
    out.insert(p);
  return out;
}

}  // namespace

member_process::member_process(const broker_fixture& f, const std::string& topic,
                               const std::string& group, const std::string& instance_id,
                               int session_timeout_ms) {
  std::vector<std::string> argv{sluice_cli_path(),
                                "--broker",
                                f.broker->address(),
                                "consume",
                                topic,
                                "--group",
                                group,
                                "--from",
                                "beginning",
                                "--format",
                                "json",
                                "--session-timeout-ms",
                                std::to_string(session_timeout_ms)};
  if (!instance_id.empty()) {
    argv.push_back("--instance-id");
    argv.push_back(instance_id);
  }
  process_ = std::make_unique<child_process>(argv);
}

std::vector<std::set<int32_t>> member_process::events(const std::string& event) const {
  const std::string prefix = "sluice consume: " + event + " ";
  std::vector<std::set<int32_t>> out;
  for (const auto& line : lines(process_->err())) {
    if (line.rfind(prefix, 0) == 0) out.push_back(partitions_named(line.substr(prefix.size())));
  }
  return out;
}

std::set<int32_t> member_process::owned() const {
  static const std::string prefix = "sluice consume: ";
  std::set<int32_t> out;
  for (const auto& line : lines(process_->err())) {
    if (line.rfind(prefix, 0) != 0) continue;
    auto rest = line.substr(prefix.size());
    auto space = rest.find(' ');
    if (space == std::string::npos) continue;
    auto event = rest.substr(0, space);
    auto parts = partitions_named(rest.substr(space + 1));
    if (event == "assigned") {
      out.insert(parts.begin(), parts.end());
    } else if (event == "revoked" || event == "lost") {
      for (int32_t p : parts)
        out.erase(p);
    }
  }
  return out;
}

std::vector<printed_record> member_process::records() const {
  std::vector<printed_record> out;
  for (const auto& line : lines(process_->out())) {
    auto j = nlohmann::json::parse(line);
    out.push_back(
        {j["partition"].get<int32_t>(), j["offset"].get<int64_t>(), j["value"].get<std::string>()});
  }
  return out;
}

std::string value_of(int32_t partition, int64_t seq) {
  return "p" + std::to_string(partition) + "-" + std::to_string(seq);
}

void produce_rounds(const broker_fixture& f, const std::string& topic, int32_t partitions,
                    int64_t first, int64_t count) {
  client::producer producer(f.producer_config());
  for (int64_t i = first; i < first + count; ++i) {
    for (int32_t p = 0; p < partitions; ++p) {
      REQUIRE(producer.send({topic, p, std::nullopt, value_of(p, i), {}, std::nullopt},
                            [](const auto&) {}));
    }
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
}

std::map<int32_t, std::multiset<int64_t>> consumed(const std::vector<member_process*>& members) {
  std::map<int32_t, std::multiset<int64_t>> out;
  for (const auto* m : members) {
    for (const auto& r : m->records())
      out[r.partition].insert(r.offset);
  }
  return out;
}

bool all_committed(client::admin& admin, const std::string& group, size_t partitions,
                   int64_t offset) {
  auto g = admin.describe_group(group);
  if (!g || g.value().partitions.size() != partitions) return false;
  for (const auto& p : g.value().partitions) {
    if (p.committed_offset != offset) return false;
  }
  return true;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

bool settled(client::admin& admin, const std::string& group,
             const std::vector<member_process*>& members) {
  auto g = admin.describe_group(group);
  if (!g || g.value().state != "stable" || g.value().members.size() != members.size()) {
    return false;
  }
  for (const auto& p : g.value().partitions) {
    if (p.owner_member_id.empty()) return false;
  }
  std::multiset<std::set<int32_t>> broker_view, member_view;
  for (const auto& m : g.value().members)
    broker_view.insert(assignment_of(m));
  for (const auto* m : members)
    member_view.insert(m->owned());
  return broker_view == member_view;
}

std::string history_text(client::admin& admin, const std::string& group) {
  auto g = admin.describe_group(group);
  if (!g) return g.error().message;
  std::string out = "epoch " + std::to_string(g.value().group_epoch) + "\n";
  for (const auto& r : g.value().rebalances) {
    out += r.cause + " epoch " + std::to_string(r.group_epoch) + " took " +
           std::to_string(r.duration_ms) + " ms:";
    for (const auto& m : r.moved)
      out += " " + std::to_string(m.partition) + ":" + m.from_member + "->" + m.to_member;
    out += "\n";
  }
  return out;
}

std::string member_id_of(const client::group_description& g, const member_process& m) {
  const auto owned = m.owned();
  for (const auto& info : g.members) {
    if (assignment_of(info) == owned) return info.member_id;
  }
  return "";
}

}  // namespace sluice::test
