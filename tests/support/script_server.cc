#include "tests/support/script_server.h"

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

ScriptServer::ScriptServer(const std::filesystem::path& script, std::filesystem::path dir,
                           const std::vector<std::string>& args)
    : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
  std::filesystem::remove(dir_ / "port");
  // Debian's python3 when it is there: a version manager's shim on PATH costs startup time.
  std::vector<std::string> argv{std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3",
                                script.string(), "--dir", dir_.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    std::vector<char*> raw;
    for (auto& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    ::execvp(raw[0], raw.data());
    ::_exit(127);
  }
  for (int i = 0; i < 400; ++i) {
    if (const std::string text = Slurp(dir_ / "port"); !text.empty()) {
      port_ = std::stoi(text);
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error(script.filename().string() + " exited before it listened");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  Stop();
  throw std::runtime_error(script.filename().string() + " did not listen within 10 s");
}

ScriptServer::~ScriptServer() { Stop(); }

void ScriptServer::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

void ScriptServer::WriteAtomically(const std::string& name, const std::string& text) const {
  const auto temp = dir_ / (name + ".tmp");
  std::ofstream(temp) << text;
  std::filesystem::rename(temp, dir_ / name);
}

std::vector<nlohmann::json> ScriptServer::Requests() const {
  std::vector<nlohmann::json> requests;
  std::istringstream lines(Slurp(dir_ / "requests.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) requests.push_back(nlohmann::json::parse(line));
  }
  return requests;
}

}  // namespace nodeboot::testing
