#include "tests/report/task_server.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/temp_dir.h"

namespace nodeboot::testing {
namespace {

// Debian's python3 when it is there: a version manager's shim on PATH costs startup time.
std::string Python() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

}  // namespace

TaskServer::TaskServer(std::filesystem::path dir, std::string cert, std::string key, int port)
    : dir_(std::move(dir)), tls_(!cert.empty()) {
  std::filesystem::create_directories(dir_);
  std::filesystem::remove(dir_ / "port");
  std::vector<std::string> argv{
      Python(), std::string(NODEBOOT_SOURCE_DIR) + "/tests/report/task_server.py",
      "--dir",  dir_.string(),
      "--port", std::to_string(port)};
  if (tls_) {
    argv.insert(argv.end(), {"--cert", cert, "--key", key});
  }
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    const std::string text = Slurp(dir_ / "port");
    if (!text.empty()) {
      port_ = std::stoi(text);
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("task_server.py exited before it listened");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  Stop();
  throw std::runtime_error("task_server.py did not start listening within 5 s");
}

TaskServer::~TaskServer() { Stop(); }

void TaskServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void TaskServer::Plan(const std::string& json_list) const {
  const auto tmp = dir_ / "plan.json.tmp";
  std::ofstream(tmp) << json_list;
  std::filesystem::rename(tmp, dir_ / "plan.json");
}

std::string TaskServer::Url() const {
  return fmt::format("{}://127.0.0.1:{}/v1/tasks/task-1/result", tls_ ? "https" : "http", port_);
}

std::vector<nlohmann::json> TaskServer::Requests() const {
  std::vector<nlohmann::json> requests;
  std::istringstream lines(Slurp(dir_ / "requests.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) requests.push_back(nlohmann::json::parse(line));
  }
  return requests;
}

}  // namespace nodeboot::testing
