#include "support/child_process.h"

#include "support/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

namespace sluice::test {

child_process::child_process(const std::vector<std::string>& argv,
                             const std::vector<std::string>& extra_env) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    throw std::runtime_error("pipe failed");
  }
  try {
    pid_ = spawn_process(argv, extra_env, -1, out[1], err[1]);
  } catch (...) {
    for (int fd : {out[0], out[1], err[0], err[1]})
      ::close(fd);
    throw;
  }
  ::close(out[1]);
  ::close(err[1]);
  out_reader_ = std::thread([this, fd = out[0]] { read_into(fd, &out_); });
  err_reader_ = std::thread([this, fd = err[0]] { read_into(fd, &err_); });
}

child_process::~child_process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  out_reader_.join();
  err_reader_.join();
}

void child_process::read_into(int fd, std::string* sink) {
  char buf[65536];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    std::lock_guard lock(mutex_);
    if (n <= 0) {
      --open_outputs_;
      grew_.notify_all();
      break;
    }
    sink->append(buf, static_cast<size_t>(n));
    grew_.notify_all();
  }
  ::close(fd);
}

std::string child_process::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string child_process::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

bool child_process::wait_for(
    const std::function<bool(const std::string& out, const std::string& err)>& ready,
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  bool held = false;
  grew_.wait_for(lock, timeout, [&] {
    held = ready(out_, err_);
    return held || open_outputs_ == 0;
  });
  return held;
}

void child_process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

int child_process::wait(std::chrono::milliseconds timeout) {
  // Both outputs close when the process exits (or hands them to a child that lives on).
  {
    std::unique_lock lock(mutex_);
    grew_.wait_for(lock, timeout, [&] { return open_outputs_ == 0; });
  }
  if (running()) ::kill(pid_, SIGKILL);
  if (pid_ > 0) {
    ::waitpid(pid_, &status_, 0);
    pid_ = -1;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
}

bool child_process::running() {
  if (pid_ <= 0) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

}  // namespace sluice::test
