#include "tests/report/task_server.h"

#include <fmt/format.h>

namespace nodeboot::testing {
namespace {

std::vector<std::string> Arguments(const std::string& cert, const std::string& key, int port) {
  std::vector<std::string> args{"--port", std::to_string(port)};
  if (!cert.empty()) args.insert(args.end(), {"--cert", cert, "--key", key});
  return args;
}

}  // namespace

TaskServer::TaskServer(std::filesystem::path dir, std::string cert, std::string key, int port)
    : tls_(!cert.empty()),
      server_(std::filesystem::path(NODEBOOT_SOURCE_DIR) / "tests/report/task_server.py", std::move(dir),
              Arguments(cert, key, port)) {}

void TaskServer::Plan(const std::string& json_list) const { server_.WriteAtomically("plan.json", json_list); }

std::string TaskServer::Url() const {
  return fmt::format("{}://127.0.0.1:{}/v1/tasks/task-1/result", tls_ ? "https" : "http", server_.port());
}

}  // namespace nodeboot::testing
