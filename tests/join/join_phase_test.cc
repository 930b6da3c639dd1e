// The join phase's decisions (agent/join/join_phase.h) with a recording runner, a scripted
// API server and a fake clock: what runs on a fresh node and on a re-run.
#include "agent/join/join_phase.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace nodeboot::join {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RecordingRunner : public CommandRunner {
 public:
  std::vector<std::string> commands;
  Result<CommandResult> Run(const Command& command) override {
    commands.push_back(FormatArgv(command.argv));
    return CommandResult{};
  }
};

// Ready=True (or not) with everything Expected asks for; the first `not_ready` answers are
// Ready=False.
class NodeApi : public HttpClient {
 public:
  int not_ready = 0;
  int requests = 0;
  Result<HttpResponse> Send(const HttpRequest&) override {
    const bool ready = requests++ >= not_ready;
    const json node = {
        {"metadata", {{"name", "worker-1"}, {"labels", {{"team", "data"}}}}},
        {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
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
    environment.make_http = [this] { return std::unique_ptr<HttpClient>(new Forward(api_)); };
    environment.clock = {[this] { return now_; },
                         [this](std::chrono::milliseconds d) { now_ += d; }};
    auto phase = MakeJoinPhase(environment);
    run::PhaseContext context{config_, identity_,       paths_,           runner_,
                              *files_, /*repair=*/true, /*dry_run=*/false, {}};
    return phase->Run(context);
  }

  void JoinedBefore() {
    root_.Write("etc/kubernetes/kubelet.conf",
                "clusters:\n- name: c\n  cluster: {server: 'https://api'}\n");
  }

  // The phase owns its client; this one forwards to the test's.
  struct Forward : HttpClient {
    explicit Forward(NodeApi& api) : api(api) {}
    Result<HttpResponse> Send(const HttpRequest& request) override { return api.Send(request); }
    NodeApi& api;
  };

  testing::TempDir root_;
  Paths paths_{root_.path()};
  std::unique_ptr<HostFiles> files_ = MakeRealHostFiles(paths_);
  config::NodeConfig config_;
  run::Identity identity_{"worker-1", "i-1", "boot", "run"};
  RecordingRunner runner_;
  NodeApi api_;
  std::chrono::steady_clock::time_point now_{};
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
  EXPECT_TRUE(runner_.commands.empty());
  EXPECT_EQ(api_.requests, 4);
}

TEST_F(JoinPhaseTest, KubeletModeRestartsAKubeletThatRanWithOtherFiles) {
  JoinedBefore();
  api_.not_ready = 1;
  ASSERT_TRUE(Run(config::JoinMode::kKubelet).status);
  EXPECT_THAT(runner_.commands,
              ElementsAre("systemctl daemon-reload", "systemctl enable --now kubelet",
                          "systemctl restart kubelet"));
  // The same files again: nothing to restart for.
  runner_.commands.clear();
  api_.requests = 0;
  ASSERT_TRUE(Run(config::JoinMode::kKubelet).status);
  EXPECT_THAT(runner_.commands,
              ElementsAre("systemctl daemon-reload", "systemctl enable --now kubelet"));
}

TEST_F(JoinPhaseTest, NodeNameThatKubernetesRefusesFailsBeforeAnything) {
  identity_.node_name = "Worker_1";
  const auto outcome = Run(config::JoinMode::kKubeadm);
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().exit_code, 30);
  EXPECT_THAT(outcome.status.error().message,
              HasSubstr("node name \"Worker_1\" cannot name a Kubernetes Node"));
  EXPECT_TRUE(runner_.commands.empty());
}

}  // namespace
}  // namespace nodeboot::join
