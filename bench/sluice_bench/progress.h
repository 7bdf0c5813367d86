// A live progress line on stderr while a benchmark runs, when stderr is a terminal: how many
// records so far and the rate over the last second. Nothing otherwise.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace sluice::bench {

class progress_line {
 public:
  // Reads `done` once a second until destroyed; `total` is what the run expects (0: unknown).
  progress_line(std::string label, const std::atomic<uint64_t>& done, uint64_t total);
  ~progress_line();
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

 private:
  void run();

  std::string label_;
  const std::atomic<uint64_t>& done_;
  uint64_t total_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sluice::bench
