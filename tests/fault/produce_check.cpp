#include "fault/produce_check.h"

#include <catch2/catch.hpp>
#include <future>
#include <set>

#include "client/admin.h"

namespace sluice::fault {

clients clients_for(const std::string& address) {
  clients c;
  c.producer.broker = address;
  c.producer.linger = std::chrono::milliseconds(1);
  c.producer.delivery_timeout = std::chrono::seconds(2);
  c.producer.retry_backoff = std::chrono::milliseconds(50);
  c.consumer.broker = address;
  c.consumer.group_id = "readers";
  c.consumer.enable_auto_commit = false;
  return c;
}

void outcome::add(const outcome& more) {
  acked.insert(acked.end(), more.acked.begin(), more.acked.end());
  failed.insert(failed.end(), more.failed.begin(), more.failed.end());
  if (first_failure.empty()) first_failure = more.first_failure;
}

outcome produce(client::producer& p, const std::string& topic, int first, int count) {
  std::vector<std::pair<std::string, std::future<result<client::record_metadata>>>> sent;
  for (int i = first; i < first + count; ++i) {
    std::string v = std::to_string(i) + ":" + std::string(1000, 'v');
    auto f = p.send({.topic = topic, .partition = 0, .value = v});
    sent.emplace_back(std::move(v), std::move(f));
  }
  outcome out;
  for (auto& [v, f] : sent) {
    auto r = f.get();
    if (r) {
      out.acked.push_back(v);
    } else {
      if (out.first_failure.empty()) out.first_failure = r.error().message;
      out.failed.push_back(v);
    }
  }
  return out;
}

std::vector<std::string> read_all(const client::consumer_config& config, const std::string& topic) {
  auto info = client::admin(config).describe_topic(topic);
  REQUIRE(info);
  const auto expected = static_cast<size_t>(info.value().partitions[0].high_watermark);
  client::consumer c(config);
  REQUIRE(c.assign({{topic, 0}}));
  REQUIRE(c.seek_to_beginning());
  std::vector<std::string> values;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (values.size() < expected && std::chrono::steady_clock::now() < deadline) {
    auto records = c.poll(std::chrono::milliseconds(200));
    REQUIRE(records);
    for (auto& r : records.value())
      values.push_back(r.value.value_or(""));
  }
  return values;
}

void check_log(const std::vector<std::string>& log, const outcome& sent) {
  const std::set<std::string> acked(sent.acked.begin(), sent.acked.end());
  const std::set<std::string> failed(sent.failed.begin(), sent.failed.end());
  std::set<std::string> seen;
  std::vector<std::string> acked_in_log;
  for (const auto& v : log) {
    INFO("record " << v.substr(0, v.find(':')));
    CHECK(seen.insert(v).second);
    CHECK((acked.count(v) == 1 || failed.count(v) == 1));
    if (acked.count(v) == 1) acked_in_log.push_back(v);
  }
  CHECK(acked_in_log.size() == sent.acked.size());
  CHECK(acked_in_log == sent.acked);
}

}  // namespace sluice::fault
