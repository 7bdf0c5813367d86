// A real sluiced for integration tests: started on 127.0.0.1 with port 0 (or a given port) and
// a data directory, its log captured, its address read from the "sluiced listening on" line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"

namespace sluice::test {

// Paths of the built programs (set by CMake).
std::string sluiced_path();
std::string sluice_cli_path();
std::string sluice_bench_path();
std::string fetch_probe_path();

class broker_process {
 public:
  // Starts sluiced on `data_dir` with `--set` arguments `settings` (key=value), port 0 unless
  // `port` is given, and waits until it listens.
  explicit broker_process(std::filesystem::path data_dir, std::vector<std::string> settings = {},
                          uint16_t port = 0);
  ~broker_process();
  broker_process(const broker_process&) = delete;
  broker_process& operator=(const broker_process&) = delete;

  [[nodiscard]] std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] uint16_t metrics_port() const { return metrics_port_; }
  [[nodiscard]] std::string log() const;
  // Waits until the log holds `text`, up to `timeout`, waking as lines arrive.
  [[nodiscard]] bool wait_for_log(const std::string& text,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const;

  // SIGTERM and wait: the exit status.
  int terminate();
  // SIGKILL and wait.
  void kill9();
  // Cuts the power: SIGUSR1 to a broker started with test.fault.injection=true, which drops its
  // unsynced writes and exits; then waits.
  void power_cut();
  // Sends `sig` (see broker/fault_signals.h for what a broker with test.fault.injection does).
  void signal(int sig);
  // Starts again on the same data directory and port.
  void restart();

 private:
  void start();
  void wait_listening();

  std::filesystem::path data_dir_;
  std::vector<std::string> settings_;
  uint16_t port_ = 0;
  uint16_t metrics_port_ = 0;
  std::unique_ptr<child_process> process_;
};

}  // namespace sluice::test
