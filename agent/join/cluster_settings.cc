#include "agent/join/cluster_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/config/document.h"
#include "agent/config/fields.h"
#include "agent/join/kubeconfig.h"

namespace nodeboot::join {
namespace {

const config::Document* Member(const config::Document& map, std::string_view key) {
  for (const auto& [name, value] : map.members) {
    if (name == key) return &value;
  }
  return nullptr;
}

Result<std::optional<int>> IntegerMember(const config::Document& map, std::string_view key, std::string_view where) {
  const config::Document* value = Member(map, key);
  if (value == nullptr || value->is_null()) return std::optional<int>();
  const auto number = value->is_scalar() ? config::ParseInteger(value->scalar) : std::nullopt;
  if (!number || *number < 0 || *number > 1'000'000) {
    return errors::JoinFailed(fmt::format("{}: {} is not a whole number", where, key));
  }
  return std::optional<int>(static_cast<int>(*number));
}

}  // namespace

Result<KubeletSettings> ParseKubeletConfiguration(std::string_view text, std::string_view where) {
  auto parsed = config::ParseDocument(text);
  if (!parsed) return errors::JoinFailed(fmt::format("{}: not YAML: {}", where, parsed.error().message));
  if (!parsed->is_map())
    return errors::JoinFailed(fmt::format("{}: not a KubeletConfiguration (not a mapping)", where));
  KubeletSettings settings;
  if (const config::Document* dns = Member(*parsed, "clusterDNS"); dns != nullptr && !dns->is_null()) {
    if (!dns->is_sequence()) return errors::JoinFailed(fmt::format("{}: clusterDNS is not a list", where));
    for (const auto& item : dns->items) {
      if (!item.is_scalar()) return errors::JoinFailed(fmt::format("{}: clusterDNS holds a non-address", where));
      settings.cluster_dns.push_back(item.scalar);
    }
  }
  if (const config::Document* domain = Member(*parsed, "clusterDomain"); domain != nullptr && domain->is_scalar()) {
    settings.cluster_domain = domain->scalar;
  }
  NB_TRY_ASSIGN(const auto pods_per_core, IntegerMember(*parsed, "podsPerCore", where));
  settings.pods_per_core = pods_per_core.value_or(0);
  NB_TRY_ASSIGN(settings.max_pods, IntegerMember(*parsed, "maxPods", where));
  return settings;
}

Result<KubeletSettings> ParseKubeletConfigMap(const HttpResponse& response) {
  const std::string where = "ConfigMap kube-system/kubelet-config";
  if (response.status != 200) {
    std::string message;
    try {
      message = nlohmann::json::parse(response.body).value("message", "");
    } catch (const nlohmann::json::exception&) {
    }
    return errors::JoinFailed(
        fmt::format("{}: HTTP {}{}{}", where, response.status, message.empty() ? "" : ": ", message));
  }
  std::string kubelet;
  try {
    const auto body = nlohmann::json::parse(response.body);
    kubelet = body.at("data").at("kubelet").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return errors::JoinFailed(fmt::format("{}: the answer has no data.kubelet (a KubeletConfiguration)", where));
  }
  return ParseKubeletConfiguration(kubelet, where + " data.kubelet");
}

Result<KubeletSettings> FetchClusterKubeletSettings(HttpClient& http, const JoinSettings& settings,
                                                    const std::string& ca_file) {
  // The bootstrap token as the credential, like kubeadm's discovery client.
  ApiCredentials credentials;
  credentials.server = settings.api_server;
  while (credentials.server.ends_with('/')) credentials.server.pop_back();
  credentials.tls.ca_file = ca_file;
  credentials.token = settings.bootstrap_token;
  const HttpRequest request = credentials.Get(kKubeletConfigMapPath);
  auto response = http.Send(request);
  if (!response) {
    return errors::JoinFailed(fmt::format("ConfigMap kube-system/kubelet-config: {}", response.error().message));
  }
  return ParseKubeletConfigMap(*response);
}

int PodCapacity(int max_pods, int pods_per_core, int cores) {
  if (pods_per_core <= 0 || cores <= 0) return max_pods;
  return std::min(max_pods, pods_per_core * cores);
}

CgroupMode CgroupModeFromMounts(std::string_view proc_mounts) {
  CgroupMode mode = CgroupMode::kUnknown;
  while (!proc_mounts.empty()) {
    const size_t end = proc_mounts.find('\n');
    const std::string_view line = proc_mounts.substr(0, end);
    proc_mounts = end == std::string_view::npos ? std::string_view() : proc_mounts.substr(end + 1);
    // "SOURCE TARGET FSTYPE OPTIONS 0 0"
    const size_t target_start = line.find(' ');
    if (target_start == std::string_view::npos) continue;
    const size_t type_start = line.find(' ', target_start + 1);
    if (type_start == std::string_view::npos) continue;
    const std::string_view target = line.substr(target_start + 1, type_start - target_start - 1);
    const std::string_view type = line.substr(type_start + 1, line.find(' ', type_start + 1) - type_start - 1);
    // The last mount on /sys/fs/cgroup is the one in effect.
    if (target == "/sys/fs/cgroup") mode = type == "cgroup2" ? CgroupMode::kV2 : CgroupMode::kV1;
  }
  return mode;
}

}  // namespace nodeboot::join
