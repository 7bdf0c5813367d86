// Running real programs from tests: a child process with pipes, waited on with a deadline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sluice::test {

struct process_result {
  int exit_code = -1;  // -1: killed or timed out
  std::string out;
  std::string err;
};

// Runs `argv` with `input` on stdin and waits up to `timeout`, killing it after that.
process_result run_process(const std::vector<std::string>& argv, const std::string& input = {},
                           std::chrono::seconds timeout = std::chrono::seconds(60),
                           const std::vector<std::string>& extra_env = {});

}  // namespace sluice::test
