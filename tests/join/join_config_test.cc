// The rendered join files, byte for byte (agent/join/join_config.h).
#include "agent/join/join_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace nodeboot::join {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

TEST(NodeLabelsFlagTest, JoinsInOrder) {
  EXPECT_EQ(NodeLabelsFlag({{"b", "1"}, {"a", ""}, {"x.io/y", "z"}}), "b=1,a=,x.io/y=z");
  EXPECT_EQ(NodeLabelsFlag({}), "");
}

TEST(KubernetesVersionTest, ReadsWhatKubeadmAndTheKubeletPrint) {
  EXPECT_EQ(ParseKubernetesVersion("v1.31.2\n").value(), (KubernetesVersion{1, 31, 2}));
  EXPECT_EQ(ParseKubernetesVersion("Kubernetes v1.35.0").value(), (KubernetesVersion{1, 35, 0}));
  EXPECT_EQ(ParseKubernetesVersion("v1.37.0-alpha.1+0123abcd").value(), (KubernetesVersion{1, 37, 0}));
  EXPECT_EQ(ParseKubernetesVersion("v1.30.14-eks-1234").value(), (KubernetesVersion{1, 30, 14}));
  for (const char* bad : {"", "1.31.2", "v1.31", "v1.x.2", "v1.31.2junk", "kubeadm version: &version.Info{}"}) {
    auto parsed = ParseKubernetesVersion(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_THAT(parsed.error().message, HasSubstr("is not a Kubernetes version")) << bad;
  }
}

TEST(KubeadmApiTest, V1beta3Through130V1beta4From131AndNothingBefore122) {
  EXPECT_FALSE(KubeadmApiFor({1, 21, 14}));
  EXPECT_THAT(KubeadmApiFor({1, 21, 14}).error().message, HasSubstr("kubeadm v1.21.14 is older than 1.22"));
  EXPECT_EQ(KubeadmApiFor({1, 22, 0}).value(), KubeadmApi::kV1Beta3);
  EXPECT_EQ(KubeadmApiFor({1, 30, 99}).value(), KubeadmApi::kV1Beta3);
  EXPECT_EQ(KubeadmApiFor({1, 31, 0}).value(), KubeadmApi::kV1Beta4);
  EXPECT_EQ(KubeadmApiFor({1, 37, 0}).value(), KubeadmApi::kV1Beta4);
  EXPECT_EQ(KubeadmApiFor({2, 0, 0}).value(), KubeadmApi::kV1Beta4);
}

TEST(KubeadmJoinLimitTest, OutlastsKubeadmsOwnLimits) {
  const KubeadmTimeouts defaults;
  // 5 min discovery + 5 min TLS bootstrap + 4 min kubelet health + 2 min slack.
  EXPECT_EQ(KubeadmJoinLimit(defaults, KubeadmApi::kV1Beta4), std::chrono::seconds(960));
  KubeadmTimeouts longer{std::chrono::seconds(600), std::chrono::seconds(900), std::chrono::seconds(60)};
  EXPECT_EQ(KubeadmJoinLimit(longer, KubeadmApi::kV1Beta4), std::chrono::seconds(600 + 900 + 60 + 120));
  // v1beta3 takes only the discovery timeout; kubeadm's fixed 5 and 4 minutes apply.
  EXPECT_EQ(KubeadmJoinLimit(longer, KubeadmApi::kV1Beta3), std::chrono::seconds(600 + 300 + 240 + 120));
}

TEST(KubeadmJoinConfigurationTest, WithoutTaintsLabelsOrMaxPodsSaysTaintsEmpty) {
  EXPECT_EQ(RenderKubeadmJoinConfiguration(Settings(), KubeadmApi::kV1Beta3).Reveal(),
            R"(# Written by nodeboot for `kubeadm join --config`. It holds the bootstrap token: mode 0600.
apiVersion: "kubeadm.k8s.io/v1beta3"
kind: "JoinConfiguration"
discovery:
  bootstrapToken:
    apiServerEndpoint: "10.0.0.10:6443"
    token: "abcdef.0123456789abcdef"
    caCertHashes:
      - "sha256:00ff"
  timeout: "300s"
nodeRegistration:
  name: "worker-1"
  criSocket: "unix:///run/containerd/containerd.sock"
  taints: []
)");
}

TEST(KubeadmJoinConfigurationTest, ValuesThatLookLikeOtherTypesStayStrings) {
  JoinSettings settings = Settings();
  settings.labels = {{"a", "true"}, {"b", "0x1"}};
  settings.taints = {{"k", "null", "NoSchedule"}};
  const std::string text = RenderKubeadmJoinConfiguration(settings, KubeadmApi::kV1Beta4).Reveal();
  EXPECT_THAT(text, HasSubstr(R"(value: "a=true,b=0x1")"));
  EXPECT_THAT(text, HasSubstr(R"(value: "null")"));
}

// The complete renderings: every field nodeboot can write, in each API. The files are also
// checked key by key against the upstream types (upstream_fields_test.cc).
// NODEBOOT_UPDATE_GOLDEN=1 rewrites them from the code (then review the diff).
JoinSettings Everything() {
  JoinSettings settings = Settings();
  settings.taints = {{"dedicated", "gpu", "NoSchedule"}, {"spot", "", "PreferNoSchedule"}};
  settings.labels = {{"team", "data"}, {"node.kubernetes.io/pool", "gpu"}};
  settings.max_pods = 64;
  settings.kubelet_root_dir = "/mnt/paas/kubernetes/kubelet";
  settings.cluster_dns = {"10.247.3.10", "fd00::a"};
  settings.cluster_domain = "cluster.local";
  settings.fail_cgroup_v1 = false;
  settings.timeouts = {std::chrono::seconds(420), std::chrono::seconds(360), std::chrono::seconds(180)};
  return settings;
}

void ExpectGolden(const std::string& name, const std::string& text) {
  const auto path = std::filesystem::path(NODEBOOT_SOURCE_DIR) / "tests/data/join/golden" / name;
  if (const char* update = std::getenv("NODEBOOT_UPDATE_GOLDEN"); update != nullptr && std::string(update) == "1") {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << path << " is missing (NODEBOOT_UPDATE_GOLDEN=1 writes it)";
  const std::string golden((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, golden) << name << " differs from the rendering";
}

TEST(GoldenTest, JoinConfigurationV1beta3) {
  ExpectGolden("join-v1beta3.yaml", RenderKubeadmJoinConfiguration(Everything(), KubeadmApi::kV1Beta3).Reveal());
}

TEST(GoldenTest, JoinConfigurationV1beta4) {
  ExpectGolden("join-v1beta4.yaml", RenderKubeadmJoinConfiguration(Everything(), KubeadmApi::kV1Beta4).Reveal());
}

TEST(GoldenTest, KubeletConfiguration) {
  ExpectGolden("kubelet-config.yaml", RenderKubeletConfiguration(Everything()));
}

TEST(GoldenTest, KubeletConfigurationPatch) {
  ExpectGolden("kubelet-config-patch.yaml", RenderKubeletConfigurationPatch());
}

TEST(GoldenTest, BootstrapKubeconfig) {
  ExpectGolden("bootstrap-kubeconfig.yaml", RenderBootstrapKubeconfig(Everything()).Reveal());
}

TEST(KubeletFilesTest, MinimalConfigurationAndDropIn) {
  const std::string config = RenderKubeletConfiguration(Settings());
  for (const char* absent : {"maxPods", "registerWithTaints", "clusterDNS", "clusterDomain", "failCgroupV1"}) {
    EXPECT_THAT(config, Not(HasSubstr(absent)));
  }
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
  config.node_template.storage->groups[0].spaces.push_back({storage::SpaceKind::kKubernetes, 10, {}, {}});
  EXPECT_EQ(SettingsFor(config, "n").kubelet_root_dir, "/mnt/paas/kubernetes/kubelet");
}

}  // namespace
}  // namespace nodeboot::join
