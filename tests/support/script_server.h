// ScriptServer: a test server written in Python (a fake task service, a fake API server)
// running for one test. The script takes `--dir DIR` plus its own arguments, writes the port
// it listens on to DIR/port, appends each request as a JSON line to DIR/requests.jsonl, and
// reads its switchable answers from files in DIR that the test swaps atomically.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nodeboot::testing {

class ScriptServer {
 public:
  // Starts `script` (a path) and waits until it listens; throws if it exits or does not
  // listen within 10 s.
  ScriptServer(const std::filesystem::path& script, std::filesystem::path dir, const std::vector<std::string>& args);
  ~ScriptServer();
  ScriptServer(const ScriptServer&) = delete;
  ScriptServer& operator=(const ScriptServer&) = delete;

  // Replaces DIR/name as one rename, so the server never reads half a file.
  void WriteAtomically(const std::string& name, const std::string& text) const;
  // Every request so far, as the script logged it.
  std::vector<nlohmann::json> Requests() const;
  // SIGTERM to the one process this object started, and reap it.
  void Stop();

  int port() const { return port_; }

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace nodeboot::testing
