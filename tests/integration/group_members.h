// Consumer-group integration tests' helpers: `sluice consume --group` processes and what they
// printed, and waiting for a group to settle.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "support/child_process.h"

namespace sluice::test {

// Broker settings for group tests: quick heartbeats so rebalances take a fraction of a second.
inline std::vector<std::string> group_settings() {
  return {"group.consumer.heartbeat.interval.ms=100"};
}

struct printed_record {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string value;
};

// One `sluice consume TOPIC --group GROUP --from beginning --format json` process.
class member_process {
 public:
  member_process(const broker_fixture& f, const std::string& topic, const std::string& group,
                 const std::string& instance_id = "", int session_timeout_ms = 3000);

  // The partitions it owns by the assigned/revoked/lost lines it wrote to stderr.
  [[nodiscard]] std::set<int32_t> owned() const;
  // Its stderr lines "sluice consume: <event> ..." for `event` (assigned, revoked or lost),
  // each as the partitions it names.
  [[nodiscard]] std::vector<std::set<int32_t>> events(const std::string& event) const;
  // Every complete JSON line it printed, in order.
  [[nodiscard]] std::vector<printed_record> records() const;

  child_process& process() { return *process_; }

 private:
  std::unique_ptr<child_process> process_;
};

// The value test producers give record `seq` of `partition`: "p<partition>-<seq>".
std::string value_of(int32_t partition, int64_t seq);

// Appends `count` records to each of the first `partitions` partitions of `topic`, numbered
// from `first`; waits for every acknowledgement.
void produce_rounds(const broker_fixture& f, const std::string& topic, int32_t partitions,
                    int64_t first, int64_t count);

// Records of each partition across `members`: partition -> offsets printed (with repeats).
std::map<int32_t, std::multiset<int64_t>> consumed(const std::vector<member_process*>& members);

// True when `group` has exactly `partitions` partitions listed, each committed at `offset`.
bool all_committed(client::admin& admin, const std::string& group, size_t partitions,
                   int64_t offset);

// Polls `condition` every 50 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

// True when `group` is stable with `members` members, every partition of its topics owned, and
// each member's own view (its stderr) agreeing with the broker's.
bool settled(client::admin& admin, const std::string& group,
             const std::vector<member_process*>& members);

// The group's rebalances, a line each (cause, epoch, duration, moves): for failure messages.
std::string history_text(client::admin& admin, const std::string& group);

// The member id whose assignment the process's owned() matches, or "".
std::string member_id_of(const client::group_description& g, const member_process& m);

}  // namespace sluice::test
