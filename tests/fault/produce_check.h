// What the disk-fault tests share: sending numbered records and recording each outcome, reading
// a partition back, and checking the log against what was acknowledged.
#pragma once

#include <string>
#include <vector>

#include "client/consumer.h"
#include "client/producer.h"

namespace sluice::fault {

// Clients for the broker at `address`: a producer that gives up on a record after 2 s (so a
// refused write fails the test quickly instead of retrying for minutes), and a consumer of group
// "readers" that commits only when told.
struct clients {
  client::producer_config producer;
  client::consumer_config consumer;
};
clients clients_for(const std::string& address);

struct outcome {
  std::vector<std::string> acked;   // in the order sent
  std::vector<std::string> failed;  // may or may not be in the log
  std::string first_failure;

  void add(const outcome& more);
};

// Sends `count` records of about 1 KiB numbered from `first` to partition 0 of `topic`, and waits
// for each outcome.
outcome produce(client::producer& p, const std::string& topic, int first, int count);

// Every value in partition 0 of `topic`, up to its high watermark.
std::vector<std::string> read_all(const client::consumer_config& config, const std::string& topic);

// Catch checks: the log holds every acknowledged record once and in order, and nothing that was
// not sent. A record whose send failed may be there (the broker may have written it).
void check_log(const std::vector<std::string>& log, const outcome& sent);

}  // namespace sluice::fault
