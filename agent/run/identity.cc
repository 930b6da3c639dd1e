#include "agent/run/identity.h"

#include <fmt/format.h>
#include <sys/random.h>
#include <unistd.h>

#include <array>

#include "agent/base/atomic_file.h"
#include "agent/base/base64.h"
#include "agent/base/text.h"
#include "agent/config/kubernetes_names.h"

namespace nodeboot::run {
namespace {

std::string FirstLineOf(const std::filesystem::path& path) {
  auto content = ReadFile(path, 4096);
  if (!content) return "";
  std::string_view text = TrimWhitespace(*content);
  return std::string(text.substr(0, text.find('\n')));
}

}  // namespace

std::string NewUuid() {
  std::array<unsigned char, 16> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())) {
    // getrandom cannot fail for 16 bytes once the pool is initialised; stay unique regardless.
    for (size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<unsigned char>((::getpid() >> (i % 4)) ^ (i * 131) ^ ::time(nullptr));
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  std::string hex;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex += '-';
    hex += fmt::format("{:02x}", bytes[i]);
  }
  return hex;
}

Result<Identity> ResolveIdentity(const config::NodeConfig& config, const Paths& paths) {
  Identity identity;
  identity.node_name = config.node.name;
  if (identity.node_name.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) identity.node_name = host;
    identity.node_name = AsciiLower(std::move(identity.node_name));
    // Checked here, before anything runs: the API server refuses such a name, and finding that
    // out in the join phase is after the scripts and the storage layout have run.
    if (auto why = config::CheckDns1123Subdomain(identity.node_name); !why.empty()) {
      return errors::ConfigInvalid(
          fmt::format("node.name: not set, and the host name is not a valid Kubernetes node name: {}; set "
                      "node.name",
                      why));
    }
  }
  identity.instance_id = config.node.instance_id;
  for (const char* source : {"/var/lib/cloud/data/instance-id", "/etc/machine-id"}) {
    if (!identity.instance_id.empty()) break;
    identity.instance_id = FirstLineOf(paths.Host(source));
  }
  if (identity.instance_id.empty()) {
    return errors::ConfigInvalid(
        "node.instanceId: not set, and neither /var/lib/cloud/data/instance-id nor /etc/machine-id can be read");
  }
  identity.boot_id = FirstLineOf(paths.Host("/proc/sys/kernel/random/boot_id"));
  if (identity.boot_id.empty()) identity.boot_id = FirstLineOf("/proc/sys/kernel/random/boot_id");
  identity.run_id = NewUuid();
  return identity;
}

}  // namespace nodeboot::run
