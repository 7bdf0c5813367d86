// The crash loop's clients: idempotent producers (threads in this process, acks=all) that keep a
// record of every acknowledgement, and `sluice consume --group` processes that print what they
// consume and commit after printing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/producer.h"
#include "fault/checker.h"
#include "support/child_process.h"

namespace sluice::fault {

// Sends "<name>-<seq>" records keyed by seq at up to `rate` records/s until stop().
class producer_worker {
 public:
  producer_worker(client::producer_config config, std::string topic, std::string name, double rate);
  ~producer_worker();
  producer_worker(const producer_worker&) = delete;
  producer_worker& operator=(const producer_worker&) = delete;

  // Stops sending and waits until everything sent is acknowledged or failed.
  void stop();
  [[nodiscard]] uint64_t acknowledged_count() const;
  [[nodiscard]] uint64_t failed_count() const;
  // The first few reasons sends failed, for the report.
  [[nodiscard]] std::vector<std::string> failures() const;
  // The acknowledged records, with the offsets the broker gave. After stop().
  [[nodiscard]] std::vector<observed> acknowledged() const;

 private:
  void run();
  // REQUIRES: mu_ held.
  void note_failure(const std::string& reason);

  client::producer_config config_;
  std::string topic_, name_;
  double rate_;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::condition_variable settled_;
  std::vector<observed> acked_;
  uint64_t failed_ = 0;
  std::vector<std::string> failures_;
  uint64_t sent_ = 0;
  std::thread thread_;
};

// One `sluice consume TOPIC --group GROUP --from beginning --format json` process.
class consumer_process {
 public:
  consumer_process(const std::string& broker, const std::string& topic, const std::string& group);

  void kill9();
  // SIGTERM: it commits what it printed and leaves the group.
  void stop();
  // Every complete line it printed (a SIGKILL may cut the last one short).
  [[nodiscard]] std::vector<observed> printed() const;

 private:
  std::unique_ptr<test::child_process> process_;
};

}  // namespace sluice::fault
