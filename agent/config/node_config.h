// NodeConfig: /etc/nodeboot/config.yaml (SPEC §3) as typed, validated values. Nothing else of
// the project sees YAML. Secrets (task token, bootstrap token, decoded scripts) are Secret,
// which never prints.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/base/secret.h"
#include "storage/inventory.h"
#include "storage/spec.h"

namespace nodeboot::config {

enum class JoinMode { kNone, kKubeadm, kKubelet };

struct NodeSection {
  std::string name;         // empty: the host name
  std::string instance_id;  // empty: /var/lib/cloud/data/instance-id, else /etc/machine-id
};

struct TaskSection {
  std::string id;
  std::string url;         // empty: no report is sent (it stays in state and `status`)
  Secret token;            // from `token`, or read from `tokenFile`
  std::string token_file;  // `tokenFile` as written (a host path), empty with `token`
  std::string ca_file;
  int timeout_seconds = 10;
  int delivery_seconds = 300;

  bool enabled() const { return !url.empty(); }
};

struct ClusterSection {
  JoinMode join = JoinMode::kNone;  // kNone also when the section is absent
  std::string api_server;
  std::string ca_cert_hash;
  std::string ca_file;
  Secret bootstrap_token;
  // Always a unix:// URL: a bare socket path in the config gets the prefix (kubeadm and the
  // kubelet warn on, and future releases refuse, a path without a scheme).
  std::string cri_socket = "unix:///run/containerd/containerd.sock";
  int ready_timeout_seconds = 600;
  // The kubelet's cluster DNS (kubelet mode). Empty: the cluster's kube-system/kubelet-config
  // ConfigMap says (as `kubeadm join` reads it); kubeadm mode always takes the ConfigMap's.
  std::vector<std::string> cluster_dns;
  std::string cluster_domain;
  // The kubelet's failCgroupV1 (from 1.35 it defaults to true: no kubelet on cgroup v1).
  // false is the operator's opt-in to run on a cgroup v1 host.
  bool fail_cgroup_v1 = true;
  // kubeadm's own limits (v1beta4 `timeouts`; the defaults are kubeadm's): discovery of the
  // cluster, the kubelet's TLS bootstrap, the kubelet's health check. nodeboot's limit on the
  // whole `kubeadm join` is their sum plus KubeadmJoinSlack (join_config.h).
  int discovery_timeout_seconds = 300;
  int tls_bootstrap_timeout_seconds = 300;
  int kubelet_health_check_timeout_seconds = 240;
};

// `gpu:` (SPEC §3, §6a): whether the gpu phase clears a MIG layout the instance kept from its
// previous tenant, and how long the whole reset may take.
enum class MigReset { kAuto, kNever };

struct GpuSection {
  MigReset mig_reset = MigReset::kAuto;
  int reset_timeout_seconds = 900;  // the whole gpu phase; exit 51 when not done within it
};

struct ScriptsSection {
  int pre_install_timeout_seconds = 900;    // CCE's limit
  int post_install_timeout_seconds = 1800;  // CCE's limit
};

struct Taint {
  std::string key;
  std::string value;
  std::string effect;
};

struct NodeTemplate {
  std::vector<std::pair<std::string, std::string>> labels;  // k8sTags, in file order
  std::vector<Taint> taints;
  std::optional<int> max_pods;
  std::optional<Secret> pre_install_script;           // decoded
  std::optional<Secret> post_install_script;          // decoded
  std::vector<storage::TemplateVolume> data_volumes;  // what the cloud attached, matched to disks by size
  std::optional<storage::Spec> storage;               // from `storage`, else the legacy override; else none
  std::string runtime = "containerd";

  bool runtime_is_docker() const { return runtime == "docker"; }
};

struct NodeConfig {
  NodeSection node;
  TaskSection task;
  ClusterSection cluster;
  std::vector<storage::InventoryVolume> disks;  // `disks:`, joined to disks on the serial or WWN
  GpuSection gpu;
  ScriptsSection scripts;
  storage::Filesystem filesystem = storage::Filesystem::kExt4;
  NodeTemplate node_template;

  // Every configured secret value, for redaction of logs and reports.
  std::vector<std::string> SecretValues() const;
};

}  // namespace nodeboot::config
