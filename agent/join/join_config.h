// The files a join writes (SPEC §6), rendered as text from the node's settings. Pure: no I/O,
// so every byte of each file is pinned by a golden test.
//
// kubeadm mode writes one file: a JoinConfiguration (kubeadm.k8s.io/v1beta3) for
// `kubeadm join --config`. kubelet mode writes three: the bootstrap kubeconfig the kubelet's
// TLS bootstrap starts from, a KubeletConfiguration (kubelet.config.k8s.io/v1beta1), and a
// systemd drop-in that replaces the kubelet's ExecStart with the flags that have no config
// field (--node-labels, --root-dir, the kubeconfig paths).
//
// Every path inside a file is a path on the node (no --root prefix): the kubelet and kubeadm
// read them on the node itself. Renderings that carry the bootstrap token return a Secret, so
// their text cannot reach a log by accident.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/base/secret.h"
#include "agent/config/node_config.h"

namespace nodeboot::join {

// Where the files live on the node.
inline constexpr std::string_view kKubeadmConfigPath = "/etc/kubernetes/nodeboot-join.yaml";
inline constexpr std::string_view kBootstrapKubeconfigPath =
    "/etc/kubernetes/bootstrap-kubelet.conf";
inline constexpr std::string_view kKubeletConfigPath = "/etc/kubernetes/kubelet-config.yaml";
inline constexpr std::string_view kKubeletDropInPath =
    "/etc/systemd/system/kubelet.service.d/10-nodeboot.conf";
// Written by kubeadm join or by the kubelet's TLS bootstrap; read for the readiness wait.
inline constexpr std::string_view kKubeletKubeconfigPath = "/etc/kubernetes/kubelet.conf";
inline constexpr std::string_view kDefaultKubeletRootDir = "/var/lib/kubelet";
// The kubelet of the Kubernetes deb/rpm packages; the drop-in's ExecStart names it.
inline constexpr std::string_view kKubeletBinary = "/usr/bin/kubelet";

// What the node asks of the cluster, from the validated config and the resolved node name.
struct JoinSettings {
  std::string node_name;
  std::string api_server;    // as configured: a URL, or host:port (kubeadm only)
  std::string ca_cert_hash;  // kubeadm discovery
  std::string ca_file;       // kubelet mode: the cluster CA on the node
  Secret bootstrap_token;
  std::string cri_socket;
  std::vector<std::pair<std::string, std::string>> labels;  // k8sTags, in file order
  std::vector<config::Taint> taints;
  std::optional<int> max_pods;
  // The kubelet's --root-dir: the storage layout's kubelet mount point when the node has a
  // kubernetes space, else the kubelet's default.
  std::string kubelet_root_dir = std::string(kDefaultKubeletRootDir);
};

JoinSettings SettingsFor(const config::NodeConfig& config, const std::string& node_name);

// kubeadm's discovery wants host:port: "https://10.0.0.10:6443/" -> "10.0.0.10:6443"; a URL
// without a port gets its scheme's (443, 80); host:port is kept as it is.
std::string ApiServerEndpoint(std::string_view api_server);

// The --node-labels value: "k=v,k2=v2" (label syntax admits neither ',' nor '=').
std::string NodeLabelsFlag(const std::vector<std::pair<std::string, std::string>>& labels);

// A YAML double-quoted scalar: every string we emit is quoted, so no value ("true", "0x1",
// "a: b", "") can change type or structure.
std::string YamlQuote(std::string_view text);

// kubeadm mode: the JoinConfiguration. `taints: []` is explicit when none are asked for:
// omitted, kubeadm would apply its own defaults.
Secret RenderKubeadmJoinConfiguration(const JoinSettings& settings);

// kubelet mode: the bootstrap kubeconfig (server, CA file, the bootstrap token).
Secret RenderBootstrapKubeconfig(const JoinSettings& settings);
// kubelet mode: the KubeletConfiguration (no secret in it).
std::string RenderKubeletConfiguration(const JoinSettings& settings);
// kubelet mode: the systemd drop-in for kubelet.service.
std::string RenderKubeletDropIn(const JoinSettings& settings);

}  // namespace nodeboot::join
