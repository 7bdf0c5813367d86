// Partition assignors: which member of a group consumes which partition. Pure functions of the
// members, their subscriptions and the topics' partition counts.
//   range       per topic, contiguous ranges split over the members subscribed to it
//   roundrobin  all partitions in order, dealt to the subscribed members in turn
//   sticky      (the default) keeps every partition where it is while that stays valid, then
//               balances by moving as few partitions as it can
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::broker {

using topic_partition = std::pair<std::string, int32_t>;
using partition_set = std::set<topic_partition>;
using assignment = std::map<std::string, partition_set>;  // member id -> partitions

struct assignor_member {
  std::string id;
  std::string sort_key;  // instance id for static members, else the member id: stable orders
  std::set<std::string> topics;  // resolved subscription
  partition_set current;         // its previous target (sticky keeps what it can)
};

[[nodiscard]] bool known_assignor(std::string_view name);

// Every subscribed partition goes to exactly one member subscribed to its topic; every member
// gets an entry, possibly empty. REQUIRES: known_assignor(name).
[[nodiscard]] assignment assign_partitions(std::string_view name,
                                           const std::vector<assignor_member>& members,
                                           const std::map<std::string, int32_t>& partitions);

}  // namespace sluice::broker
