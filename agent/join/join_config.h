// The files a join writes (SPEC §6), rendered as text from the node's settings. Pure: no I/O,
// so every byte of each file is pinned by a golden test (tests/data/join/golden), and every
// key in them is checked against the upstream API types (tests/data/join/upstream).
//
// kubeadm mode writes a JoinConfiguration for `kubeadm join --config`, in the API the
// installed kubeadm reads (KubeadmApiFor), and, when the node opts into cgroup v1, a kubeadm
// patch for the kubelet's configuration. kubelet mode writes three files: the bootstrap
// kubeconfig the kubelet's TLS bootstrap starts from, a KubeletConfiguration
// (kubelet.config.k8s.io/v1beta1), and a systemd drop-in that replaces the kubelet's ExecStart
// with the flags that have no config field (--node-labels, --root-dir, the kubeconfig paths).
// YAML is emitted by yaml_writer.h (yaml-cpp), never assembled by hand.
//
// Every path inside a file is a path on the node (no --root prefix): the kubelet and kubeadm
// read them on the node itself. Renderings that carry the bootstrap token return a Secret, so
// their text cannot reach a log by accident.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/base/result.h"
#include "agent/base/secret.h"
#include "agent/config/node_config.h"

namespace nodeboot::join {

// Where the files live on the node.
inline constexpr std::string_view kKubeadmConfigPath = "/etc/kubernetes/nodeboot-join.yaml";
inline constexpr std::string_view kBootstrapKubeconfigPath = "/etc/kubernetes/bootstrap-kubelet.conf";
inline constexpr std::string_view kKubeletConfigPath = "/etc/kubernetes/kubelet-config.yaml";
inline constexpr std::string_view kKubeletDropInPath = "/etc/systemd/system/kubelet.service.d/10-nodeboot.conf";
// Written by kubeadm join (JoinConfiguration caCertPath's default) before the kubelet's TLS
// bootstrap: with the bootstrap kubeconfig, what an interrupted kubeadm join leaves behind.
inline constexpr std::string_view kKubeadmCaCertPath = "/etc/kubernetes/pki/ca.crt";
// Written by kubeadm join or by the kubelet's TLS bootstrap; read for the readiness wait.
inline constexpr std::string_view kKubeletKubeconfigPath = "/etc/kubernetes/kubelet.conf";
// kubeadm mode with cgroup v1 allowed: kubeadm's patches directory (JoinConfiguration
// `patches.directory`) and the patch for the kubelet's configuration in it.
inline constexpr std::string_view kKubeadmPatchesDir = "/etc/kubernetes/nodeboot-patches";
inline constexpr std::string_view kKubeletConfigurationPatchPath =
    "/etc/kubernetes/nodeboot-patches/kubeletconfiguration+strategic.yaml";
// Where `kubeadm join` writes the kubelet's configuration (from the cluster's kubelet-config
// ConfigMap, with the patches applied): read for the pods the kubelet will allow.
inline constexpr std::string_view kKubeadmKubeletConfigPath = "/var/lib/kubelet/config.yaml";
inline constexpr std::string_view kDefaultKubeletRootDir = "/var/lib/kubelet";
// The kubelet of the Kubernetes deb/rpm packages; the drop-in's ExecStart names it.
inline constexpr std::string_view kKubeletBinary = "/usr/bin/kubelet";

// A Kubernetes release as kubeadm and the kubelet print it.
struct KubernetesVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;

  auto operator<=>(const KubernetesVersion&) const = default;
};
// "v1.31.2" (`kubeadm version -o short`), "Kubernetes v1.35.0" (`kubelet --version`), with
// any pre-release or build suffix ("v1.37.0-alpha.1+abc") ignored. An error quotes the text.
Result<KubernetesVersion> ParseKubernetesVersion(std::string_view text);
std::string ToString(const KubernetesVersion& version);  // "v1.31.2"

// The kubeadm config API a JoinConfiguration is written in.
enum class KubeadmApi { kV1Beta3, kV1Beta4 };
// SPEC §6, as Cluster API's kubeadm bootstrap provider chooses: v1beta3 for 1.22-1.30, v1beta4
// from 1.31 (1.37 removed v1beta3). Older than 1.22 (v1beta2 only) is an error saying so.
Result<KubeadmApi> KubeadmApiFor(const KubernetesVersion& kubeadm);
std::string_view ApiVersionOf(KubeadmApi api);  // "kubeadm.k8s.io/v1beta4"

// The release from which the kubelet refuses cgroup v1 unless failCgroupV1 is false.
inline constexpr KubernetesVersion kKubeletFailsCgroupV1From{1, 35, 0};

// kubeadm's own limits for a join. v1beta4 takes all three (`timeouts`); v1beta3 takes only
// the discovery timeout, its TLS bootstrap and kubelet health limits being fixed (5 and 4 min).
struct KubeadmTimeouts {
  std::chrono::seconds discovery{300};
  std::chrono::seconds tls_bootstrap{300};
  std::chrono::seconds kubelet_health_check{240};
};
// Preflight, file writes and the kubelet restart around kubeadm's own limited steps.
inline constexpr std::chrono::seconds kKubeadmJoinSlack{120};
// nodeboot's limit on the whole `kubeadm join` process: longer than every limit kubeadm itself
// applies, so that kubeadm, which says which step ran out of time, fails first.
std::chrono::seconds KubeadmJoinLimit(const KubeadmTimeouts& timeouts, KubeadmApi api);

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
  // The kubelet's DNS settings (kubelet mode), from the config or the cluster's ConfigMap.
  std::vector<std::string> cluster_dns;
  std::string cluster_domain;
  bool fail_cgroup_v1 = true;  // false: the kubelet is told to run on cgroup v1
  KubeadmTimeouts timeouts;
  // kubeadm mode: preflight checks kubeadm is told to ignore (nodeRegistration.
  // ignorePreflightErrors), only ever the leftovers of nodeboot's own interrupted join
  // (KubeadmLeftovers in join_phase.cc).
  std::vector<std::string> ignore_preflight_errors = {};
};

JoinSettings SettingsFor(const config::NodeConfig& config, const std::string& node_name);

// kubeadm's discovery wants host:port: "https://10.0.0.10:6443/" -> "10.0.0.10:6443"; a URL
// without a port gets its scheme's (443, 80); host:port is kept as it is.
std::string ApiServerEndpoint(std::string_view api_server);

// The --node-labels value: "k=v,k2=v2" (label syntax admits neither ',' nor '=').
std::string NodeLabelsFlag(const std::vector<std::pair<std::string, std::string>>& labels);

// kubeadm mode: the JoinConfiguration in `api`. `taints: []` is explicit when none are asked
// for: omitted, kubeadm would apply its own defaults.
Secret RenderKubeadmJoinConfiguration(const JoinSettings& settings, KubeadmApi api);
// kubeadm mode with fail_cgroup_v1 false: the strategic-merge patch of the kubelet's
// configuration that sets failCgroupV1: false.
std::string RenderKubeletConfigurationPatch();

// kubelet mode: the bootstrap kubeconfig (server, CA file, the bootstrap token).
Secret RenderBootstrapKubeconfig(const JoinSettings& settings);
// kubelet mode: the KubeletConfiguration (no secret in it).
std::string RenderKubeletConfiguration(const JoinSettings& settings);
// kubelet mode: the systemd drop-in for kubelet.service.
std::string RenderKubeletDropIn(const JoinSettings& settings);

}  // namespace nodeboot::join
