// The join phase's decisions (agent/join/join_phase.h) with a recording runner, a scripted
// API server and a fake clock: what runs on a fresh node and on a re-run.
#include "agent/join/join_phase.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/support/fake_clock.h"
#include "tests/support/no_host_access.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::join {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records every command and plays the node's side of them as the real programs do:
// `systemctl show` prints the unit's state, `start|restart --no-block` makes the unit active
// with a new InvocationID (or `failing` units failed), `kubeadm version -o short` and
// `kubelet --version` print their releases.
class NodeRunner : public CommandRunner {
 public:
  struct Unit {
    std::string load = "loaded";
    std::string active = "inactive";
    int invocations = 0;
  };
  std::vector<std::string> commands;                          // every command
  std::map<std::string, std::chrono::milliseconds> timeouts;  // by command
  std::map<std::string, Unit> units{{"containerd.service", {}}, {"kubelet.service", {}}};
  std::set<std::string> failing;  // units whose start fails
  std::set<std::string> stuck;    // units whose start job never runs
  std::string kubeadm_version = "v1.31.4";
  std::string kubelet_version = "Kubernetes v1.35.0";
  // What `kubeadm join`, or the kubelet's TLS bootstrap after its start, leaves: kubelet.conf.
  std::function<void()> joined;

  bool HasProgram(const std::string&) override { return true; }

  Result<CommandResult> Run(const Command& command) override {
    const std::string line = FormatArgv(command.argv);
    commands.push_back(line);
    timeouts[line] = command.timeout;
    CommandResult result;
    const auto& argv = command.argv;
    if (line == "kubeadm version -o short") result.out = kubeadm_version + "\n";
    if (line == "/usr/bin/kubelet --version") result.out = kubelet_version + "\n";
    if (argv[0] == "systemctl" && argv.size() == 4 && argv[1] == "show") {
      const auto it = units.find(argv[3]);
      const Unit unit = it == units.end() ? Unit{"not-found", "inactive", 0} : it->second;
      result.out =
          fmt::format("LoadState={}\nActiveState={}\nSubState={}\nResult={}\nInvocationID={}\n", unit.load, unit.active,
                      unit.active == "active" ? "running" : "dead", unit.active == "failed" ? "exit-code" : "success",
                      unit.invocations == 0 ? "" : fmt::format("{:032x}", unit.invocations));
    }
    if (argv[0] == "systemctl" && argv.size() == 4 && argv[1] == "stop" && !stuck.contains(argv[3])) {
      units[argv[3]].active = "inactive";
    } else if (argv[0] == "systemctl" && argv.size() == 4 && argv[2] == "--no-block" && !stuck.contains(argv[3])) {
      Unit& unit = units[argv[3]];
      if (argv[1] == "start" && unit.active == "activating") {
        unit.active = "active";  // merged into the start job under way: the same invocation
      } else if (argv[1] == "restart" || unit.active != "active") {
        ++unit.invocations;
        unit.active = failing.contains(argv[3]) ? "failed" : "active";
      }
      if (argv[3] == "kubelet.service" && unit.active == "active" && joined) joined();
    }
    if (argv[0] == "kubeadm" && argv[1] == "join" && joined) joined();
    return result;
  }

  // The commands that change something (not `show`, not the version queries).
  std::vector<std::string> Changes() const {
    std::vector<std::string> changes;
    for (const auto& line : commands) {
      if (line.find(" show ") == std::string::npos && line.find("version") == std::string::npos) {
        changes.push_back(line);
      }
    }
    return changes;
  }
};

// Ready=True (or not) with everything Expected asks for; the first `not_ready` answers are
// Ready=False. It also serves kube-system/kubelet-config (`config_map_status`, with
// clusterDNS 10.96.0.10 when 200).
class NodeApi : public HttpClient {
 public:
  int not_ready = 0;
  int requests = 0;
  json capacity;  // status.capacity when set
  int config_map_status = 200;
  std::vector<std::string> config_map_auth;  // the Authorization of each ConfigMap request
  Result<HttpResponse> Send(const HttpRequest& request) override {
    if (request.url.ends_with("/configmaps/kubelet-config")) {
      for (const auto& [name, value] : request.secret_headers) config_map_auth.push_back(value.Reveal());
      if (config_map_status != 200) {
        return HttpResponse{
            config_map_status, {}, R"({"kind":"Status","message":"configmaps \"kubelet-config\" is forbidden"})"};
      }
      const json map = {{"data",
                         {{"kubelet",
                           "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n"
                           "clusterDNS:\n- 10.96.0.10\nclusterDomain: cluster.local\n"}}}};
      return HttpResponse{200, {}, map.dump()};
    }
    const bool ready = requests++ >= not_ready;
    json node = {{"metadata", {{"name", "worker-1"}, {"labels", {{"team", "data"}}}}},
                 {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
    if (!capacity.is_null()) node["status"]["capacity"] = capacity;
    return HttpResponse{200, {}, node.dump()};
  }
};

class JoinPhaseTest : public ::testing::Test {
 protected:
  JoinPhaseTest() {
    config_.cluster.api_server = "https://10.0.0.10:6443";
    config_.cluster.ca_cert_hash = "sha256:00";
    config_.cluster.ca_file = "/etc/kubernetes/pki/ca.crt";
    config_.cluster.bootstrap_token = Secret("abcdef.0123456789abcdef");
    config_.cluster.ready_timeout_seconds = 30;
    config_.node_template.labels = {{"team", "data"}};
  }

  run::PhaseOutcome Run(config::JoinMode mode) {
    config_.cluster.join = mode;
    JoinEnvironment environment;
    environment.clock = {clock_.Now(), clock_.Sleep()};
    runner_.joined = [this] {
      if (!std::filesystem::exists(root_.path() / "etc/kubernetes/kubelet.conf")) JoinedBefore();
    };
    auto phase = MakeJoinPhase(environment);
    nodeboot::testing::NoProbe probe;
    run::PhaseContext context{config_,           identity_, paths_, runner_, *files_, api_, probe, /*repair=*/true,
                              /*dry_run=*/false, {}};
    return phase->Run(context);
  }

  void JoinedBefore() {
    root_.Write("etc/kubernetes/kubelet.conf", "clusters:\n- name: c\n  cluster: {server: 'https://api'}\n");
  }

  testing::TempDir root_;
  Paths paths_{root_.path()};
  std::unique_ptr<HostFiles> files_ = MakeRealHostFiles(paths_);
  config::NodeConfig config_;
  run::Identity identity_{"worker-1", "i-1", "boot", "run"};
  NodeRunner runner_;
  NodeApi api_;
  nodeboot::testing::FakeClock clock_;
};

TEST_F(JoinPhaseTest, JoinedAndReadyNodeIsLeftAlone) {
  JoinedBefore();
  for (const auto mode : {config::JoinMode::kKubeadm, config::JoinMode::kKubelet}) {
    const auto outcome = Run(mode);
    ASSERT_TRUE(outcome.status) << outcome.status.error().message;
    EXPECT_THAT(outcome.output.back(), HasSubstr("already joined, left alone"));
  }
  EXPECT_TRUE(runner_.commands.empty());
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "etc/kubernetes/nodeboot-join.yaml"));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "etc/kubernetes/bootstrap-kubelet.conf"));
}

TEST_F(JoinPhaseTest, KubeadmDoesNotJoinAgainButWaits) {
  JoinedBefore();
  api_.not_ready = 3;
  const auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_TRUE(runner_.Changes().empty());
  EXPECT_EQ(api_.requests, 4);
}

TEST_F(JoinPhaseTest, KubeletModeRestartsAKubeletThatRanWithOtherFiles) {
  JoinedBefore();
  api_.not_ready = 1;
  runner_.units["kubelet.service"].active = "active";
  config_.cluster.cluster_dns = {"10.247.3.10"};
  ASSERT_TRUE(Run(config::JoinMode::kKubelet).status);
  EXPECT_THAT(runner_.Changes(),
              ElementsAre("systemctl start --no-block containerd.service", "systemctl stop --no-block kubelet.service",
                          "systemctl daemon-reload", "systemctl enable kubelet.service",
                          "systemctl start --no-block kubelet.service"));
  // The same files again, the kubelet running: nothing to restart for.
  runner_.commands.clear();
  api_.requests = 0;
  api_.not_ready = 1;
  ASSERT_TRUE(Run(config::JoinMode::kKubelet).status);
  EXPECT_THAT(runner_.Changes(), ElementsAre("systemctl daemon-reload", "systemctl enable kubelet.service"));
}

TEST_F(JoinPhaseTest, KubeadmJoinsInTheApiOfTheInstalledKubeadmAfterStartingContainerd) {
  for (const auto& [version, api] :
       {std::pair{"v1.30.2", "kubeadm.k8s.io/v1beta3"}, std::pair{"v1.37.0", "kubeadm.k8s.io/v1beta4"}}) {
    runner_ = NodeRunner();
    runner_.kubeadm_version = version;
    std::filesystem::remove(root_.path() / "etc/kubernetes/kubelet.conf");
    const auto outcome = Run(config::JoinMode::kKubeadm);
    ASSERT_TRUE(outcome.status) << outcome.status.error().message;
    const std::string file = (root_.path() / "etc/kubernetes/nodeboot-join.yaml").string();
    ASSERT_FALSE(runner_.commands.empty());
    EXPECT_EQ(runner_.commands[0], "kubeadm version -o short");
    EXPECT_THAT(runner_.Changes(),
                ElementsAre("systemctl start --no-block containerd.service", "kubeadm join --config " + file));
    EXPECT_THAT(testing::Slurp(file), HasSubstr(fmt::format("apiVersion: \"{}\"", api)));
    // Longer than kubeadm's own limits (5 + 5 + 4 minutes and 2 of slack).
    EXPECT_EQ(runner_.timeouts["kubeadm join --config " + file], std::chrono::seconds(960));
  }
}

TEST_F(JoinPhaseTest, KubeadmOlderThan122FailsBeforeWritingOrStartingAnything) {
  runner_.kubeadm_version = "v1.21.14";
  const auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().exit_code, 30);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("kubeadm v1.21.14 is older than 1.22"));
  EXPECT_TRUE(runner_.Changes().empty());
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "etc/kubernetes/nodeboot-join.yaml"));
}

TEST_F(JoinPhaseTest, KubeletModeTakesClusterDnsFromTheClustersConfigMapWithTheBootstrapToken) {
  const auto outcome = Run(config::JoinMode::kKubelet);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(api_.config_map_auth, ElementsAre("Bearer abcdef.0123456789abcdef"));
  const std::string kubelet = testing::Slurp((root_.path() / "etc/kubernetes/kubelet-config.yaml").string());
  EXPECT_THAT(kubelet, HasSubstr("clusterDNS:\n  - \"10.96.0.10\"\nclusterDomain: \"cluster.local\""));
  // The configured ones win, and then the cluster is not asked.
  api_.config_map_auth.clear();
  std::filesystem::remove(root_.path() / "etc/kubernetes/kubelet.conf");
  config_.cluster.cluster_dns = {"10.247.3.10"};
  config_.cluster.cluster_domain = "corp.local";
  ASSERT_TRUE(Run(config::JoinMode::kKubelet).status);
  EXPECT_TRUE(api_.config_map_auth.empty());
  EXPECT_THAT(testing::Slurp((root_.path() / "etc/kubernetes/kubelet-config.yaml").string()),
              HasSubstr("clusterDNS:\n  - \"10.247.3.10\"\nclusterDomain: \"corp.local\""));
}

TEST_F(JoinPhaseTest, KubeletModeWithoutAnyClusterDnsFailsBeforeWriting) {
  api_.config_map_status = 403;
  const auto outcome = Run(config::JoinMode::kKubelet);
  ASSERT_FALSE(outcome.status);
  EXPECT_THAT(outcome.status.error().message,
              HasSubstr("cluster.clusterDNS is not set and the cluster's could not be read: ConfigMap "
                        "kube-system/kubelet-config: HTTP 403: configmaps \"kubelet-config\" is forbidden"));
  EXPECT_THAT(outcome.status.error().message, Not(HasSubstr("0123456789abcdef")));
  EXPECT_TRUE(runner_.Changes().empty());
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "etc/kubernetes/bootstrap-kubelet.conf"));
}

TEST_F(JoinPhaseTest, CgroupV1FailsBeforeWritingUnlessAllowedOrTheKubeletIsOlder) {
  root_.Write("proc/mounts",
              "sysfs /sys sysfs rw 0 0\ntmpfs /sys/fs/cgroup tmpfs ro,nosuid 0 0\n"
              "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n");
  runner_.kubeadm_version = "v1.35.1";
  auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_FALSE(outcome.status);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("this host runs cgroup v1"));
  EXPECT_THAT(outcome.status.error().message, HasSubstr("set cluster.failCgroupV1: false"));
  EXPECT_TRUE(runner_.Changes().empty());

  // The kubelet mode asks the kubelet for its release.
  runner_ = NodeRunner();
  outcome = Run(config::JoinMode::kKubelet);
  ASSERT_FALSE(outcome.status);
  EXPECT_THAT(runner_.commands, ElementsAre("/usr/bin/kubelet --version"));

  runner_ = NodeRunner();
  runner_.kubeadm_version = "v1.34.2";
  ASSERT_TRUE(Run(config::JoinMode::kKubeadm).status);

  // Allowed: kubeadm gets a patch for the kubelet's configuration.
  std::filesystem::remove(root_.path() / "etc/kubernetes/kubelet.conf");
  runner_ = NodeRunner();
  runner_.kubeadm_version = "v1.35.1";
  config_.cluster.fail_cgroup_v1 = false;
  outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(testing::Slurp((root_.path() / "etc/kubernetes/nodeboot-join.yaml").string()),
              HasSubstr("patches:\n  directory: \"/etc/kubernetes/nodeboot-patches\""));
  EXPECT_THAT(
      testing::Slurp((root_.path() / "etc/kubernetes/nodeboot-patches/kubeletconfiguration+strategic.yaml").string()),
      HasSubstr("failCgroupV1: false"));
}

TEST_F(JoinPhaseTest, AUnitThatFailsOrNeverStartsIsNamed) {
  config_.cluster.cluster_dns = {"10.247.3.10"};
  runner_.failing = {"kubelet.service"};
  auto outcome = Run(config::JoinMode::kKubelet);
  ASSERT_FALSE(outcome.status);
  EXPECT_THAT(outcome.status.error().message,
              HasSubstr("systemctl start kubelet.service: the unit failed (ActiveState=failed SubState=dead "
                        "Result=exit-code); `journalctl -u kubelet.service` says why"));

  runner_ = NodeRunner();
  runner_.stuck = {"containerd.service"};
  std::filesystem::remove(root_.path() / "etc/kubernetes/bootstrap-kubelet.conf");
  const auto start = clock_.now;
  outcome = Run(config::JoinMode::kKubelet);
  ASSERT_FALSE(outcome.status);
  EXPECT_THAT(outcome.status.error().message,
              HasSubstr("systemctl start containerd.service: not active after 120 s (ActiveState=inactive"));
  EXPECT_GE(clock_.now - start, std::chrono::seconds(120));
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "etc/kubernetes/bootstrap-kubelet.conf"));
}

// systemd starts containerd itself once nodeboot said READY (it is wanted by
// multi-user.target): nodeboot's start merges into that job and no new invocation comes.
TEST_F(JoinPhaseTest, AStartMergedIntoSystemdsOwnStartJobIsWaitedFor) {
  runner_.units["containerd.service"] = {"loaded", "activating", 1};
  const auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(runner_.Changes(),
              ElementsAre("systemctl start --no-block containerd.service", HasSubstr("kubeadm join")));
}

// The packages leave the kubelet crash-looping until configured: it is stopped before its files
// change, so its Restart= cannot start it on half-written files or race our start.
TEST_F(JoinPhaseTest, ACrashLoopingKubeletIsStoppedBeforeItsFilesChange) {
  config_.cluster.cluster_dns = {"10.247.3.10"};
  runner_.units["kubelet.service"] = {"loaded", "activating", 3};
  const auto outcome = Run(config::JoinMode::kKubelet);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  const auto changes = runner_.Changes();
  ASSERT_EQ(changes.size(), 5u) << ::testing::PrintToString(changes);
  EXPECT_EQ(changes[1], "systemctl stop --no-block kubelet.service");
  EXPECT_EQ(changes[4], "systemctl start --no-block kubelet.service");
  EXPECT_EQ(runner_.units["kubelet.service"].invocations, 4);  // one new start, no restart
}

TEST_F(JoinPhaseTest, ANodeWithoutContainerdIsLeftToItsOwnRuntime) {
  runner_.units.erase("containerd.service");
  ASSERT_TRUE(Run(config::JoinMode::kKubeadm).status);
  EXPECT_THAT(runner_.Changes(), ElementsAre(HasSubstr("kubeadm join --config")));
}

TEST_F(JoinPhaseTest, KubeadmModeAcceptsThePodsTheClustersPodsPerCoreAllows) {
  config_.node_template.max_pods = 64;
  root_.Write("var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\npodsPerCore: 10\nmaxPods: 110\n");
  api_.capacity = {{"cpu", "4"}, {"pods", "40"}};
  auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  // Without the per-core limit, 40 is not what was asked for.
  std::filesystem::remove(root_.path() / "etc/kubernetes/kubelet.conf");
  root_.Write("var/lib/kubelet/config.yaml", "kind: KubeletConfiguration\n");
  config_.cluster.ready_timeout_seconds = 1;
  outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_FALSE(outcome.status);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("status.capacity.pods 64 (is 40)"));
}

TEST_F(JoinPhaseTest, NodeNameThatKubernetesRefusesFailsBeforeAnything) {
  identity_.node_name = "Worker_1";
  const auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().exit_code, 30);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("node name \"Worker_1\" cannot name a Kubernetes Node"));
  EXPECT_TRUE(runner_.commands.empty());
}

}  // namespace
}  // namespace nodeboot::join
