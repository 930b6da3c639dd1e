#include "tests/join/fake_apiserver.h"

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

FakeApiServer::FakeApiServer(std::filesystem::path dir, const ServerTls& tls)
    : dir_(std::move(dir)), tls_(!tls.cert.empty()) {
  std::filesystem::create_directories(dir_);
  // Debian's python3 when it is there: a version manager's shim on PATH costs startup time.
  const std::string python =
      std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  std::vector<std::string> argv{python,
                                std::string(NODEBOOT_SOURCE_DIR) + "/tests/join/fake_apiserver.py",
                                "--dir", dir_.string()};
  if (tls_) argv.insert(argv.end(), {"--cert", tls.cert, "--key", tls.key});
  if (!tls.client_ca.empty()) argv.insert(argv.end(), {"--client-ca", tls.client_ca});
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
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
      throw std::runtime_error("fake_apiserver.py exited before it listened");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("fake_apiserver.py did not listen within 10 s");
}

FakeApiServer::~FakeApiServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void FakeApiServer::WriteAtomically(const std::string& name, const std::string& text) const {
  const auto tmp = dir_ / (name + ".tmp");
  std::ofstream(tmp) << text;
  std::filesystem::rename(tmp, dir_ / name);
}

void FakeApiServer::SetNode(const nlohmann::json& node) const {
  WriteAtomically("node.json", node.dump());
}
void FakeApiServer::SetPlan(const nlohmann::json& plan) const {
  WriteAtomically("plan.json", plan.dump());
}

std::string FakeApiServer::Url() const {
  return fmt::format("{}://127.0.0.1:{}", tls_ ? "https" : "http", port_);
}

std::vector<nlohmann::json> FakeApiServer::Requests() const {
  std::vector<nlohmann::json> requests;
  std::istringstream lines(Slurp(dir_ / "requests.jsonl"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) requests.push_back(nlohmann::json::parse(line));
  }
  return requests;
}

}  // namespace nodeboot::testing
