// The MIG reset (agent/gpu/mig_reset.h): the pure decisions on observations, then the loop over
// FakeGpus (fake_gpus.h) with a fake clock: which commands run, in which order, and how it ends.
#include "agent/gpu/mig_reset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/gpu/fake_gpus.h"

namespace nodeboot::gpu {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using testing::FakeGpu;
using testing::FakeGpus;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::MigGpu;

GpuState State(int index, MigMode current, MigMode pending) {
  GpuState gpu;
  gpu.info = {index, fmt::format("GPU-{}", index), fmt::format("00000000:{:02X}:00.0", 0x36 + index), current, pending};
  return gpu;
}

GpuState WithInstances(GpuState gpu) {
  gpu.gpu_instances = {{gpu.info.index, 1, 9, "MIG 3g.20gb", "4:4"}, {gpu.info.index, 2, 9, "MIG 3g.20gb", "0:4"}};
  gpu.compute_instances = {{gpu.info.index, 1, 0, 2, "MIG 3g.20gb"}};
  return gpu;
}

Observation Of(std::vector<GpuState> gpus) { return Observation{"", std::move(gpus)}; }

std::optional<Step> Next(const Observation& observed, const History& history = {}) {
  auto next = NextStep(observed, history);
  EXPECT_TRUE(next) << next.error().message;
  return next ? *next : std::nullopt;
}

TEST(WhyNothingToReset, SaysWhyForEachKindOfNode) {
  EXPECT_EQ(WhyNothingToReset(Observation{"nvidia-smi is not on PATH (no NVIDIA driver installed)", {}}),
            "nvidia-smi is not on PATH (no NVIDIA driver installed)");
  EXPECT_EQ(WhyNothingToReset(Of({})), "nvidia-smi lists no GPU");
  EXPECT_EQ(WhyNothingToReset(Of({State(0, MigMode::kDisabled, MigMode::kDisabled),
                                  State(1, MigMode::kNotSupported, MigMode::kNotSupported)})),
            "no GPU has MIG state (GPU 0 MIG Disabled, GPU 1 has no MIG)");
  EXPECT_EQ(WhyNothingToReset(Of(
                {State(0, MigMode::kDisabled, MigMode::kDisabled), State(1, MigMode::kDisabled, MigMode::kEnabled)})),
            "");
}

TEST(NextStep, ComputeInstancesThenGpuInstancesThenTheMode) {
  GpuState gpu = WithInstances(State(0, MigMode::kEnabled, MigMode::kEnabled));
  auto step = Next(Of({gpu}));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->kind, StepKind::kDestroyComputeInstances);
  EXPECT_THAT(Argv(*step), ElementsAre("nvidia-smi", "mig", "-dci", "-i", "0"));
  gpu.compute_instances.clear();
  step = Next(Of({gpu}));
  EXPECT_EQ(step->kind, StepKind::kDestroyGpuInstances);
  EXPECT_EQ(step->why, "destroy the 2 GPU instances of GPU 0");
  gpu.gpu_instances.clear();
  step = Next(Of({gpu}));
  EXPECT_EQ(step->kind, StepKind::kDisableMig);
  EXPECT_THAT(Argv(*step), ElementsAre("nvidia-smi", "-i", "0", "-mig", "0"));
  gpu.info.pending = MigMode::kDisabled;
  step = Next(Of({gpu}));
  EXPECT_EQ(step->kind, StepKind::kResetGpu);
  EXPECT_THAT(Argv(*step), ElementsAre("nvidia-smi", "-r", "-i", "0"));
  gpu.info.current = MigMode::kDisabled;
  EXPECT_FALSE(Next(Of({gpu})));
}

TEST(NextStep, APendingEnableIsDisabledToo) {
  // A previous tenant's `-mig 1` that never took effect would at the next reset or boot.
  // That needs no idle GPU: a process on it does not stop it.
  GpuState gpu = State(0, MigMode::kDisabled, MigMode::kEnabled);
  gpu.processes = {{"GPU-0", 4711, "/usr/bin/python3"}};
  const auto step = Next(Of({gpu}));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->kind, StepKind::kDisableMig);
}

TEST(NextStep, OneGpuAfterTheOther) {
  const auto step = Next(Of({State(0, MigMode::kDisabled, MigMode::kDisabled),
                             WithInstances(State(1, MigMode::kEnabled, MigMode::kEnabled)),
                             WithInstances(State(2, MigMode::kEnabled, MigMode::kEnabled))}));
  ASSERT_TRUE(step);
  EXPECT_EQ(step->gpu, 1);
}

TEST(NextStep, AProcessOnAnyGpuWithMigStateStopsItBeforeTheFirstStep) {
  GpuState busy = WithInstances(State(1, MigMode::kEnabled, MigMode::kEnabled));
  busy.processes = {{"GPU-1", 4711, "/usr/bin/python3"}};
  const auto next = NextStep(Of({WithInstances(State(0, MigMode::kEnabled, MigMode::kEnabled)), busy}), {});
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, "NB-GPU-IN-USE");
  EXPECT_EQ(next.error().exit_code, 50);
  EXPECT_THAT(next.error().message, HasSubstr("GPU 1"));
  EXPECT_THAT(next.error().message, HasSubstr("pid 4711 (/usr/bin/python3)"));
  // A process on a GPU without MIG state is none of the reset's business.
  GpuState plain = State(0, MigMode::kDisabled, MigMode::kDisabled);
  plain.processes = {{"GPU-0", 1, "x"}};
  EXPECT_FALSE(Next(Of({plain})));
}

TEST(NextStep, AResetThePlatformRefusesNeedsAReboot) {
  const Observation pending = Of({State(0, MigMode::kEnabled, MigMode::kDisabled)});
  History history;
  history.pending_reason[0] = "Not Supported";
  history.reset_refused[0] = "Resetting GPU 00000000:36:00.0 is not supported.";
  const auto next = NextStep(pending, history);
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, "NB-GPU-REBOOT-REQUIRED");
  EXPECT_EQ(next.error().exit_code, 50);
  EXPECT_THAT(next.error().message, HasSubstr("Resetting GPU 00000000:36:00.0 is not supported."));
  EXPECT_THAT(next.error().message, HasSubstr("reboot the node"));
  History reset_done;
  reset_done.reset.insert(0);
  const auto again = NextStep(pending, reset_done);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "NB-GPU-REBOOT-REQUIRED");
  EXPECT_THAT(again.error().message, HasSubstr("the GPU was reset"));
}

TEST(Plan, DescribesEveryGpuWithStateAndItsCommands) {
  GpuState busy = State(1, MigMode::kEnabled, MigMode::kDisabled);
  busy.processes = {{"GPU-1", 4711, "/usr/bin/python3"}};
  const Observation observed = Of({WithInstances(State(0, MigMode::kEnabled, MigMode::kEnabled)), busy,
                                   State(2, MigMode::kDisabled, MigMode::kDisabled)});
  EXPECT_THAT(DescribeResetPlan(observed),
              ElementsAre("GPU 0 (GPU-0, 00000000:36:00.0): MIG Enabled (pending Enabled), 2 GPU "
                          "instances, 1 compute "
                          "instance, no compute process",
                          "  nvidia-smi mig -dci -i 0: destroy the 1 compute instance of GPU 0",
                          "  nvidia-smi mig -dgi -i 0: destroy the 2 GPU instances of GPU 0",
                          "  nvidia-smi -i 0 -mig 0: disable MIG mode on GPU 0",
                          "  nvidia-smi -r -i 0: reset GPU 0 if its MIG disable stays pending "
                          "(only when no process "
                          "uses it)",
                          "GPU 1 (GPU-1, 00000000:37:00.0): MIG Enabled (pending Disabled), 0 GPU "
                          "instances, 0 compute "
                          "instances, used by pid 4711 (/usr/bin/python3)",
                          "  nvidia-smi -r -i 1: reset GPU 1 to apply its pending MIG disable "
                          "(only when no process "
                          "uses it)"));
  const auto plan = PlanReset(observed);
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_TRUE(plan[3].conditional);
  EXPECT_FALSE(plan[4].conditional);
}

TEST(Verify, NamesWhatIsLeft) {
  EXPECT_TRUE(VerifyCleared(Of({State(0, MigMode::kDisabled, MigMode::kDisabled)})));
  const auto left = VerifyCleared(Of({WithInstances(State(0, MigMode::kEnabled, MigMode::kDisabled))}));
  ASSERT_FALSE(left);
  EXPECT_EQ(left.error().code, "NB-GPU-MIG-RESET-FAILED");
  EXPECT_THAT(left.error().message, HasSubstr("GPU 0 (GPU-0, 00000000:36:00.0): MIG Enabled (pending Disabled)"));
}

// The loop over FakeGpus.
class ResetLoop : public ::testing::Test {
 protected:
  FakeGpus fake;
  std::vector<std::string> notes;
  std::vector<std::string> printed;

  ResetOutcome Reset(seconds total = seconds(900), bool dry_run = false) {
    ResetContext context{fake, total};
    context.now = [this] { return fake.Now(); };
    context.note = [this](const std::string& line) { notes.push_back(line); };
    context.print = [this](const std::string& line) { printed.push_back(line); };
    context.dry_run = dry_run;
    return ResetMig(context);
  }
};

TEST_F(ResetLoop, ACleanNodeRunsOneQueryAndIsSkipped) {
  fake.gpus = {FakeGpu{}, FakeGpu{}};
  fake.gpus[1].index = 1;
  const auto outcome = Reset();
  EXPECT_TRUE(outcome.status);
  EXPECT_EQ(outcome.skipped, "no GPU has MIG state (GPU 0 MIG Disabled, GPU 1 MIG Disabled)");
  EXPECT_THAT(fake.commands, ElementsAre("nvidia-smi --query-gpu=index,uuid,pci.bus_id,mig.mode.current,"
                                         "mig.mode.pending --format=csv,noheader"));
}

TEST_F(ResetLoop, NoNvidiaSmiNoDriverOrNoGpuIsSkippedWithTheReason) {
  fake.installed = false;
  EXPECT_EQ(Reset().skipped, "nvidia-smi is not on PATH (no NVIDIA driver installed)");
  fake.installed = true;
  fake.query_exit = 9;
  fake.gpus = {FakeGpu{}};
  auto outcome = Reset();
  EXPECT_TRUE(outcome.status);
  EXPECT_THAT(outcome.skipped, HasSubstr("exit 9: NVIDIA-SMI has failed because it couldn't communicate"));
  fake.query_exit = 0;
  fake.gpus.clear();
  outcome = Reset();
  EXPECT_THAT(outcome.skipped, HasSubstr("exit 6: No devices were found"));
}

TEST_F(ResetLoop, ClearsInstancesThenTheModeAndVerifies) {
  fake.gpus = {MigGpu(0)};
  const auto outcome = Reset();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_EQ(outcome.skipped, "");
  EXPECT_THAT(fake.Changes(),
              ElementsAre("nvidia-smi mig -dci -i 0", "nvidia-smi mig -dgi -i 0", "nvidia-smi -i 0 -mig 0"));
  EXPECT_EQ(fake.gpus[0].current, "Disabled");
  EXPECT_EQ(fake.gpus[0].pending, "Disabled");
  EXPECT_THAT(notes, ::testing::Contains("nvidia-smi stdout: Disabled MIG Mode for GPU 00000000:36:00.0"));
  // A second run is one read.
  fake.commands.clear();
  EXPECT_EQ(Reset().skipped, "no GPU has MIG state (GPU 0 MIG Disabled)");
  EXPECT_EQ(fake.commands.size(), 1u);
}

TEST_F(ResetLoop, APendingDisableIsAppliedByAResetWhenIdle) {
  fake.gpus = {MigGpu(0)};
  fake.gpus[0].disable = "pending:Timeout";
  const auto outcome = Reset();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(fake.Changes(), ElementsAre("nvidia-smi mig -dci -i 0", "nvidia-smi mig -dgi -i 0",
                                          "nvidia-smi -i 0 -mig 0", "nvidia-smi -r -i 0"));
  EXPECT_EQ(fake.gpus[0].current, "Disabled");
}

TEST_F(ResetLoop, AResetThePlatformRefusesNeedsAReboot) {
  fake.gpus = {MigGpu(0)};
  fake.gpus[0].disable = "pending:Not Supported";
  fake.gpus[0].reset = "not-supported";
  const auto outcome = Reset();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-REBOOT-REQUIRED");
  EXPECT_EQ(outcome.status.error().exit_code, 50);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-smi: \"Not Supported\""));
  EXPECT_EQ(fake.Changes().back(), "nvidia-smi -r -i 0");  // tried once, not again
  EXPECT_EQ(std::count(fake.commands.begin(), fake.commands.end(), "nvidia-smi -r -i 0"), 1);
}

TEST_F(ResetLoop, AGpuInUseIsNotTouched) {
  fake.gpus = {MigGpu(0)};
  fake.gpus[0].processes = {{4711, "/usr/bin/python3"}};
  const auto outcome = Reset();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-IN-USE");
  EXPECT_THAT(outcome.status.error().message, HasSubstr("pid 4711 (/usr/bin/python3)"));
  EXPECT_THAT(fake.Changes(), IsEmpty());
}

TEST_F(ResetLoop, AResetRefusedForAnotherDriverClientSaysSo) {
  fake.gpus = {MigGpu(0)};
  fake.gpus[0].disable = "pending:In use by another client";
  fake.gpus[0].reset = "busy";
  const auto outcome = Reset();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-IN-USE");
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-persistenced"));
  EXPECT_THAT(outcome.status.error().message, HasSubstr("because it's being used by some other process"));
}

TEST_F(ResetLoop, SeveralGpusInIndexOrder) {
  fake.gpus = {MigGpu(0), FakeGpu{}, MigGpu(2)};
  fake.gpus[1].index = 1;
  fake.gpus[1].mig = false;
  fake.gpus[2].disable = "pending:Timeout";
  const auto outcome = Reset();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(fake.Changes(), ElementsAre("nvidia-smi mig -dci -i 0", "nvidia-smi mig -dgi -i 0",
                                          "nvidia-smi -i 0 -mig 0", "nvidia-smi mig -dci -i 2",
                                          "nvidia-smi mig -dgi -i 2", "nvidia-smi -i 2 -mig 0", "nvidia-smi -r -i 2"));
}

TEST_F(ResetLoop, ARunKilledMidwayIsCompletedFromWhatIsLeft) {
  fake.gpus = {MigGpu(0)};
  fake.gpus[0].cis.clear();  // the killed run got as far as -dci
  ASSERT_TRUE(Reset().status);
  EXPECT_THAT(fake.Changes(), ElementsAre("nvidia-smi mig -dgi -i 0", "nvidia-smi -i 0 -mig 0"));
}

TEST_F(ResetLoop, EveryCallIsBoundedAndTheWholeResetByItsTimeout) {
  fake.gpus = {MigGpu(0)};
  fake.per_command = seconds(30);
  const auto outcome = Reset(seconds(200));
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-MIG-RESET-TIMEOUT");
  EXPECT_EQ(outcome.status.error().exit_code, 51);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("gpu.resetTimeoutSeconds (200 s)"));
  // Reads get at most 60 s, changes 300 s, and none more than what is left of the 200 s: the
  // four reads took 120 s.
  EXPECT_EQ(fake.timeouts.at("nvidia-smi mig -lgi -i 0"), seconds(60));
  EXPECT_EQ(fake.timeouts.at("nvidia-smi mig -dci -i 0"), seconds(80));
}

TEST_F(ResetLoop, AHangingCallEndsAtTheDeadlineWithExit51) {
  fake.gpus = {MigGpu(0)};
  fake.times_out = "nvidia-smi mig -lgi -i 0";
  auto outcome = Reset(seconds(20));
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().exit_code, 51);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-smi mig -lgi -i 0 was still running"));
  // Within a longer budget it is that one call's own limit: exit 50, naming the call.
  outcome = Reset(seconds(900));
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-MIG-RESET-FAILED");
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-smi mig -lgi -i 0: no answer within 60 s"));
}

TEST_F(ResetLoop, DryRunPrintsThePlanAndChangesNothing) {
  fake.gpus = {MigGpu(0)};
  std::vector<std::string> would;
  auto dry = MakeDryRunCommandRunner(fake, [&would](const std::string& line) { would.push_back(line); });
  ResetContext context{*dry, seconds(900)};
  context.dry_run = true;
  context.print = [this](const std::string& line) { printed.push_back(line); };
  const auto outcome = ResetMig(context);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(would, ElementsAre("would run: nvidia-smi mig -dci -i 0", "would run: nvidia-smi mig -dgi -i 0",
                                 "would run: nvidia-smi -i 0 -mig 0"));
  ASSERT_FALSE(printed.empty());
  EXPECT_THAT(printed.front(), HasSubstr("gpu: GPU 0 (GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0, 00000000:36:00.0)"));
  EXPECT_THAT(fake.Changes(), IsEmpty());
  EXPECT_EQ(fake.gpus[0].gis.size(), 2u);
}

}  // namespace
}  // namespace nodeboot::gpu
