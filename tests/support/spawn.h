// Starting a test's child program with posix_spawn.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sluice::test {

// Starts `argv` (argv[0] a path) with `in_fd` as stdin (-1: /dev/null), `out_fd` and `err_fd` as
// stdout and stderr, and `extra_env` (NAME=value) added to this process's environment. Returns
// the pid; throws when the program cannot be started. The caller closes its copies of the fds.
pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
                    int in_fd, int out_fd, int err_fd);

}  // namespace sluice::test
