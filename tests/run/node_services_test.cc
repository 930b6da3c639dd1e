// When the engine says the node's services may start (RunHooks::node_services_may_start), and
// what a run tells the service manager (bootstrap.h), on values: fake phases that log what
// happens into one list, and a fake service manager.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "agent/run/bootstrap.h"
#include "agent/run/engine.h"
#include "tests/run/fake_phases.h"
#include "tests/run/fake_service_manager.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::run {
namespace {

using ::testing::ElementsAre;
using testing::FakePhase;

class NodeServicesTest : public testing::EngineFixture {
 protected:
  NodeServicesTest() {
    hooks_.node_services_may_start = [this](std::string_view phase) {
      log_.push_back("may start (" + std::string(phase) + ")");
    };
  }
  // A phase that logs "run <name>" into log_ when it runs.
  FakePhase& Add(std::string name, bool needs_services = false, Status result = Ok(), std::string nothing = "") {
    return AddPhase(
        std::move(name),
        {.needs_node_services = needs_services, .result = std::move(result), .nothing_to_do = std::move(nothing)},
        &log_);
  }
  // The phases of StandardPhases() as they will be: a GPU phase between storage and join, and
  // the join and what follows it needing the node's services.
  void AddStandardPhases(Status storage = Ok(), std::string join_nothing = "") {
    Add("preInstall");
    Add("storage", false, std::move(storage));
    Add("gpu");
    Add("join", true, Ok(), std::move(join_nothing));
    Add("postInstall", true);
  }
  std::vector<std::string> log_;
};

TEST_F(NodeServicesTest, SaidOnceAfterTheDataPhasesAndBeforeTheFirstPhaseThatNeedsThem) {
  AddStandardPhases();
  const auto run = Run();
  EXPECT_EQ(run.status, RunStatus::kSucceeded);
  EXPECT_THAT(
      log_, ElementsAre("run preInstall", "run storage", "run gpu", "may start (join)", "run join", "run postInstall"));
}

TEST_F(NodeServicesTest, SaidWhenThePhaseThatNeedsThemIsSkipped) {
  AddStandardPhases(Ok(), "no cluster to join (cluster.join absent or none)");
  Run();
  EXPECT_THAT(log_, ElementsAre("run preInstall", "run storage", "run gpu", "may start (join)", "run postInstall"));
  log_.clear();
  Run({.only = {}, .skip = {"join"}, .repair = false, .rerun_scripts = false});  // every phase already succeeded
  EXPECT_THAT(log_, ElementsAre("may start (join)"));
}

TEST_F(NodeServicesTest, NotSaidAfterAFailure) {
  AddStandardPhases(errors::StorageUnsatisfiable("no usable disk"));
  const auto run = Run();
  EXPECT_EQ(run.ExitCode(), 20);
  EXPECT_THAT(log_, ElementsAre("run preInstall", "run storage"));
}

TEST_F(NodeServicesTest, NotSaidWhenTheRunIsStopped) {
  int signal = 0;
  hooks_.stop_signal = [&signal] { return signal; };
  AddStandardPhases();
  static_cast<FakePhase&>(*phases_[2]).during = [&signal] { signal = 15; };  // SIGTERM during gpu
  const auto run = Run();
  EXPECT_EQ(run.status, RunStatus::kInterrupted);
  EXPECT_THAT(log_, ElementsAre("run preInstall", "run storage", "run gpu"));
}

TEST_F(NodeServicesTest, NotSaidWhenAScriptAsksForAReboot) {
  AddStandardPhases();
  static_cast<FakePhase&>(*phases_[0]).reboot = true;
  const auto run = Run();
  EXPECT_EQ(run.status, RunStatus::kRebooting);
  EXPECT_THAT(log_, ElementsAre("run preInstall"));
}

TEST_F(NodeServicesTest, AFailureAfterItDoesNotTakeItBack) {
  Add("storage");
  Add("join", true, errors::JoinFailed("kubeadm join: exit 1"));
  const auto run = Run();
  EXPECT_EQ(run.ExitCode(), 30);
  EXPECT_THAT(log_, ElementsAre("run storage", "may start (join)", "run join"));
}

TEST_F(NodeServicesTest, NeverSaidWhenNoPhaseNeedsThem) {
  Add("preInstall");
  Add("storage");
  Run();
  EXPECT_THAT(log_, ElementsAre("run preInstall", "run storage"));
}

TEST_F(NodeServicesTest, PhaseStartedNamesEachPhaseThatRuns) {
  std::vector<std::string> started;
  hooks_.phase_started = [&started](std::string_view phase) { started.emplace_back(phase); };
  AddStandardPhases(Ok(), "no cluster to join");
  Run();
  EXPECT_THAT(started, ElementsAre("preInstall", "storage", "gpu", "postInstall"));
}

// What bootstrap tells systemd: the status as each phase starts, READY=1 before the join.
TEST_F(NodeServicesTest, TheServiceManagerHearsEachPhaseAndReadyBeforeTheJoin) {
  testing::FakeServiceManager manager;
  RunProgress progress(manager, Redactor(), nullptr);
  progress.Attach(hooks_);
  AddStandardPhases();
  const auto run = Run();
  TellServiceManagerRunEnded(manager, run, *run.ExitCode());
  EXPECT_THAT(manager.said,
              ElementsAre("STATUS phase preInstall", "STATUS phase storage", "STATUS phase gpu",
                          "READY the node's data directories are in place; phase join next", "STATUS phase join",
                          "STATUS phase postInstall", "READY bootstrapped (run run-1)"));
}

// Within a phase, each command as it starts: what `systemctl status nodeboot` shows during a
// long script or an lvcreate. Masked, cut, and silent before the first phase.
TEST_F(NodeServicesTest, TheServiceManagerHearsEachCommandWithinItsPhase) {
  testing::FakeServiceManager manager;
  RunProgress progress(manager, Redactor({"s3cr3t-token"}), nullptr);
  progress.Attach(hooks_);
  const auto step = [&progress](const Command& command) { progress.StepStarted(command); };
  Command lvcreate;
  lvcreate.argv = {"lvcreate", "-n", "kubernetes", "vgpaas", "--token=s3cr3t-token"};
  step(lvcreate);  // before any phase: nothing
  hooks_.phase_started("storage");
  step(lvcreate);
  Command long_one;
  long_one.argv = {"echo", std::string(300, 'x')};
  step(long_one);
  ASSERT_EQ(manager.said.size(), 3u);
  EXPECT_EQ(manager.said[0], "STATUS phase storage");
  EXPECT_EQ(manager.said[1], "STATUS phase storage: lvcreate -n kubernetes vgpaas --token=***");
  EXPECT_EQ(manager.said[2].size(), std::string("STATUS phase storage: ").size() + 160);
  EXPECT_TRUE(manager.said[2].ends_with("..."));
}

// `nodeboot status` reads the progress file; it must name the same phase and command as the
// status line, and be gone once the run is over.
TEST_F(NodeServicesTest, TheProgressFileNamesTheSamePhaseAndCommandAsTheStatusLine) {
  nodeboot::testing::TempDir dir;
  const auto file = dir.path() / "run/nodeboot/progress.json";
  testing::FakeServiceManager manager;
  {
    ProgressFile progress_file(file, "run-1");
    RunProgress progress(manager, Redactor({"s3cr3t-token"}), &progress_file);
    progress.Attach(hooks_);
    Command lvcreate;
    lvcreate.argv = {"lvcreate", "-n", "kubernetes", "vgpaas", "--token=s3cr3t-token"};
    progress.StepStarted(lvcreate);  // before any phase: nothing, in either place
    EXPECT_FALSE(std::filesystem::exists(file));
    hooks_.phase_started("storage");
    progress.StepStarted(lvcreate);
    auto read = ReadProgress(file);
    ASSERT_TRUE(read && *read);
    EXPECT_EQ((*read)->run_id, "run-1");
    EXPECT_EQ((*read)->phase, "storage");
    EXPECT_EQ((*read)->step, "lvcreate -n kubernetes vgpaas --token=***");
    EXPECT_EQ(manager.said.back(), "STATUS phase storage: " + (*read)->step);

    progress.ReportStarted("run-1");
    read = ReadProgress(file);
    ASSERT_TRUE(read && *read);
    EXPECT_EQ((*read)->phase, "report");
    EXPECT_EQ((*read)->step, "");
    EXPECT_EQ(manager.said.back(), "STATUS report: sending the result of run run-1");
  }
  EXPECT_FALSE(std::filesystem::exists(file));
}

TEST_F(NodeServicesTest, AFailedRunEndsWithAStatusAndNoReady) {
  testing::FakeServiceManager manager;
  RunProgress progress(manager, Redactor(), nullptr);
  progress.Attach(hooks_);
  AddStandardPhases(errors::StorageUnsatisfiable("no usable disk"));
  const auto run = Run();
  TellServiceManagerRunEnded(manager, run, *run.ExitCode());
  EXPECT_THAT(manager.said,
              ElementsAre("STATUS phase preInstall", "STATUS phase storage",
                          "STATUS run run-1 failed with exit code 20: phase storage (NB-STORAGE-UNSATISFIABLE); "
                          "see `nodeboot status`"));
}

TEST_F(NodeServicesTest, ARunThatExitsZeroIsReadyAtTheEndEvenWithoutAPhaseThatNeedsServices) {
  testing::FakeServiceManager manager;
  RunProgress progress(manager, Redactor(), nullptr);
  progress.Attach(hooks_);
  auto& pre = Add("preInstall");
  pre.reboot = true;
  const auto run = Run();
  TellServiceManagerRunEnded(manager, run, *run.ExitCode());
  EXPECT_THAT(manager.said, ElementsAre("STATUS phase preInstall",
                                        "READY rebooting as a script asked; run run-1 goes on after the reboot"));
  testing::FakeServiceManager stopped;
  RunRecord interrupted = run;
  interrupted.status = RunStatus::kInterrupted;
  interrupted.stopped_by = 15;
  TellServiceManagerRunEnded(stopped, interrupted, 143);
  EXPECT_THAT(stopped.said, ElementsAre("STATUS run run-1 failed with exit code 143: stopped by SIGTERM; see "
                                        "`nodeboot status`"));
  EXPECT_THAT(log_, ElementsAre("run preInstall"));
}

}  // namespace
}  // namespace nodeboot::run
