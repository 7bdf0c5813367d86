// The crash loop's verdict, in the manner of Jepsen's checkers: what the producers were told was
// acknowledged, what the consumers printed, and what the log holds at the end, compared.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sluice::fault {

// A record as someone saw it at a place in the log.
struct observed {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string value;
};

struct history {
  std::vector<observed> acknowledged;    // from the producers' acks (offset as acknowledged)
  std::vector<observed> consumed;        // every record a consumer printed, repeats included
  std::vector<observed> final_log;       // the whole log read once at the end
  std::map<int32_t, int64_t> committed;  // the group's committed offsets
  std::map<int32_t, int64_t> log_end;    // high watermarks at the end
};

struct verdict {
  uint64_t acknowledged = 0;
  uint64_t lost = 0;           // acknowledged, not in the final log
  uint64_t duplicated = 0;     // extra copies of a value in the final log
  uint64_t inconsistent = 0;   // (partition, offset) places seen holding two different values
  uint64_t misordered = 0;     // a producer's records out of its send order within a partition
  uint64_t overcommitted = 0;  // partitions committed past their log end
  uint64_t unseen = 0;         // acknowledged, never printed by a consumer

  [[nodiscard]] bool ok() const {
    return lost == 0 && duplicated == 0 && inconsistent == 0 && misordered == 0 &&
           overcommitted == 0 && unseen == 0;
  }
};

// Values are "<producer>-<sequence>" where each producer numbers its sends from 0 in the
// order it sent them; records of one producer to one partition must keep that order.
[[nodiscard]] verdict check(const history& h);

// The producer and sequence a value names, or nullopt if it is not of that form.
[[nodiscard]] std::optional<std::pair<std::string, int64_t>> parse_value(const std::string& v);

}  // namespace sluice::fault
