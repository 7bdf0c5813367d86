#include "bench/sluice_bench/progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

namespace sluice::bench {

progress_line::progress_line(std::string label, const std::atomic<uint64_t>& done, uint64_t total)
    : label_(std::move(label)), done_(done), total_(total) {
  if (::isatty(STDERR_FILENO)) thread_ = std::thread([this] { run(); });
}

progress_line::~progress_line() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    std::fputs("\r\033[K", stderr);  // clear the line for the report
  }
}

void progress_line::run() {
  uint64_t last = 0;
  std::unique_lock lock(mu_);
  while (!stop_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; })) {
    const uint64_t now = done_.load();
    if (total_ > 0) {
      std::fprintf(stderr, "\r\033[K%s: %llu / %llu records (%.0f%%), %llu records/s",
                   label_.c_str(), static_cast<unsigned long long>(now),
                   static_cast<unsigned long long>(total_),
                   100.0 * static_cast<double>(now) / static_cast<double>(total_),
                   static_cast<unsigned long long>(now - last));
    } else {
      std::fprintf(stderr, "\r\033[K%s: %llu records, %llu records/s", label_.c_str(),
                   static_cast<unsigned long long>(now),
                   static_cast<unsigned long long>(now - last));
    }
    std::fflush(stderr);
    last = now;
  }
}

}  // namespace sluice::bench
