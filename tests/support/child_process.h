// A program running in the background of a test: its stdout and stderr captured as they come,
// waited on by condition, signalled, reaped. Killed (SIGKILL) if still running when destroyed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::test {

class child_process {
 public:
  // Starts `argv` (argv[0] a path) with stdin from /dev/null and `extra_env` (NAME=value)
  // added to this process's environment. Throws when it cannot start.
  explicit child_process(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {});
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;

  // Waits until `ready(out, err)` holds, up to `timeout`, re-checking whenever output arrives.
  // False when the time ran out or the process closed both outputs (exited) without it holding.
  bool wait_for(const std::function<bool(const std::string& out, const std::string& err)>& ready,
                std::chrono::milliseconds timeout = std::chrono::seconds(60));

  void signal(int sig);
  [[nodiscard]] pid_t pid() const { return pid_; }
  // Waits up to `timeout` for the process to exit, then SIGKILLs it. The exit status, or -1
  // when a signal ended it.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  [[nodiscard]] bool running();

 private:
  void read_into(int fd, std::string* sink);

  pid_t pid_ = -1;
  int status_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable grew_;
  std::string out_, err_;
  int open_outputs_ = 2;
  std::thread out_reader_, err_reader_;
};

}  // namespace sluice::test
