#include "broker/group/assignor.h"

#include <algorithm>

namespace sluice::broker {
namespace {

std::vector<const assignor_member*> sorted(const std::vector<assignor_member>& members) {
  std::vector<const assignor_member*> out;
  for (const auto& m : members)
    out.push_back(&m);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) {
    return std::tie(a->sort_key, a->id) < std::tie(b->sort_key, b->id);
  });
  return out;
}

assignment empty_for(const std::vector<assignor_member>& members) {
  assignment out;
  for (const auto& m : members)
    out[m.id];
  return out;
}

assignment range(const std::vector<assignor_member>& members,
                 const std::map<std::string, int32_t>& partitions) {
  auto out = empty_for(members);
  auto order = sorted(members);
  for (const auto& [topic, count] : partitions) {
    std::vector<const assignor_member*> subscribed;
    for (auto* m : order) {
      if (m->topics.count(topic)) subscribed.push_back(m);
    }
    if (subscribed.empty()) continue;
    const auto n = static_cast<int32_t>(subscribed.size());
    int32_t next = 0;
    for (int32_t i = 0; i < n; ++i) {
      int32_t share = count / n + (i < count % n ? 1 : 0);
      for (int32_t p = 0; p < share; ++p)
        out[subscribed[i]->id].insert({topic, next++});
    }
  }
  return out;
}

assignment round_robin(const std::vector<assignor_member>& members,
                       const std::map<std::string, int32_t>& partitions) {
  auto out = empty_for(members);
  auto order = sorted(members);
  if (order.empty()) return out;
  size_t turn = 0;
  for (const auto& [topic, count] : partitions) {
    for (int32_t p = 0; p < count; ++p) {
      for (size_t tries = 0; tries < order.size(); ++tries) {
        auto* m = order[turn++ % order.size()];
        if (m->topics.count(topic)) {
          out[m->id].insert({topic, p});
          break;
        }
      }
    }
  }
  return out;
}

assignment sticky(const std::vector<assignor_member>& members,
                  const std::map<std::string, int32_t>& partitions) {
  auto out = empty_for(members);
  auto order = sorted(members);
  auto valid = [&](const assignor_member& m, const topic_partition& tp) {
    auto it = partitions.find(tp.first);
    return m.topics.count(tp.first) && it != partitions.end() && tp.second < it->second;
  };
  // Keep what each member had, if still valid and not claimed twice.
  partition_set claimed;
  for (auto* m : order) {
    for (const auto& tp : m->current) {
      if (valid(*m, tp) && claimed.insert(tp).second) out[m->id].insert(tp);
    }
  }
  // Hand out the rest to the least loaded eligible member.
  for (const auto& [topic, count] : partitions) {
    for (int32_t p = 0; p < count; ++p) {
      topic_partition tp{topic, p};
      if (claimed.count(tp)) continue;
      const assignor_member* best = nullptr;
      for (auto* m : order) {
        if (!m->topics.count(topic)) continue;
        if (best == nullptr || out[m->id].size() < out[best->id].size()) best = m;
      }
      if (best != nullptr) {
        out[best->id].insert(tp);
        claimed.insert(tp);
      }
    }
  }
  // Balance: move one partition at a time from a member with two or more than another member
  // that could take it, until none can move. Each move narrows the spread, so this ends.
  bool moved = true;
  while (moved) {
    moved = false;
    for (auto* over : order) {
      for (auto* under : order) {
        if (out[over->id].size() < out[under->id].size() + 2) continue;
        for (auto it = out[over->id].rbegin(); it != out[over->id].rend(); ++it) {
          if (!under->topics.count(it->first)) continue;
          out[under->id].insert(*it);
          out[over->id].erase(std::next(it).base());
          moved = true;
          break;
        }
        if (moved) break;
      }
      if (moved) break;
    }
  }
  return out;
}

}  // namespace

bool known_assignor(std::string_view name) {
  return name == "sticky" || name == "range" || name == "roundrobin";
}

assignment assign_partitions(std::string_view name, const std::vector<assignor_member>& members,
                             const std::map<std::string, int32_t>& partitions) {
  if (name == "range") return range(members, partitions);
  if (name == "roundrobin") return round_robin(members, partitions);
  return sticky(members, partitions);
}

}  // namespace sluice::broker
