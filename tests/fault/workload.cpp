#include "fault/workload.h"

#include <signal.h>

#include <nlohmann/json.hpp>

#include "support/broker_process.h"

namespace sluice::fault {

using clock = std::chrono::steady_clock;

producer_worker::producer_worker(client::producer_config config, std::string topic,
                                 std::string name, double rate)
    : config_(std::move(config)),
      topic_(std::move(topic)),
      name_(std::move(name)),
      rate_(rate),
      thread_([this] { run(); }) {}

producer_worker::~producer_worker() {
  stop();
}

void producer_worker::run() {
  client::producer producer(config_);
  const auto start = clock::now();
  // At most this many records unanswered: a broker that is down holds the producer back
  // instead of letting it queue without bound.
  constexpr uint64_t max_unanswered = 2000;
  for (int64_t seq = 0; !stopping_.load(); ++seq) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(seq) / rate_)));
    {
      std::unique_lock lock(mu_);
      settled_.wait_for(lock, std::chrono::milliseconds(100),
                        [&] { return sent_ - acked_.size() - failed_ < max_unanswered; });
      if (sent_ - acked_.size() - failed_ >= max_unanswered) {
        --seq;  // try the same sequence again
        continue;
      }
      ++sent_;
    }
    std::string value = name_ + "-" + std::to_string(seq);
    auto queued =
        producer.send({.topic = topic_, .key = std::to_string(seq % 31), .value = value},
                      [this, value](const result<client::record_metadata>& r) {
                        std::lock_guard lock(mu_);
                        if (r) {
                          acked_.push_back({r.value().partition, r.value().offset, value});
                        } else {
                          note_failure(r.error().message);
                        }
                        settled_.notify_all();
                      });
    if (!queued) {
      std::lock_guard lock(mu_);
      note_failure(queued.error().message);
    }
  }
  producer.close();
}

void producer_worker::note_failure(const std::string& reason) {
  ++failed_;
  if (failures_.size() < 5) failures_.push_back(reason);
}

void producer_worker::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

uint64_t producer_worker::acknowledged_count() const {
  std::lock_guard lock(mu_);
  return acked_.size();
}

uint64_t producer_worker::failed_count() const {
  std::lock_guard lock(mu_);
  return failed_;
}

std::vector<std::string> producer_worker::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

std::vector<observed> producer_worker::acknowledged() const {
  std::lock_guard lock(mu_);
  return acked_;
}

consumer_process::consumer_process(const std::string& broker, const std::string& topic,
                                   const std::string& group)
    : process_(std::make_unique<test::child_process>(std::vector<std::string>{
          test::sluice_cli_path(), "--broker", broker, "consume", topic, "--group", group, "--from",
          "beginning", "--format", "json", "--session-timeout-ms", "3000"})) {}

void consumer_process::kill9() {
  process_->signal(SIGKILL);
  process_->wait();
}

void consumer_process::stop() {
  process_->signal(SIGTERM);
  process_->wait(std::chrono::seconds(30));
}

std::vector<observed> consumer_process::printed() const {
  std::vector<observed> out;
  const std::string text = process_->out();
  size_t start = 0;
  for (size_t nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
    auto j = nlohmann::json::parse(text.substr(start, nl - start), nullptr, false);
    start = nl + 1;
    if (j.is_discarded() || !j.contains("value") || !j["value"].is_string()) continue;
    out.push_back(
        {j["partition"].get<int32_t>(), j["offset"].get<int64_t>(), j["value"].get<std::string>()});
  }
  return out;
}

}  // namespace sluice::fault
