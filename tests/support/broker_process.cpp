#include "support/broker_process.h"

#include <signal.h>

#include <iostream>
#include <regex>
#include <stdexcept>

namespace sluice::test {

std::string sluiced_path() {
  return SLUICED_PATH;
}
std::string sluice_cli_path() {
  return SLUICE_CLI_PATH;
}
std::string sluice_bench_path() {
  return SLUICE_BENCH_PATH;
}
std::string fetch_probe_path() {
  return FETCH_PROBE_PATH;
}

broker_process::broker_process(std::filesystem::path data_dir, std::vector<std::string> settings,
                               uint16_t port)
    : data_dir_(std::move(data_dir)), settings_(std::move(settings)), port_(port) {
  start();
}

broker_process::~broker_process() = default;

void broker_process::start() {
  std::vector<std::string> argv{sluiced_path(),
                                "--data-dir",
                                data_dir_.string(),
                                "--listen",
                                "127.0.0.1:" + std::to_string(port_),
                                "--set",
                                "metrics.listen=127.0.0.1:0"};
  for (const auto& s : settings_) {
    argv.push_back("--set");
    argv.push_back(s);
  }
  process_.reset();
  process_ = std::make_unique<child_process>(argv);
  wait_listening();
}

void broker_process::wait_listening() {
  static const std::regex listening(R"(sluiced listening on 127\.0\.0\.1:(\d+))");
  static const std::regex metrics(R"(metrics on http://127\.0\.0\.1:(\d+)/metrics)");
  std::smatch m;
  bool ready = process_->wait_for([&](const std::string&, const std::string& err) {
    return std::regex_search(err, listening);
  });
  const std::string log = process_->err();
  if (!ready || !std::regex_search(log, m, listening)) {
    throw std::runtime_error("sluiced did not start listening:\n" + log);
  }
  port_ = static_cast<uint16_t>(std::stoi(m[1]));
  std::smatch mm;
  if (std::regex_search(log, mm, metrics)) metrics_port_ = static_cast<uint16_t>(std::stoi(mm[1]));
}

std::string broker_process::log() const {
  return process_->err();
}

bool broker_process::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  return process_->wait_for(
      [&](const std::string&, const std::string& err) {
        return err.find(text) != std::string::npos;
      },
      timeout);
}

bool broker_process::running() {
  return process_->running();
}

int broker_process::terminate() {
  process_->signal(SIGTERM);
  const int status = process_->wait();
  // A broker that does not shut down cleanly is worth seeing in the failure output.
  if (status != 0) std::cerr << "sluiced exited with " << status << "; its log:\n" << log();
  return status;
}

void broker_process::kill9() {
  process_->signal(SIGKILL);
  process_->wait();
}

void broker_process::power_cut() {
  process_->signal(SIGUSR1);
  process_->wait();
}

pid_t broker_process::pid() const {
  return process_->pid();
}

void broker_process::signal(int sig) {
  process_->signal(sig);
}

void broker_process::restart() {
  kill9();
  start();
}

}  // namespace sluice::test
