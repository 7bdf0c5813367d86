// `sluice consume TOPIC --group G`: consumes the group's share of the topic and commits each
// batch once it is on stdout, so a member that dies is replaced from after the last record it
// printed (at-least-once). Rebalance events go to stderr, one line each:
//   sluice consume: assigned|revoked|lost TOPIC-P[,TOPIC-P...]
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>

#include "client/cli/commands.h"
#include "client/cli/record_format.h"
#include "client/consumer.h"

namespace sluice::cli {
namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int) {
  stop_requested = true;
}

class print_rebalances : public client::rebalance_listener {
 public:
  void on_assigned(const std::vector<client::topic_partition>& tps) override {
    print("assigned", tps);
  }
  void on_revoked(const std::vector<client::topic_partition>& tps) override {
    print("revoked", tps);
  }
  void on_lost(const std::vector<client::topic_partition>& tps) override { print("lost", tps); }

 private:
  static void print(const char* what, const std::vector<client::topic_partition>& tps) {
    std::string line;
    for (const auto& tp : tps) {
      if (!line.empty()) line += ',';
      line += tp.topic + "-" + std::to_string(tp.partition);
    }
    std::fprintf(stderr, "sluice consume: %s %s\n", what, line.c_str());
  }
};

}  // namespace

int consume_in_group(const client::client_config& c, const consume_args& a) {
  if (a.from != "beginning" && a.from != "end") {
    return fail("consume",
                "with --group, --from is beginning or end (where partitions without a "
                "committed offset start), not '" +
                    a.from + "'");
  }
  if (a.partition) return fail("consume", "--partition and --group do not mix: the group assigns");
  client::consumer_config cc;
  static_cast<client::client_config&>(cc) = c;
  cc.group_id = *a.group;
  cc.group_instance_id = a.instance_id.value_or("");
  cc.auto_offset_reset = a.from == "beginning" ? "earliest" : "latest";
  // Commits are explicit: only what reached stdout counts as consumed.
  cc.enable_auto_commit = false;
  if (a.session_timeout_ms) cc.session_timeout = std::chrono::milliseconds(*a.session_timeout_ms);
  client::consumer consumer(cc);
  print_rebalances listener;
  if (auto r = consumer.subscribe({a.topic}, &listener); !r) {
    return fail("consume", r.error().message);
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  uint64_t printed = 0;
  auto last_record = std::chrono::steady_clock::now();
  bool done = false;
  while (!stop_requested && !done) {
    auto records = consumer.poll(std::chrono::milliseconds(100));
    if (!records) return fail("consume", records.error().message);
    std::map<client::topic_partition, int64_t> next;
    for (const auto& r : records.value()) {
      print_record(r, a.format);
      next[{r.topic, r.partition}] = r.offset + 1;
      if (a.max_records && ++printed >= *a.max_records) {
        done = true;
        break;
      }
    }
    std::fflush(stdout);
    // Between batches every polled record has been printed, so the consumed positions are
    // what reached stdout; they also cover partitions with nothing to print yet (a new group
    // starting at the end), so lag is measured from where this member really is.
    auto committed = next.empty() ? consumer.commit_sync() : consumer.commit_sync(next);
    if (!committed) {
      // Refused when this member was fenced meanwhile: its records go to the next owner again.
      std::fprintf(stderr, "sluice consume: commit failed: %s\n",
                   committed.error().message.c_str());
    }
    auto now = std::chrono::steady_clock::now();
    if (!records.value().empty()) {
      last_record = now;
    } else if (a.idle_timeout_ms &&
               now - last_record >= std::chrono::milliseconds(*a.idle_timeout_ms)) {
      done = true;
    }
  }
  consumer.close();
  return 0;
}

}  // namespace sluice::cli
