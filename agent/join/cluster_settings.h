// What a join learns from outside the config before it writes anything: the cluster's
// kubelet settings (kube-system/kubelet-config, the ConfigMap `kubeadm init` makes and
// `kubeadm join` reads), the kubelet configuration kubeadm wrote on this node, and whether the
// host runs cgroup v1. Parsing is pure; the one fetch goes through HttpClient.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/http_client.h"
#include "agent/base/result.h"
#include "agent/join/join_config.h"

namespace nodeboot::join {

// The kubelet settings nodeboot takes from a KubeletConfiguration.
struct KubeletSettings {
  std::vector<std::string> cluster_dns;
  std::string cluster_domain;
  int pods_per_core = 0;  // 0: no per-core limit (the kubelet's default)
  std::optional<int> max_pods;
};

// Pure: a KubeletConfiguration's text (YAML or JSON). `where` names it in errors.
Result<KubeletSettings> ParseKubeletConfiguration(std::string_view text, std::string_view where);

// The ConfigMap's path on the API server, and the pure reading of its GET answer (the
// KubeletConfiguration is in data.kubelet).
inline constexpr std::string_view kKubeletConfigMapPath = "/api/v1/namespaces/kube-system/configmaps/kubelet-config";
Result<KubeletSettings> ParseKubeletConfigMap(const HttpResponse& response);

// GET of the ConfigMap with the bootstrap token (kubeadm's RBAC lets bootstrap tokens read it)
// and the cluster CA file (a real path).
Result<KubeletSettings> FetchClusterKubeletSettings(HttpClient& http, const JoinSettings& settings,
                                                    const std::string& ca_file);

// The pods the kubelet will allow, as the kubelet computes status.capacity.pods: maxPods, and
// with podsPerCore set, at most podsPerCore times the node's cores.
int PodCapacity(int max_pods, int pods_per_core, int cores);

// How the host mounts cgroups, from /proc/mounts (pure): v2 when /sys/fs/cgroup is cgroup2,
// v1 when it is a tmpfs of v1 hierarchies (legacy or hybrid: the kubelet counts both as v1),
// unknown when /sys/fs/cgroup is not mounted at all (a test root, a chroot).
enum class CgroupMode { kV2, kV1, kUnknown };
CgroupMode CgroupModeFromMounts(std::string_view proc_mounts);

}  // namespace nodeboot::join
