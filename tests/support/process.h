// Runs a program (usually the built nodeboot binary) and captures its exit code, stdout and
// stderr separately: what integration tests assert on.
#pragma once

#include <sys/types.h>

#include <filesystem>
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

// Starts `argv` with stdin /dev/null and stdout/stderr into the two files; the caller waits.
pid_t StartProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                   const std::filesystem::path& out_path, const std::filesystem::path& err_path);

// RunProcess({NODEBOOT_BINARY, args...}).
ProcessResult RunNodeboot(const std::vector<std::string>& args, const std::map<std::string, std::string>& env = {});

}  // namespace nodeboot::testing
