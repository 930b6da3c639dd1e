// Runs a program (usually the built nodeboot binary) and captures its exit code, stdout and
// stderr separately: what integration tests assert on.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace nodeboot::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// `env` entries are added to (or override) the inherited environment.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {});

// RunProcess({NODEBOOT_BINARY, args...}).
ProcessResult RunNodeboot(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

}  // namespace nodeboot::testing
