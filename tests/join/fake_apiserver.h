// FakeApiServer: runs fake_apiserver.py (a fake Kubernetes API server on 127.0.0.1) for one
// test; the test sets the Node and the plan of answers, and reads back the requests.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/script_server.h"

namespace nodeboot::testing {

struct ServerTls {
  std::string cert;  // server certificate (PEM file)
  std::string key;
  std::string client_ca;  // when set, a client certificate signed by it is required
};

class FakeApiServer {
 public:
  // Starts it with its files in `dir`, plain HTTP or TLS; waits until it listens.
  explicit FakeApiServer(std::filesystem::path dir, const ServerTls& tls = {});
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  // The Node object it serves (its Ready condition comes from the plan).
  void SetNode(const nlohmann::json& node) const;
  // The answers, in order; the last repeats. E.g. {{{"ready", false}}, {{"ready", true}}}.
  void SetPlan(const nlohmann::json& plan) const;

  // The cluster's kube-system/kubelet-config ConfigMap: `kubelet` is its data.kubelet.
  void SetKubeletConfigMap(const std::string& kubelet) const {
    server_.WriteAtomically("kubelet-config.yaml", kubelet);
  }

  std::string Url() const;  // "http://127.0.0.1:PORT" or https
  // Every request so far: {"time", "path", "authorization", "clientCN"}.
  std::vector<nlohmann::json> Requests() const { return server_.Requests(); }

 private:
  bool tls_;
  ScriptServer server_;
};

}  // namespace nodeboot::testing
