// `run` and `plan` in-process on a fake host (agent/run/host.h): every side effect goes through
// the host main hands down - commands, disk probes, HTTP, the service manager, stop signals -
// so a run can be proven on values, with nothing of this machine touched.
#include "agent/run/bootstrap.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "agent/run/plan_command.h"
#include "tests/run/fake_service_manager.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/fake_storage_host.h"
#include "tests/support/no_host_access.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::run {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr uint64_t kGiB = 1ull << 30;

// Runs commands as a node would, with none of them real: scripts succeed, the rest is the
// storage fake's (lvm, mkfs, mount), and every command is recorded.
class FakeNode : public nodeboot::testing::FakeStorageHost {
 public:
  using FakeStorageHost::FakeStorageHost;
  Result<CommandResult> Run(const Command& command) override {
    commands.push_back(command.argv);
    if (command.argv.front() == "/bin/bash") return CommandResult{};
    return FakeStorageHost::Run(command);
  }
  std::vector<std::vector<std::string>> commands;
};

class BootstrapTest : public ::testing::Test {
 protected:
  void WriteConfig(const std::string& extra) {
    root_.Write("etc/nodeboot/config.yaml", "node: {name: worker-1, instanceId: i-1}\n" + extra);
  }
  int Run(std::set<std::string> only = {}, bool dry_run = false) {
    BootstrapOptions options;
    options.root = root_.path().string();
    options.only = std::move(only);
    options.dry_run = dry_run;
    return Bootstrap(options, host_);
  }
  nlohmann::json State() const {
    return nlohmann::json::parse(nodeboot::testing::Slurp(root_.path() / "var/lib/nodeboot/state.json"));
  }

  nodeboot::testing::TempDir root_;
  FakeNode node_{root_};
  nodeboot::testing::FakeHttpClient task_service_;  // the task service: answers 200
  nodeboot::testing::FakeServiceManager service_manager_;
  int stop_signal_ = 0;
  Host host_{node_,
             task_service_,
             service_manager_,
             node_,
             {[] { return std::chrono::steady_clock::now(); },
              [] { return std::chrono::system_clock::now(); },
              [](std::chrono::milliseconds) {},
              [] { return 0.5; },
              {}},
             [this] { return stop_signal_; }};
};

constexpr char kStorage[] = R"(nodeTemplate:
  dataVolumes: [{volumetype: SAS, size: 10}]
  storage:
    storageSelectors: [{name: cceUse, storageType: evs}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [cceUse]
        virtualSpaces:
          - {name: runtime, size: "90%"}
          - {name: kubernetes, size: "10%"}
)";

TEST_F(BootstrapTest, TheStoragePhaseLaysOutTheDisksThroughTheHostsRunnerAndProbe) {
  node_.AddDisk("vdb", 10 * kGiB);
  WriteConfig(kStorage);
  ASSERT_EQ(Run({"storage"}), 0);
  EXPECT_THAT(node_.Layout(), AllOf(HasSubstr("lv dockersys"), HasSubstr("lv kubernetes"),
                                    HasSubstr("mount /dev/mapper/vgpaas-kubernetes at " + root_.path().string() +
                                              "/mnt/paas/kubernetes/kubelet")));
  EXPECT_GT(node_.changing_commands, 0);
  EXPECT_EQ(State()["lastRun"]["phases"][1]["status"], "succeeded");
  // No task.url: nothing was sent; the service manager heard the phase and the end.
  EXPECT_THAT(task_service_.requests, IsEmpty());
  EXPECT_THAT(service_manager_.said, Contains("STATUS phase storage"));
  EXPECT_THAT(service_manager_.said.back(), StartsWith("READY bootstrapped (run "));
}

TEST_F(BootstrapTest, ADryRunReadsThroughTheHostAndChangesNothing) {
  node_.AddDisk("vdb", 10 * kGiB);
  WriteConfig(kStorage);
  ASSERT_EQ(Run({"storage"}, /*dry_run=*/true), 0);
  EXPECT_EQ(node_.changing_commands, 0);
  EXPECT_GT(node_.lvm_reads, 0);
  EXPECT_FALSE(std::filesystem::exists(root_.path() / "var/lib/nodeboot/state.json"));
}

TEST_F(BootstrapTest, TheReportGoesToTheTaskServiceThroughTheHostsHttp) {
  WriteConfig(
      "task: {id: t1, url: 'http://task.example/v1/tasks/t1/result', token: tok-0123456789}\n"
      "nodeTemplate:\n  extendParam:\n    alpha.cce/preInstall: ZWNobyBoaQo=\n");  // echo hi
  ASSERT_EQ(Run({"preInstall"}), 0);
  ASSERT_EQ(node_.commands.size(), 1u);
  EXPECT_EQ(node_.commands[0],
            (std::vector<std::string>{"/bin/bash", root_.path().string() + "/var/lib/nodeboot/scripts/preInstall"}));
  ASSERT_EQ(task_service_.requests.size(), 1u);
  const HttpRequest& sent = task_service_.requests[0];
  EXPECT_EQ(sent.url, "http://task.example/v1/tasks/t1/result");
  const auto report = nlohmann::json::parse(sent.body);
  EXPECT_EQ(report["status"], "succeeded");
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
}

TEST_F(BootstrapTest, AStopSignalTheHostReportsEndsTheRunAndKeepsTheReportForLater) {
  WriteConfig(
      "task: {id: t1, url: 'http://task.example/v1/tasks/t1/result', token: tok-0123456789}\n"
      "nodeTemplate:\n  extendParam:\n    alpha.cce/preInstall: ZWNobyBoaQo=\n");
  stop_signal_ = SIGTERM;
  EXPECT_EQ(Run(), 128 + SIGTERM);
  EXPECT_THAT(node_.commands, IsEmpty());
  EXPECT_THAT(task_service_.requests, IsEmpty());
  EXPECT_THAT(State()["lastRun"]["report"]["detail"].get<std::string>(), HasSubstr("nodeboot was stopped (SIGTERM)"));
  EXPECT_TRUE(std::filesystem::exists(root_.path() / "var/lib/nodeboot/outbox"));
}

TEST_F(BootstrapTest, PlanOnlyReadsAndPrintsWhatStorageWouldDo) {
  node_.AddDisk("vdb", 10 * kGiB);
  WriteConfig(kStorage);
  ::testing::internal::CaptureStdout();
  const int code = PrintPlan(root_.path().string(), "", /*json=*/true, host_);
  const auto plan = nlohmann::json::parse(::testing::internal::GetCapturedStdout());
  ASSERT_EQ(code, 0);
  EXPECT_EQ(node_.changing_commands, 0);
  EXPECT_EQ(plan["disks"][0]["device"], "/dev/vdb");
  EXPECT_EQ(plan["disks"][0]["selector"], "cceUse");
  EXPECT_FALSE(plan["actions"].empty());
  EXPECT_THAT(node_.Layout(), Not(HasSubstr("lv ")));
}

}  // namespace
}  // namespace nodeboot::run
