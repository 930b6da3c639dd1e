// The engine's decisions on values: fake phases that record whether they ran.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/run/engine.h"

namespace nodeboot::run {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakePhase : public Phase {
 public:
  FakePhase(std::string name, bool script, Status result = Ok(), std::string nothing = "")
      : name_(std::move(name)), script_(script), result_(std::move(result)), nothing_(std::move(nothing)) {}
  std::string_view name() const override { return name_; }
  bool is_script() const override { return script_; }
  std::string NothingToDo(const config::NodeConfig&) const override { return nothing_; }
  PhaseOutcome Run(PhaseContext&) override {
    ++runs;
    return {result_, {"line one", "line two"}};
  }
  int runs = 0;

 private:
  std::string name_;
  bool script_;
  Status result_;
  std::string nothing_;
};

class NullRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command&) override { return CommandResult{}; }
};

class EngineTest : public ::testing::Test {
 protected:
  FakePhase& Add(std::string name, bool script, Status result = Ok(), std::string nothing = "") {
    phases_.push_back(std::make_unique<FakePhase>(std::move(name), script, std::move(result), std::move(nothing)));
    return static_cast<FakePhase&>(*phases_.back());
  }
  RunRecord Run(const Selection& selection = {}) {
    PhaseContext context{config_, identity_, paths_, runner_, *files_, selection.repair, false};
    return RunPhases(phases_, context, selection, state_);
  }
  std::vector<std::string> Statuses(const RunRecord& run) {
    std::vector<std::string> statuses;
    for (const auto& phase : run.phases) statuses.push_back(phase.status);
    return statuses;
  }

  config::NodeConfig config_;
  Identity identity_{"w1", "i-1", "boot", "run-1"};
  Paths paths_{"/nonexistent"};
  NullRunner runner_;
  std::unique_ptr<HostFiles> files_ = MakeDryRunHostFiles(paths_, [](const std::string&) {});
  std::vector<std::unique_ptr<Phase>> phases_;
  State state_;
};

TEST_F(EngineTest, RunsEveryPhaseInOrderAndRecordsIt) {
  auto& pre = Add("preInstall", true);
  auto& storage = Add("storage", false);
  const auto run = Run();
  EXPECT_EQ(pre.runs, 1);
  EXPECT_EQ(storage.runs, 1);
  EXPECT_EQ(run.status, "succeeded");
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_THAT(Statuses(run), ElementsAre("succeeded", "succeeded"));
  EXPECT_TRUE(state_.Succeeded("preInstall"));
  EXPECT_EQ(run.phases[0].run_id, "run-1");
}

TEST_F(EngineTest, AFailureStopsTheRunWithItsExitCode) {
  Add("preInstall", true, Error{"NB-PREINSTALL-FAILED", "boom", 10});
  auto& storage = Add("storage", false);
  const auto run = Run();
  EXPECT_EQ(storage.runs, 0);
  EXPECT_THAT(Statuses(run), ElementsAre("failed", "not-run"));
  EXPECT_EQ(run.exit_code, 10);
  EXPECT_EQ(run.failed_phase, "preInstall");
  EXPECT_EQ(run.error_code, "NB-PREINSTALL-FAILED");
  EXPECT_THAT(run.phases[0].output, ElementsAre("line one", "line two"));
  EXPECT_EQ(run.phases[1].reason, "phase preInstall failed");
}

TEST_F(EngineTest, SucceededPhasesAreSkippedUnlessRepairOrRerunScripts) {
  auto& pre = Add("preInstall", true);
  auto& storage = Add("storage", false);
  Run();
  const auto plain = Run();
  EXPECT_THAT(Statuses(plain), ElementsAre("skipped", "skipped"));
  EXPECT_THAT(plain.phases[1].reason, HasSubstr("--repair re-checks it"));
  Selection repair;
  repair.repair = true;
  Run(repair);
  EXPECT_EQ(pre.runs, 1);  // repair does not repeat a script
  EXPECT_EQ(storage.runs, 2);
  Selection rerun;
  rerun.rerun_scripts = true;
  Run(rerun);
  EXPECT_EQ(pre.runs, 2);
  EXPECT_EQ(storage.runs, 2);
}

TEST_F(EngineTest, FailedPhasesRunAgain) {
  Add("preInstall", true, Error{"NB-PREINSTALL-FAILED", "boom", 10});
  Run();
  phases_.clear();
  auto& pre = Add("preInstall", true);
  Run();
  EXPECT_EQ(pre.runs, 1);
}

TEST_F(EngineTest, OnlySkipAndNothingToDo) {
  auto& a = Add("preInstall", true);
  auto& b = Add("storage", false);
  auto& c = Add("join", false, Ok(), "no cluster to join");
  const auto run = Run({.only = {"preInstall", "join"}, .skip = {"preInstall"}, .repair = false, .rerun_scripts = false});
  EXPECT_EQ(a.runs + b.runs + c.runs, 0);
  EXPECT_EQ(run.phases[0].reason, "skipped by --skip");
  EXPECT_EQ(run.phases[1].reason, "not selected (--only)");
  EXPECT_EQ(run.phases[2].reason, "no cluster to join");
  EXPECT_EQ(run.status, "succeeded");
}

}  // namespace
}  // namespace nodeboot::run
