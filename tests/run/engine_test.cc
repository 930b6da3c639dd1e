// The engine's decisions on values: fake phases that record whether they ran.
#include "agent/run/engine.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/run/fake_phases.h"

namespace nodeboot::run {
namespace {

using ::testing::ElementsAre;
using testing::FakePhase;
using ::testing::HasSubstr;

class EngineTest : public testing::EngineFixture {
 protected:
  FakePhase& Add(std::string name, bool script, Status result = Ok(), std::string nothing = "") {
    return AddPhase(std::move(name),
                    {.script = script, .result = std::move(result), .nothing_to_do = std::move(nothing)});
  }
  std::vector<std::string> Statuses(const RunRecord& run) {
    std::vector<std::string> statuses;
    for (const auto& phase : run.phases) statuses.emplace_back(ToString(phase.status));
    return statuses;
  }
};

// A phase that finds nothing to do when it looks (a CPU-only node's gpu phase) is recorded as
// skipped with its reason, not as succeeded, and does not replace its last real outcome.
TEST_F(EngineTest, APhaseCanSaySkippedFromItsOwnRun) {
  auto& gpu = Add("gpu", false);
  Add("join", false);
  gpu.skipped = "no NVIDIA GPU (nvidia-smi is not installed)";
  auto run = Run();
  EXPECT_EQ(gpu.runs, 1);
  EXPECT_THAT(Statuses(run), ElementsAre("skipped", "succeeded"));
  EXPECT_EQ(run.phases[0].reason, "no NVIDIA GPU (nvidia-smi is not installed)");
  EXPECT_EQ(run.status, RunStatus::kSucceeded);
  EXPECT_FALSE(state_.phases.contains("gpu"));
  // After a real reset, a later look that finds nothing keeps the record of that reset.
  gpu.skipped.clear();
  ASSERT_EQ(Statuses(Run({{}, {}, /*repair=*/true, false})).front(), "succeeded");
  gpu.skipped = "no GPU has MIG state";
  run = Run({{}, {}, /*repair=*/true, false});
  EXPECT_EQ(ToString(run.phases[0].status), "skipped");
  EXPECT_EQ(state_.phases.at("gpu").status, PhaseStatus::kSucceeded);
}

TEST_F(EngineTest, RunsEveryPhaseInOrderAndRecordsIt) {
  auto& pre = Add("preInstall", true);
  auto& storage = Add("storage", false);
  const auto run = Run();
  EXPECT_EQ(pre.runs, 1);
  EXPECT_EQ(storage.runs, 1);
  EXPECT_EQ(run.status, RunStatus::kSucceeded);
  EXPECT_EQ(run.ExitCode(), 0);
  EXPECT_THAT(Statuses(run), ElementsAre("succeeded", "succeeded"));
  EXPECT_TRUE(state_.Succeeded("preInstall"));
  EXPECT_EQ(run.phases[0].run_id, "run-1");
}

TEST_F(EngineTest, AFailureStopsTheRunWithItsExitCode) {
  Add("preInstall", true, errors::PreInstallFailed("boom"));
  auto& storage = Add("storage", false);
  const auto run = Run();
  EXPECT_EQ(storage.runs, 0);
  EXPECT_THAT(Statuses(run), ElementsAre("failed", "not-run"));
  EXPECT_EQ(run.ExitCode(), 10);
  ASSERT_NE(run.FailedPhase(), nullptr);
  EXPECT_EQ(run.FailedPhase()->name, "preInstall");
  EXPECT_EQ(run.FailedPhase()->error_code, "NB-PREINSTALL-FAILED");
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
  Add("preInstall", true, errors::PreInstallFailed("boom"));
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
  const auto run =
      Run({.only = {"preInstall", "join"}, .skip = {"preInstall"}, .repair = false, .rerun_scripts = false});
  EXPECT_EQ(a.runs + b.runs + c.runs, 0);
  EXPECT_EQ(run.phases[0].reason, "skipped by --skip");
  EXPECT_EQ(run.phases[1].reason, "not selected (--only)");
  EXPECT_EQ(run.phases[2].reason, "no cluster to join");
  EXPECT_EQ(run.status, RunStatus::kSucceeded);
}

// Issue 15.1: each phase's start and end are saved as they happen.
TEST_F(EngineTest, EachPhaseIsCheckpointedWhenItStartsAndWhenItEnds) {
  std::vector<std::string> saved;
  hooks_.checkpoint = [&saved](const State& state) {
    saved.push_back(fmt::format("{}:{}:{}", state.last_run->phases.back().name,
                                ToString(state.last_run->phases.back().status), ToString(state.last_run->status)));
    return Ok();
  };
  auto& pre = Add("preInstall", true);
  Add("storage", false);
  pre.during = [&] { EXPECT_EQ(state_.phases.at("preInstall").status, PhaseStatus::kRunning); };
  Run();
  EXPECT_THAT(saved, ElementsAre("preInstall:running:running", "preInstall:succeeded:running",
                                 "storage:running:running", "storage:succeeded:running"));
}

TEST_F(EngineTest, APhaseWhoseStartCannotBeRecordedDoesNotRun) {
  hooks_.checkpoint = [](const State&) -> Status {
    return Error::Internal("write state.json: No space left on device");
  };
  auto& pre = Add("preInstall", true);
  const auto run = Run();
  EXPECT_EQ(pre.runs, 0);
  EXPECT_THAT(Statuses(run), ElementsAre("failed"));
  EXPECT_THAT(run.phases[0].error_message, HasSubstr("No space left"));
  EXPECT_EQ(run.ExitCode(), 1);
  EXPECT_FALSE(state_.phases.contains("preInstall"));
}

// Issue 15.2: a script that a dead run left running is not run again blindly; other phases are.
TEST_F(EngineTest, AScriptLeftInterruptedIsReportedNotRerunUnlessAsked) {
  auto& pre = Add("preInstall", true);
  auto& storage = Add("storage", false);
  PhaseRecord running;
  running.status = PhaseStatus::kRunning;
  running.started_at = "T0";
  running.run_id = "r0";
  running.name = "preInstall";
  state_.phases["preInstall"] = running;
  running.name = "storage";
  state_.phases["storage"] = running;
  state_.last_run.emplace();
  state_.last_run->run_id = "r0";
  ASSERT_TRUE(MarkDeadRunInterrupted(state_));
  EXPECT_EQ(state_.last_run->status, RunStatus::kInterrupted);
  EXPECT_EQ(state_.last_run->ExitCode(), std::nullopt);
  const auto plain = Run();
  EXPECT_EQ(pre.runs, 0);
  EXPECT_THAT(Statuses(plain), ElementsAre("failed", "not-run"));
  EXPECT_EQ(plain.phases[0].error_code, "NB-X-INTERRUPTED");
  EXPECT_THAT(plain.phases[0].error_message, HasSubstr("--rerun-scripts"));
  EXPECT_EQ(plain.ExitCode(), 10);
  Run();  // nothing loops: the same answer again
  EXPECT_EQ(pre.runs, 0);
  Selection rerun;
  rerun.rerun_scripts = true;
  Run(rerun);
  EXPECT_EQ(pre.runs, 1);
  EXPECT_EQ(storage.runs, 1);  // an interrupted non-script phase runs again (it re-checks)
}

TEST_F(EngineTest, AStopSignalInterruptsThePhaseAndNothingStartsAfterIt) {
  int signal = 0;
  hooks_.stop_signal = [&signal] { return signal; };
  auto& pre = Add("preInstall", true, Error{"NB-X-FAILED", "stopped", 10});
  auto& storage = Add("storage", false);
  pre.during = [&signal] { signal = 15; };
  const auto run = Run();
  EXPECT_EQ(storage.runs, 0);
  EXPECT_THAT(Statuses(run), ElementsAre("interrupted", "not-run"));
  EXPECT_EQ(run.status, RunStatus::kInterrupted);
  EXPECT_EQ(run.ExitCode(), 143);
  EXPECT_EQ(state_.phases.at("preInstall").status, PhaseStatus::kInterrupted);
}

TEST_F(EngineTest, ARebootRequestEndsTheRunAndTheNextRunGoesOn) {
  auto& pre = Add("preInstall", true);
  auto& storage = Add("storage", false);
  pre.reboot = true;
  const auto first = Run();
  EXPECT_THAT(Statuses(first), ElementsAre("succeeded", "not-run"));
  EXPECT_EQ(first.status, RunStatus::kRebooting);
  EXPECT_EQ(first.ExitCode(), 0);
  EXPECT_TRUE(first.phases[0].reboot_requested);
  const auto second = Run();
  EXPECT_THAT(Statuses(second), ElementsAre("skipped", "succeeded"));
  EXPECT_EQ(pre.runs, 1);
  EXPECT_EQ(storage.runs, 1);
}

TEST_F(EngineTest, RecordedTextPassesTheRedactorWhereItIsMade) {
  hooks_.redactor = Redactor({"line two"});
  Add("preInstall", true, Error{"NB-X-FAILED", "it said line two", 10});
  const auto run = Run();
  EXPECT_THAT(run.phases[0].output, ElementsAre("line one", "***"));
  EXPECT_EQ(run.phases[0].error_message, "it said ***");
}

}  // namespace
}  // namespace nodeboot::run
