// What most integration tests need: a temporary data directory, a running sluiced on it, and
// client configs pointing at it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "client/consumer.h"
#include "client/producer.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

namespace sluice::test {

struct broker_fixture {
  explicit broker_fixture(std::vector<std::string> settings = {})
      : broker(std::make_unique<broker_process>(dir / "data", std::move(settings))) {}

  client::client_config client() const {
    client::client_config c;
    c.broker = broker->address();
    c.request_timeout = std::chrono::seconds(30);
    return c;
  }
  client::producer_config producer_config() const {
    client::producer_config c;
    static_cast<client::client_config&>(c) = client();
    return c;
  }
  client::consumer_config consumer_config() const {
    client::consumer_config c;
    static_cast<client::client_config&>(c) = client();
    c.auto_offset_reset = "earliest";
    return c;
  }

  temp_dir dir;
  std::unique_ptr<broker_process> broker;
};

// Reads every record of `tps` from the beginning until `count` have arrived or `timeout`
// passes.
inline std::vector<client::consumer_record> consume_all(
    const client::consumer_config& config, const std::vector<client::topic_partition>& tps,
    size_t count, std::chrono::seconds timeout = std::chrono::seconds(60)) {
  client::consumer consumer(config);
  (void)consumer.assign(tps);
  (void)consumer.seek_to_beginning();
  std::vector<client::consumer_record> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    if (!records) continue;
    for (auto& r : records.value())
      out.push_back(std::move(r));
  }
  return out;
}

}  // namespace sluice::test
