#include "fault/checker.h"

#include <set>

namespace sluice::fault {

std::optional<std::pair<std::string, int64_t>> parse_value(const std::string& v) {
  const auto dash = v.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == v.size()) return std::nullopt;
  int64_t seq = 0;
  for (size_t i = dash + 1; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') return std::nullopt;
    seq = seq * 10 + (v[i] - '0');
  }
  return std::pair{v.substr(0, dash), seq};
}

verdict check(const history& h) {
  verdict out;
  out.acknowledged = h.acknowledged.size();

  // Every place anyone saw, and the first value seen there.
  std::map<std::pair<int32_t, int64_t>, std::string> places;
  std::set<std::pair<int32_t, int64_t>> conflicting;
  auto see = [&](const observed& o) {
    auto [it, inserted] = places.try_emplace({o.partition, o.offset}, o.value);
    if (!inserted && it->second != o.value) conflicting.insert(it->first);
  };
  for (const auto& o : h.final_log)
    see(o);
  for (const auto& o : h.acknowledged)
    see(o);
  for (const auto& o : h.consumed)
    see(o);
  out.inconsistent = conflicting.size();

  std::map<std::string, uint64_t> copies;
  for (const auto& o : h.final_log)
    ++copies[o.value];
  for (const auto& [_, n] : copies)
    out.duplicated += n - 1;

  std::set<std::string> printed;
  for (const auto& o : h.consumed)
    printed.insert(o.value);
  for (const auto& o : h.acknowledged) {
    if (!copies.contains(o.value)) ++out.lost;
    if (!printed.contains(o.value)) ++out.unseen;
  }

  // The final log is read in offset order per partition; each producer's sequences rise.
  std::map<std::pair<int32_t, std::string>, int64_t> last_seq;
  std::map<int32_t, int64_t> last_offset;
  for (const auto& o : h.final_log) {
    auto lo = last_offset.find(o.partition);
    if (lo != last_offset.end() && o.offset <= lo->second) ++out.misordered;
    last_offset[o.partition] = o.offset;
    auto parsed = parse_value(o.value);
    if (!parsed) continue;
    auto [it, inserted] = last_seq.try_emplace({o.partition, parsed->first}, parsed->second);
    if (!inserted) {
      if (parsed->second <= it->second) ++out.misordered;
      it->second = std::max(it->second, parsed->second);
    }
  }

  for (const auto& [p, c] : h.committed) {
    auto end = h.log_end.find(p);
    if (end == h.log_end.end() || c > end->second) ++out.overcommitted;
  }
  return out;
}

}  // namespace sluice::fault
