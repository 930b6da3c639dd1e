#include "agent/join/join_config.h"

#include <fmt/format.h>

#include "storage/spec.h"

namespace nodeboot::join {
namespace {

bool HasKubernetesSpace(const std::optional<storage::Spec>& spec) {
  if (!spec) return false;
  for (const auto& group : spec->groups) {
    for (const auto& space : group.spaces) {
      if (space.kind == storage::SpaceKind::kKubernetes) return true;
    }
  }
  return false;
}

// A taint as a YAML list item at `indent`, with the same keys in kubeadm and the kubelet.
void AppendTaints(std::string& out, const std::vector<config::Taint>& taints,
                  std::string_view indent) {
  for (const auto& taint : taints) {
    out += fmt::format("{}- key: {}\n", indent, YamlQuote(taint.key));
    if (!taint.value.empty()) out += fmt::format("{}  value: {}\n", indent, YamlQuote(taint.value));
    out += fmt::format("{}  effect: {}\n", indent, YamlQuote(taint.effect));
  }
}

}  // namespace

JoinSettings SettingsFor(const config::NodeConfig& config, const std::string& node_name) {
  JoinSettings settings;
  settings.node_name = node_name;
  settings.api_server = config.cluster.api_server;
  settings.ca_cert_hash = config.cluster.ca_cert_hash;
  settings.ca_file = config.cluster.ca_file;
  settings.bootstrap_token = config.cluster.bootstrap_token;
  settings.cri_socket = config.cluster.cri_socket;
  settings.labels = config.node_template.labels;
  settings.taints = config.node_template.taints;
  settings.max_pods = config.node_template.max_pods;
  // The storage phase mounted the kubernetes space there; a kubelet writing to its default
  // directory instead would fill the root disk and leave the volume empty.
  if (HasKubernetesSpace(config.node_template.storage)) {
    settings.kubelet_root_dir = std::string(storage::kKubeletMountPoint);
  }
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
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
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

std::string YamlQuote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

Secret RenderKubeadmJoinConfiguration(const JoinSettings& settings) {
  std::string out =
      "# Written by nodeboot for `kubeadm join --config`. It holds the bootstrap token: mode "
      "0600.\n"
      "apiVersion: kubeadm.k8s.io/v1beta3\n"
      "kind: JoinConfiguration\n"
      "discovery:\n"
      "  bootstrapToken:\n";
  out +=
      fmt::format("    apiServerEndpoint: {}\n", YamlQuote(ApiServerEndpoint(settings.api_server)));
  out += fmt::format("    token: {}\n", YamlQuote(settings.bootstrap_token.Reveal()));
  out += "    caCertHashes:\n";
  out += fmt::format("      - {}\n", YamlQuote(settings.ca_cert_hash));
  out += "nodeRegistration:\n";
  out += fmt::format("  name: {}\n", YamlQuote(settings.node_name));
  out += fmt::format("  criSocket: {}\n", YamlQuote(settings.cri_socket));
  if (settings.taints.empty()) {
    out += "  taints: []\n";
  } else {
    out += "  taints:\n";
    AppendTaints(out, settings.taints, "    ");
  }
  std::string extra_args;
  if (!settings.labels.empty()) {
    extra_args += fmt::format("    node-labels: {}\n", YamlQuote(NodeLabelsFlag(settings.labels)));
  }
  if (settings.max_pods) {
    extra_args += fmt::format("    max-pods: {}\n", YamlQuote(std::to_string(*settings.max_pods)));
  }
  if (settings.kubelet_root_dir != kDefaultKubeletRootDir) {
    extra_args += fmt::format("    root-dir: {}\n", YamlQuote(settings.kubelet_root_dir));
  }
  if (!extra_args.empty()) out += "  kubeletExtraArgs:\n" + extra_args;
  return Secret(std::move(out));
}

Secret RenderBootstrapKubeconfig(const JoinSettings& settings) {
  std::string out =
      "# Written by nodeboot for the kubelet's TLS bootstrap. It holds the bootstrap token: mode "
      "0600.\n"
      "apiVersion: v1\n"
      "kind: Config\n"
      "clusters:\n"
      "  - name: bootstrap\n"
      "    cluster:\n";
  out += fmt::format("      server: {}\n", YamlQuote(settings.api_server));
  out += fmt::format("      certificate-authority: {}\n", YamlQuote(settings.ca_file));
  out +=
      "contexts:\n"
      "  - name: bootstrap\n"
      "    context:\n"
      "      cluster: bootstrap\n"
      "      user: kubelet-bootstrap\n"
      "current-context: bootstrap\n"
      "users:\n"
      "  - name: kubelet-bootstrap\n"
      "    user:\n";
  out += fmt::format("      token: {}\n", YamlQuote(settings.bootstrap_token.Reveal()));
  return Secret(std::move(out));
}

std::string RenderKubeletConfiguration(const JoinSettings& settings) {
  // Anonymous requests off and webhook authn/authz on: the kubelet API answers only what the
  // API server authorises. cgroupDriver systemd matches containerd's SystemdCgroup and
  // kubeadm's default; a mismatch keeps every pod from starting.
  std::string out =
      "# Written by nodeboot (cluster.join: kubelet); rewritten on every join.\n"
      "apiVersion: kubelet.config.k8s.io/v1beta1\n"
      "kind: KubeletConfiguration\n"
      "authentication:\n"
      "  anonymous:\n"
      "    enabled: false\n"
      "  webhook:\n"
      "    enabled: true\n"
      "  x509:\n";
  out += fmt::format("    clientCAFile: {}\n", YamlQuote(settings.ca_file));
  out +=
      "authorization:\n"
      "  mode: Webhook\n"
      "cgroupDriver: systemd\n";
  out += fmt::format("containerRuntimeEndpoint: {}\n", YamlQuote(settings.cri_socket));
  out += "rotateCertificates: true\n";
  if (settings.max_pods) out += fmt::format("maxPods: {}\n", *settings.max_pods);
  if (!settings.taints.empty()) {
    out += "registerWithTaints:\n";
    AppendTaints(out, settings.taints, "  ");
  }
  return out;
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
