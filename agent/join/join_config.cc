#include "agent/join/join_config.h"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "agent/join/yaml_writer.h"
#include "storage/spec.h"

namespace nodeboot::join {
namespace {

using Yaml = nlohmann::ordered_json;

bool HasKubernetesSpace(const std::optional<storage::Spec>& spec) {
  if (!spec) return false;
  for (const auto& group : spec->groups) {
    for (const auto& space : group.spaces) {
      if (space.kind == storage::SpaceKind::kKubernetes) return true;
    }
  }
  return false;
}

// core/v1 Taint, as both kubeadm's nodeRegistration.taints and the kubelet's
// registerWithTaints take it (an empty value is omitted, as upstream's omitempty does).
Yaml TaintList(const std::vector<config::Taint>& taints) {
  Yaml list = Yaml::array();
  for (const auto& taint : taints) {
    Yaml item = {{"key", taint.key}};
    if (!taint.value.empty()) item["value"] = taint.value;
    item["effect"] = taint.effect;
    list.push_back(std::move(item));
  }
  return list;
}

// A metav1.Duration as Go's time.ParseDuration reads it.
std::string GoDuration(std::chrono::seconds duration) { return fmt::format("{}s", duration.count()); }

// The kubelet flags kubeadm passes through (nodeRegistration.kubeletExtraArgs), in order.
std::vector<std::pair<std::string, std::string>> KubeletExtraArgs(const JoinSettings& settings) {
  std::vector<std::pair<std::string, std::string>> args;
  if (!settings.labels.empty()) args.emplace_back("node-labels", NodeLabelsFlag(settings.labels));
  if (settings.max_pods) args.emplace_back("max-pods", std::to_string(*settings.max_pods));
  if (settings.kubelet_root_dir != kDefaultKubeletRootDir) args.emplace_back("root-dir", settings.kubelet_root_dir);
  return args;
}

// Parses the leading decimal digits of `text` into `value`; returns what follows them.
std::optional<std::string_view> TakeNumber(std::string_view text, int& value) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return text.substr(static_cast<size_t>(end - text.data()));
}

}  // namespace

Result<KubernetesVersion> ParseKubernetesVersion(std::string_view text) {
  std::string_view rest = text;
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
  if (const size_t v = rest.rfind(" v"); v != std::string_view::npos)
    rest = rest.substr(v + 1);  // "Kubernetes v1.35.0"
  const auto invalid = [&text] {
    return errors::JoinFailed(fmt::format("\"{}\" is not a Kubernetes version (vMAJOR.MINOR.PATCH)", text));
  };
  if (!rest.starts_with('v')) return invalid();
  KubernetesVersion version;
  auto after_major = TakeNumber(rest.substr(1), version.major);
  if (!after_major || !after_major->starts_with('.')) return invalid();
  auto after_minor = TakeNumber(after_major->substr(1), version.minor);
  if (!after_minor || !after_minor->starts_with('.')) return invalid();
  auto after_patch = TakeNumber(after_minor->substr(1), version.patch);
  if (!after_patch || !(after_patch->empty() || after_patch->front() == '-' || after_patch->front() == '+')) {
    return invalid();
  }
  return version;
}

std::string ToString(const KubernetesVersion& version) {
  return fmt::format("v{}.{}.{}", version.major, version.minor, version.patch);
}

Result<KubeadmApi> KubeadmApiFor(const KubernetesVersion& kubeadm) {
  if (kubeadm < KubernetesVersion{1, 22, 0}) {
    return errors::JoinFailed(
        fmt::format("kubeadm {} is older than 1.22, the first release with the kubeadm.k8s.io/v1beta3 "
                    "config API; nodeboot supports kubeadm 1.22 and later (upgrade the node image's kubeadm)",
                    ToString(kubeadm)));
  }
  return kubeadm < KubernetesVersion{1, 31, 0} ? KubeadmApi::kV1Beta3 : KubeadmApi::kV1Beta4;
}

std::string_view ApiVersionOf(KubeadmApi api) {
  return api == KubeadmApi::kV1Beta3 ? "kubeadm.k8s.io/v1beta3" : "kubeadm.k8s.io/v1beta4";
}

std::chrono::seconds KubeadmJoinLimit(const KubeadmTimeouts& timeouts, KubeadmApi api) {
  // v1beta3's kubeadm waits its own fixed 5 min for the TLS bootstrap and 4 min for the
  // kubelet's health, whatever the config says.
  KubeadmTimeouts applied = timeouts;
  if (api == KubeadmApi::kV1Beta3) {
    const KubeadmTimeouts fixed;
    applied.tls_bootstrap = fixed.tls_bootstrap;
    applied.kubelet_health_check = fixed.kubelet_health_check;
  }
  return applied.discovery + applied.tls_bootstrap + applied.kubelet_health_check + kKubeadmJoinSlack;
}

JoinSettings SettingsFor(const config::NodeConfig& config, const std::string& node_name) {
  const config::ClusterSection& cluster = config.cluster;
  JoinSettings settings;
  settings.node_name = node_name;
  settings.api_server = cluster.api_server;
  settings.ca_cert_hash = cluster.ca_cert_hash;
  settings.ca_file = cluster.ca_file;
  settings.bootstrap_token = cluster.bootstrap_token;
  settings.cri_socket = cluster.cri_socket;
  settings.labels = config.node_template.labels;
  settings.taints = config.node_template.taints;
  settings.max_pods = config.node_template.max_pods;
  // The storage phase mounted the kubernetes space there; a kubelet writing to its default
  // directory instead would fill the root disk and leave the volume empty.
  if (HasKubernetesSpace(config.node_template.storage)) {
    settings.kubelet_root_dir = std::string(storage::kKubeletMountPoint);
  }
  settings.cluster_dns = cluster.cluster_dns;
  settings.cluster_domain = cluster.cluster_domain;
  settings.fail_cgroup_v1 = cluster.fail_cgroup_v1;
  settings.timeouts.discovery = std::chrono::seconds(cluster.discovery_timeout_seconds);
  settings.timeouts.tls_bootstrap = std::chrono::seconds(cluster.tls_bootstrap_timeout_seconds);
  settings.timeouts.kubelet_health_check = std::chrono::seconds(cluster.kubelet_health_check_timeout_seconds);
  return settings;
}

std::string ApiServerEndpoint(std::string_view api_server) {
  const size_t scheme_end = api_server.find("://");
  if (scheme_end == std::string_view::npos) return std::string(api_server);
  const std::string_view scheme = api_server.substr(0, scheme_end);
  std::string_view authority = api_server.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  // A port follows the last ':' unless that ':' is inside an IPv6 literal's brackets.
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.rfind(']');
  const bool has_port = colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  if (has_port) return std::string(authority);
  return fmt::format("{}:{}", authority, scheme == "http" ? 80 : 443);
}

std::string NodeLabelsFlag(const std::vector<std::pair<std::string, std::string>>& labels) {
  std::string flag;
  for (const auto& [key, value] : labels) {
    if (!flag.empty()) flag += ',';
    flag += key + "=" + value;
  }
  return flag;
}

Secret RenderKubeadmJoinConfiguration(const JoinSettings& settings, KubeadmApi api) {
  Yaml bootstrap_token = {
      {"apiServerEndpoint", ApiServerEndpoint(settings.api_server)},
      {"token", settings.bootstrap_token.Reveal()},
      {"caCertHashes", Yaml::array({settings.ca_cert_hash})},
  };
  Yaml discovery = {{"bootstrapToken", std::move(bootstrap_token)}};
  if (api == KubeadmApi::kV1Beta3) discovery["timeout"] = GoDuration(settings.timeouts.discovery);

  Yaml registration = {
      {"name", settings.node_name},
      {"criSocket", settings.cri_socket},
      {"taints", TaintList(settings.taints)},
  };
  const auto extra_args = KubeletExtraArgs(settings);
  if (!extra_args.empty()) {
    // v1beta3: a map of flag to value; v1beta4: a list of {name, value} (it lets a flag repeat),
    // and kubeadm 1.31+ refuses a map there.
    Yaml args = api == KubeadmApi::kV1Beta3 ? Yaml::object() : Yaml::array();
    for (const auto& [name, value] : extra_args) {
      if (api == KubeadmApi::kV1Beta3) {
        args[name] = value;
      } else {
        args.push_back({{"name", name}, {"value", value}});
      }
    }
    registration["kubeletExtraArgs"] = std::move(args);
  }
  if (!settings.ignore_preflight_errors.empty())
    registration["ignorePreflightErrors"] = settings.ignore_preflight_errors;

  Yaml document = {
      {"apiVersion", ApiVersionOf(api)},
      {"kind", "JoinConfiguration"},
      {"discovery", std::move(discovery)},
      {"nodeRegistration", std::move(registration)},
  };
  if (!settings.fail_cgroup_v1) document["patches"] = {{"directory", kKubeadmPatchesDir}};
  if (api == KubeadmApi::kV1Beta4) {
    document["timeouts"] = {
        {"discovery", GoDuration(settings.timeouts.discovery)},
        {"tlsBootstrap", GoDuration(settings.timeouts.tls_bootstrap)},
        {"kubeletHealthCheck", GoDuration(settings.timeouts.kubelet_health_check)},
    };
  }
  return Secret(
      ToYaml(document, "Written by nodeboot for `kubeadm join --config`. It holds the bootstrap token: mode 0600."));
}

std::string RenderKubeletConfigurationPatch() {
  const Yaml patch = {
      {"apiVersion", "kubelet.config.k8s.io/v1beta1"},
      {"kind", "KubeletConfiguration"},
      {"failCgroupV1", false},
  };
  return ToYaml(patch,
                "Written by nodeboot (cluster.failCgroupV1: false): kubeadm applies this patch to the kubelet's\n"
                "configuration, so that the kubelet runs on this cgroup v1 host.");
}

Secret RenderBootstrapKubeconfig(const JoinSettings& settings) {
  const Yaml document = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"clusters",
       {{{"name", "bootstrap"},
         {"cluster", {{"server", settings.api_server}, {"certificate-authority", settings.ca_file}}}}}},
      {"contexts", {{{"name", "bootstrap"}, {"context", {{"cluster", "bootstrap"}, {"user", "kubelet-bootstrap"}}}}}},
      {"current-context", "bootstrap"},
      {"users", {{{"name", "kubelet-bootstrap"}, {"user", {{"token", settings.bootstrap_token.Reveal()}}}}}},
  };
  return Secret(ToYaml(
      document, "Written by nodeboot for the kubelet's TLS bootstrap. It holds the bootstrap token: mode 0600."));
}

std::string RenderKubeletConfiguration(const JoinSettings& settings) {
  // Anonymous requests off and webhook authn/authz on: the kubelet API answers only what the
  // API server authorises. cgroupDriver systemd matches containerd's SystemdCgroup and
  // kubeadm's default; a mismatch keeps every pod from starting.
  Yaml document = {
      {"apiVersion", "kubelet.config.k8s.io/v1beta1"},
      {"kind", "KubeletConfiguration"},
      {"authentication",
       {{"anonymous", {{"enabled", false}}},
        {"webhook", {{"enabled", true}}},
        {"x509", {{"clientCAFile", settings.ca_file}}}}},
      {"authorization", {{"mode", "Webhook"}}},
      {"cgroupDriver", "systemd"},
      {"containerRuntimeEndpoint", settings.cri_socket},
      {"rotateCertificates", true},
  };
  if (!settings.cluster_dns.empty()) document["clusterDNS"] = settings.cluster_dns;
  if (!settings.cluster_domain.empty()) document["clusterDomain"] = settings.cluster_domain;
  if (settings.max_pods) document["maxPods"] = *settings.max_pods;
  if (!settings.taints.empty()) document["registerWithTaints"] = TaintList(settings.taints);
  if (!settings.fail_cgroup_v1) document["failCgroupV1"] = false;
  return ToYaml(document, "Written by nodeboot (cluster.join: kubelet); rewritten on every join.");
}

std::string RenderKubeletDropIn(const JoinSettings& settings) {
  // Label keys and values, the node name and the paths hold no character systemd would
  // interpret (no space, quote, '%', '$' or '\'): config validation guarantees it.
  std::string out =
      "# Written by nodeboot (cluster.join: kubelet); rewritten on every join.\n"
      "# ExecStart is replaced whole, so flags from other drop-ins (10-kubeadm.conf) do not mix "
      "in.\n"
      "[Service]\n"
      "ExecStart=\n";
  out += fmt::format("ExecStart={}", kKubeletBinary);
  const std::vector<std::string> flags{
      fmt::format("--bootstrap-kubeconfig={}", kBootstrapKubeconfigPath),
      fmt::format("--kubeconfig={}", kKubeletKubeconfigPath),
      fmt::format("--config={}", kKubeletConfigPath),
      fmt::format("--root-dir={}", settings.kubelet_root_dir),
      fmt::format("--hostname-override={}", settings.node_name),
  };
  for (const auto& flag : flags) out += " \\\n    " + flag;
  if (!settings.labels.empty()) out += " \\\n    --node-labels=" + NodeLabelsFlag(settings.labels);
  out += "\n";
  return out;
}

}  // namespace nodeboot::join
