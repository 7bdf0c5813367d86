#include "support/broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <stdexcept>

extern char** environ;

namespace sluice::test {

std::string sluiced_path() {
  return SLUICED_PATH;
}
std::string sluice_cli_path() {
  return SLUICE_CLI_PATH;
}

broker_process::broker_process(std::filesystem::path data_dir, std::vector<std::string> settings,
                               uint16_t port)
    : data_dir_(std::move(data_dir)), settings_(std::move(settings)), port_(port) {
  start();
}

broker_process::~broker_process() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
}

void broker_process::start() {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
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
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipefd[1]);
  if (rc != 0) throw std::runtime_error("cannot start sluiced");
  log_fd_ = pipefd[0];
  {
    std::lock_guard lock(mutex_);
    log_.clear();
    log_closed_ = false;
  }
  reader_ = std::thread([this, fd = log_fd_] {
    char buf[4096];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      std::lock_guard lock(mutex_);
      if (n <= 0) {
        log_closed_ = true;
        log_grew_.notify_all();
        break;
      }
      log_.append(buf, static_cast<size_t>(n));
      log_grew_.notify_all();
    }
    ::close(fd);
  });
  wait_listening();
}

void broker_process::wait_listening() {
  static const std::regex listening(R"(sluiced listening on 127\.0\.0\.1:(\d+))");
  static const std::regex metrics(R"(metrics on http://127\.0\.0\.1:(\d+)/metrics)");
  std::unique_lock lock(mutex_);
  std::smatch m;
  bool ready = log_grew_.wait_for(lock, std::chrono::seconds(60), [&] {
    return log_closed_ || std::regex_search(log_, m, listening);
  });
  if (!ready || log_closed_) {
    throw std::runtime_error("sluiced did not start listening:\n" + log_);
  }
  port_ = static_cast<uint16_t>(std::stoi(m[1]));
  std::smatch mm;
  if (std::regex_search(log_, mm, metrics)) metrics_port_ = static_cast<uint16_t>(std::stoi(mm[1]));
}

std::string broker_process::log() const {
  std::lock_guard lock(mutex_);
  return log_;
}

bool broker_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int broker_process::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void broker_process::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  if (reader_.joinable()) reader_.join();
}

void broker_process::restart() {
  if (pid_ > 0) kill9();
  start();
}

}  // namespace sluice::test
