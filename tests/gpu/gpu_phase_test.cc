// The gpu phase (agent/gpu/gpu_phase.h) as the engine sees it: its name and kind, when it has
// nothing to do, how it says `skipped` from its own run, and its errors' codes.
#include "agent/gpu/gpu_phase.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/gpu/fake_gpus.h"
#include "tests/support/no_host_access.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::gpu {
namespace {

using testing::FakeGpu;
using testing::FakeGpus;
using ::testing::HasSubstr;
using testing::MigGpu;

class GpuPhaseTest : public ::testing::Test {
 protected:
  nodeboot::testing::TempDir root;
  Paths paths{root.path().string()};
  std::unique_ptr<HostFiles> files = MakeRealHostFiles(paths);
  config::NodeConfig config;
  run::Identity identity{"worker-1", "i-0abc", "boot", "run"};
  FakeGpus fake;
  nodeboot::testing::NoHttp http;
  nodeboot::testing::NoProbe probe;

  run::PhaseOutcome Run() {
    GpuEnvironment environment;
    environment.now = [this] { return fake.Now(); };
    auto phase = MakeGpuPhase(std::move(environment));
    run::PhaseContext context{config, identity, paths, fake, *files, http, probe, false, false, {}};
    return phase->Run(context);
  }
};

TEST_F(GpuPhaseTest, IsTheGpuPhaseBeforeTheNodesServices) {
  const auto phase = MakeGpuPhase();
  EXPECT_EQ(phase->name(), "gpu");
  EXPECT_FALSE(phase->is_script());
  EXPECT_FALSE(phase->needs_node_services());
  EXPECT_EQ(phase->NothingToDo(config), "");
  config.gpu.mig_reset = config::MigReset::kNever;
  EXPECT_EQ(phase->NothingToDo(config), "gpu.migReset is never");
}

TEST_F(GpuPhaseTest, ACpuOnlyNodeSaysSkippedFromItsOwnRun) {
  fake.installed = false;
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status);
  EXPECT_EQ(outcome.skipped, "nvidia-smi is not on PATH (no NVIDIA driver installed)");
}

TEST_F(GpuPhaseTest, AResetIsASuccessThatKeepsItsSteps) {
  fake.gpus = {MigGpu(0)};
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_EQ(outcome.skipped, "");
  EXPECT_THAT(outcome.output,
              ::testing::Contains("destroy the 2 compute instances of GPU 0: nvidia-smi mig -dci -i 0"));
}

TEST_F(GpuPhaseTest, FailuresCarryTheirCodeAndExit) {
  fake.gpus = {MigGpu(0)};
  fake.gpus[0].processes = {{4711, "/usr/bin/python3"}};
  const auto outcome = Run();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-IN-USE");
  EXPECT_EQ(outcome.status.error().exit_code, 50);
  EXPECT_EQ(outcome.skipped, "");
  // gpu.resetTimeoutSeconds bounds the whole phase.
  fake.gpus[0].processes.clear();
  fake.per_command = std::chrono::milliseconds(400);
  config.gpu.reset_timeout_seconds = 1;
  const auto late = Run();
  ASSERT_FALSE(late.status);
  EXPECT_EQ(late.status.error().code, "NB-GPU-MIG-RESET-TIMEOUT");
  EXPECT_EQ(late.status.error().exit_code, 51);
}

}  // namespace
}  // namespace nodeboot::gpu
