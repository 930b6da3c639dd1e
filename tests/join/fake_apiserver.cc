#include "tests/join/fake_apiserver.h"

#include <fmt/format.h>

namespace nodeboot::testing {
namespace {

std::vector<std::string> Arguments(const ServerTls& tls) {
  std::vector<std::string> args;
  if (!tls.cert.empty()) args.insert(args.end(), {"--cert", tls.cert, "--key", tls.key});
  if (!tls.client_ca.empty()) args.insert(args.end(), {"--client-ca", tls.client_ca});
  return args;
}

}  // namespace

FakeApiServer::FakeApiServer(std::filesystem::path dir, const ServerTls& tls)
    : tls_(!tls.cert.empty()),
      server_(std::filesystem::path(NODEBOOT_SOURCE_DIR) / "tests/join/fake_apiserver.py", std::move(dir),
              Arguments(tls)) {}

void FakeApiServer::SetNode(const nlohmann::json& node) const { server_.WriteAtomically("node.json", node.dump()); }
void FakeApiServer::SetPlan(const nlohmann::json& plan) const { server_.WriteAtomically("plan.json", plan.dump()); }

std::string FakeApiServer::Url() const {
  return fmt::format("{}://127.0.0.1:{}", tls_ ? "https" : "http", server_.port());
}

}  // namespace nodeboot::testing
