// The rendered join files, byte for byte (agent/join/join_config.h).
#include "agent/join/join_config.h"

#include <gtest/gtest.h>

namespace nodeboot::join {
namespace {

JoinSettings Settings() {
  JoinSettings settings;
  settings.node_name = "worker-1";
  settings.api_server = "https://10.0.0.10:6443";
  settings.ca_cert_hash = "sha256:00ff";
  settings.ca_file = "/etc/kubernetes/pki/ca.crt";
  settings.bootstrap_token = Secret("abcdef.0123456789abcdef");
  settings.cri_socket = "unix:///run/containerd/containerd.sock";
  return settings;
}

TEST(ApiServerEndpointTest, StripsTheSchemeAndPathAndSuppliesThePort) {
  EXPECT_EQ(ApiServerEndpoint("https://10.0.0.10:6443"), "10.0.0.10:6443");
  EXPECT_EQ(ApiServerEndpoint("https://api.example.com:6443/"), "api.example.com:6443");
  EXPECT_EQ(ApiServerEndpoint("https://api.example.com/k8s"), "api.example.com:443");
  EXPECT_EQ(ApiServerEndpoint("http://api.example.com"), "api.example.com:80");
  EXPECT_EQ(ApiServerEndpoint("https://[fd00::1]"), "[fd00::1]:443");
  EXPECT_EQ(ApiServerEndpoint("https://[fd00::1]:6443"), "[fd00::1]:6443");
  EXPECT_EQ(ApiServerEndpoint("10.0.0.10:6443"), "10.0.0.10:6443");
}

TEST(YamlQuoteTest, QuotesAndEscapes) {
  EXPECT_EQ(YamlQuote(""), "\"\"");
  EXPECT_EQ(YamlQuote("true"), "\"true\"");
  EXPECT_EQ(YamlQuote("a\"b\\c\nd\x01"), "\"a\\\"b\\\\c\\nd\\x01\"");
}

TEST(NodeLabelsFlagTest, JoinsInOrder) {
  EXPECT_EQ(NodeLabelsFlag({{"b", "1"}, {"a", ""}, {"x.io/y", "z"}}), "b=1,a=,x.io/y=z");
  EXPECT_EQ(NodeLabelsFlag({}), "");
}

TEST(KubeadmJoinConfigurationTest, WithoutTaintsLabelsOrMaxPodsSaysTaintsEmpty) {
  EXPECT_EQ(
      RenderKubeadmJoinConfiguration(Settings()).Reveal(),
      R"(# Written by nodeboot for `kubeadm join --config`. It holds the bootstrap token: mode 0600.
apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "10.0.0.10:6443"
    token: "abcdef.0123456789abcdef"
    caCertHashes:
      - "sha256:00ff"
nodeRegistration:
  name: "worker-1"
  criSocket: "unix:///run/containerd/containerd.sock"
  taints: []
)");
}

TEST(KubeadmJoinConfigurationTest, CarriesTaintsLabelsMaxPodsAndTheStorageRootDir) {
  JoinSettings settings = Settings();
  settings.taints = {{"dedicated", "gpu", "NoSchedule"}, {"spot", "", "PreferNoSchedule"}};
  settings.labels = {{"team", "data"}, {"node.kubernetes.io/pool", "gpu"}};
  settings.max_pods = 64;
  settings.kubelet_root_dir = "/mnt/paas/kubernetes/kubelet";
  const std::string text = RenderKubeadmJoinConfiguration(settings).Reveal();
  EXPECT_NE(text.find(R"(  taints:
    - key: "dedicated"
      value: "gpu"
      effect: "NoSchedule"
    - key: "spot"
      effect: "PreferNoSchedule"
  kubeletExtraArgs:
    node-labels: "team=data,node.kubernetes.io/pool=gpu"
    max-pods: "64"
    root-dir: "/mnt/paas/kubernetes/kubelet"
)"),
            std::string::npos)
      << text;
}

TEST(KubeletFilesTest, MinimalConfigurationAndDropIn) {
  EXPECT_EQ(RenderKubeletConfiguration(Settings()).find("maxPods"), std::string::npos);
  EXPECT_EQ(RenderKubeletConfiguration(Settings()).find("registerWithTaints"), std::string::npos);
  EXPECT_EQ(RenderKubeletDropIn(Settings()),
            R"(# Written by nodeboot (cluster.join: kubelet); rewritten on every join.
# ExecStart is replaced whole, so flags from other drop-ins (10-kubeadm.conf) do not mix in.
[Service]
ExecStart=
ExecStart=/usr/bin/kubelet \
    --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
    --kubeconfig=/etc/kubernetes/kubelet.conf \
    --config=/etc/kubernetes/kubelet-config.yaml \
    --root-dir=/var/lib/kubelet \
    --hostname-override=worker-1
)");
}

TEST(SettingsForTest, KubeletRootDirFollowsTheKubernetesSpace) {
  config::NodeConfig config;
  EXPECT_EQ(SettingsFor(config, "n").kubelet_root_dir, "/var/lib/kubelet");
  storage::Spec spec;
  spec.groups.push_back({"vgpaas", true, {}, {{storage::SpaceKind::kRuntime, 90, {}, {}}}});
  config.node_template.storage = spec;
  EXPECT_EQ(SettingsFor(config, "n").kubelet_root_dir, "/var/lib/kubelet");
  config.node_template.storage->groups[0].spaces.push_back(
      {storage::SpaceKind::kKubernetes, 10, {}, {}});
  EXPECT_EQ(SettingsFor(config, "n").kubelet_root_dir, "/mnt/paas/kubernetes/kubelet");
}

}  // namespace
}  // namespace nodeboot::join
