// TaskServer: runs task_server.py (a fake task service on 127.0.0.1) for one test, with
// switchable answers, and reads back what it received.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/script_server.h"

namespace nodeboot::testing {

class TaskServer {
 public:
  // Starts the server with its files in `dir`; TLS when `cert`/`key` are given. `port` 0 picks
  // a free one. Waits until it listens.
  explicit TaskServer(std::filesystem::path dir, std::string cert = "", std::string key = "", int port = 0);
  TaskServer(const TaskServer&) = delete;
  TaskServer& operator=(const TaskServer&) = delete;

  // The answers, in order; the last repeats. E.g. R"([{"status":503},{"status":200}])".
  void Plan(const std::string& json_list) const;
  // Stops it (SIGTERM to the one process this object started).
  void Stop() { server_.Stop(); }

  int port() const { return server_.port(); }
  std::string Url() const;  // .../v1/tasks/task-1/result
  // Every request so far: {"time","method","path","headers","body"}.
  std::vector<nlohmann::json> Requests() const { return server_.Requests(); }

 private:
  bool tls_;
  ScriptServer server_;
};

}  // namespace nodeboot::testing
