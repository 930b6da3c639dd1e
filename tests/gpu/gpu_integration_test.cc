// The gpu phase with the real command runner (processes, timeouts, process-group kills, the
// command log) and the fake nvidia-smi (tests/gpu/fake-bin) on PATH, one test per case of
// issue 17. The phase is not registered in the binary yet, so this harness drives it as the
// engine does: MakeGpuPhase()->Run(context), with the runner `run` builds (real, logged; the
// dry-run runner over them for --dry-run).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/base/command_runner.h"
#include "agent/base/host_files.h"
#include "agent/base/logged_command_runner.h"
#include "agent/gpu/gpu_phase.h"
#include "tests/support/no_host_access.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::gpu {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kFakeBin = std::string(NODEBOOT_SOURCE_DIR) + "/tests/gpu/fake-bin";

json MigGpu(int index) {
  return {{"index", index},
          {"uuid", "GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b" + std::to_string(index)},
          {"bus", fmt::format("00000000:{:02X}:00.0", 0x36 + index)},
          {"current", "Enabled"},
          {"pending", "Enabled"},
          {"gis", json::array({{{"id", 1}, {"profile_id", 9}, {"profile", "3g.20gb"}, {"placement", "4:4"}},
                               {{"id", 2}, {"profile_id", 9}, {"profile", "3g.20gb"}, {"placement", "0:4"}}})},
          {"cis", json::array({{{"gi", 1}, {"id", 0}, {"profile_id", 2}, {"profile", "3g.20gb"}},
                               {{"gi", 2}, {"id", 0}, {"profile_id", 2}, {"profile", "3g.20gb"}}})},
          {"processes", json::array()},
          {"disable", "now"},
          {"reset", "ok"}};
}

json PlainGpu(int index, bool mig) {
  json gpu = MigGpu(index);
  gpu["mig"] = mig;
  gpu["current"] = gpu["pending"] = "Disabled";
  gpu["gis"] = gpu["cis"] = json::array();
  return gpu;
}

class GpuIntegration : public ::testing::Test {
 protected:
  nodeboot::testing::TempDir dir;
  nodeboot::testing::TempDir root;
  Paths paths{root.path().string()};
  std::unique_ptr<HostFiles> files = MakeRealHostFiles(paths);
  config::NodeConfig config;
  run::Identity identity{"worker-1", "i-0abc", "boot", "run"};
  std::string saved_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  std::vector<std::string> printed;

  void SetUp() override {
    ::setenv("PATH", (kFakeBin + ":" + saved_path).c_str(), 1);
    ::setenv("NB_FAKE_GPU_DIR", dir.path().c_str(), 1);
  }
  void TearDown() override { ::setenv("PATH", saved_path.c_str(), 1); }

  void Given(json state) { dir.Write("state.json", state.dump()); }
  json State() const { return json::parse(nodeboot::testing::Slurp(dir.path() / "state.json")); }
  std::vector<std::string> Commands() const {
    std::vector<std::string> lines;
    std::ifstream in(dir.path() / "commands");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::vector<std::string> Changes() const {
    std::vector<std::string> changes;
    for (const auto& line : Commands()) {
      if (line.find("--query") == std::string::npos && line.find(" -l") == std::string::npos) changes.push_back(line);
    }
    return changes;
  }

  run::PhaseOutcome Run(GpuEnvironment environment = {}, bool dry_run = false) {
    auto real = MakeRealCommandRunner();
    auto logged = MakeLoggedCommandRunner(*real);
    auto dry = MakeDryRunCommandRunner(*logged, [this](const std::string& line) { printed.push_back(line); });
    environment.print = [this](const std::string& line) { printed.push_back(line); };
    auto phase = MakeGpuPhase(std::move(environment));
    nodeboot::testing::NoHttp http;
    nodeboot::testing::NoProbe probe;
    run::PhaseContext context{config, identity, paths, dry_run ? *dry : *logged, *files, http, probe,
                              false,  dry_run,  {}};
    return phase->Run(context);
  }
};

const std::string kQueryGpus =
    "nvidia-smi --query-gpu=index,uuid,pci.bus_id,mig.mode.current,mig.mode.pending "
    "--format=csv,noheader";

TEST_F(GpuIntegration, NoNvidiaSmiOnPathIsSkipped) {
  ::setenv("PATH", dir.path().c_str(), 1);
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status);
  EXPECT_EQ(outcome.skipped, "nvidia-smi is not on PATH (no NVIDIA driver installed)");
}

TEST_F(GpuIntegration, NoDriverLoadedIsSkipped) {
  Given({{"driver", "unloaded"}, {"gpus", json::array()}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status);
  EXPECT_THAT(outcome.skipped, HasSubstr("exit 9: NVIDIA-SMI has failed"));
}

TEST_F(GpuIntegration, NoGpuWithMigStateIsSkippedAfterOneRead) {
  Given({{"gpus", {PlainGpu(0, true), PlainGpu(1, false)}}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status);
  EXPECT_EQ(outcome.skipped, "no GPU has MIG state (GPU 0 MIG Disabled, GPU 1 has no MIG)");
  EXPECT_THAT(Commands(), ElementsAre(kQueryGpus));
}

TEST_F(GpuIntegration, MigEnabledWithInstancesIsClearedAndVerified) {
  Given({{"gpus", {MigGpu(0)}}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_EQ(outcome.skipped, "");
  EXPECT_THAT(Changes(), ElementsAre("nvidia-smi mig -dci -i 0", "nvidia-smi mig -dgi -i 0", "nvidia-smi -i 0 -mig 0"));
  const json gpu = State()["gpus"][0];
  EXPECT_EQ(gpu["current"], "Disabled");
  EXPECT_EQ(gpu["pending"], "Disabled");
  EXPECT_THAT(gpu["gis"], IsEmpty());
  EXPECT_THAT(outcome.output,
              ::testing::Contains("nvidia-smi stdout: Successfully destroyed GPU instance ID  1 from GPU  0"));
  // The re-run on the clean GPU only reads, and says why it had nothing to do.
  fs::remove(dir.path() / "commands");
  const auto again = Run();
  ASSERT_TRUE(again.status);
  EXPECT_EQ(again.skipped, "no GPU has MIG state (GPU 0 MIG Disabled)");
  EXPECT_THAT(Commands(), ElementsAre(kQueryGpus));
}

TEST_F(GpuIntegration, APendingEnableIsCancelled) {
  json gpu = PlainGpu(0, true);
  gpu["pending"] = "Enabled";
  Given({{"gpus", {gpu}}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(Changes(), ElementsAre("nvidia-smi -i 0 -mig 0"));
  EXPECT_EQ(State()["gpus"][0]["pending"], "Disabled");
}

TEST_F(GpuIntegration, APendingDisableIsAppliedByResettingTheIdleGpu) {
  json gpu = MigGpu(0);
  gpu["disable"] = "pending:In use by another client";
  Given({{"gpus", {gpu}}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(Changes(), ElementsAre("nvidia-smi mig -dci -i 0", "nvidia-smi mig -dgi -i 0", "nvidia-smi -i 0 -mig 0",
                                     "nvidia-smi -r -i 0"));
  EXPECT_EQ(State()["gpus"][0]["current"], "Disabled");
}

TEST_F(GpuIntegration, AGpuInUseIsRefusedNamingTheProcesses) {
  json gpu = MigGpu(0);
  gpu["processes"] = {{{"pid", 4711}, {"name", "/usr/bin/python3"}}};
  Given({{"gpus", {gpu}}});
  const auto outcome = Run();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-IN-USE");
  EXPECT_EQ(outcome.status.error().exit_code, 50);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("pid 4711 (/usr/bin/python3)"));
  EXPECT_THAT(Changes(), IsEmpty());
}

TEST_F(GpuIntegration, AResetRefusedForAnotherDriverClientIsInUse) {
  json gpu = MigGpu(0);
  gpu["disable"] = "pending:In use by another client";
  gpu["reset"] = "busy";
  Given({{"gpus", {gpu}}});
  const auto outcome = Run();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-IN-USE");
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-smi -r -i 0"));
  EXPECT_THAT(outcome.status.error().message, HasSubstr("another driver client"));
}

TEST_F(GpuIntegration, AResetNotSupportedNeedsAReboot) {
  json gpu = MigGpu(0);
  gpu["disable"] = "pending:Not Supported";
  gpu["reset"] = "not-supported";
  Given({{"gpus", {gpu}}});
  const auto outcome = Run();
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-REBOOT-REQUIRED");
  EXPECT_EQ(outcome.status.error().exit_code, 50);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("Resetting GPU 00000000:36:00.0 is not supported."));
  EXPECT_EQ(State()["gpus"][0]["pending"], "Disabled");  // the disable waits for the boot
}

TEST_F(GpuIntegration, SeveralGpusAreClearedOneAfterTheOther) {
  json second = MigGpu(1);
  second["disable"] = "pending:Timeout";
  Given({{"gpus", {MigGpu(0), second, PlainGpu(2, true)}}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(Changes(), ElementsAre("nvidia-smi mig -dci -i 0", "nvidia-smi mig -dgi -i 0", "nvidia-smi -i 0 -mig 0",
                                     "nvidia-smi mig -dci -i 1", "nvidia-smi mig -dgi -i 1", "nvidia-smi -i 1 -mig 0",
                                     "nvidia-smi -r -i 1"));
  const json state = State();  // kept: a range-for over State()["gpus"] would walk a dead temporary
  for (const auto& gpu : state["gpus"]) EXPECT_EQ(gpu["current"], "Disabled");
}

TEST_F(GpuIntegration, ARunKilledMidwayIsCompletedByTheNext) {
  json gpu = MigGpu(0);
  gpu["cis"] = json::array();  // the killed run had destroyed the compute instances
  Given({{"gpus", {gpu}}});
  const auto outcome = Run();
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(Changes(), ElementsAre("nvidia-smi mig -dgi -i 0", "nvidia-smi -i 0 -mig 0"));
}

TEST_F(GpuIntegration, AHangingCallIsKilledAtTheDeadlineWithExit51) {
  Given({{"gpus", {MigGpu(0)}}, {"hang", {"mig -dci"}}});
  config.gpu.reset_timeout_seconds = 8;  // the reads before it take well under that
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = Run();
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-MIG-RESET-TIMEOUT");
  EXPECT_EQ(outcome.status.error().exit_code, 51);
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-smi mig -dci -i 0 was still running"));
  EXPECT_LT(took, std::chrono::seconds(20));  // 8 s, then SIGTERM ends the fake at once
}

TEST_F(GpuIntegration, AHangingReadIsBoundedByItsOwnLimit) {
  Given({{"gpus", {MigGpu(0)}}, {"hang", {"mig -lci"}}});
  GpuEnvironment environment;
  environment.read_timeout = std::chrono::seconds(3);
  const auto outcome = Run(std::move(environment));
  ASSERT_FALSE(outcome.status);
  EXPECT_EQ(outcome.status.error().code, "NB-GPU-MIG-RESET-FAILED");
  EXPECT_THAT(outcome.status.error().message, HasSubstr("nvidia-smi mig -lci -i 0: no answer within 3 s"));
}

TEST_F(GpuIntegration, DryRunPrintsWhatItWouldResetAndChangesNothing) {
  Given({{"gpus", {MigGpu(0)}}});
  const auto outcome = Run({}, /*dry_run=*/true);
  ASSERT_TRUE(outcome.status) << outcome.status.error().message;
  EXPECT_THAT(printed, ::testing::Contains(HasSubstr("gpu: GPU 0 (GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0, "
                                                     "00000000:36:00.0): MIG Enabled (pending Enabled)")));
  EXPECT_THAT(printed, ::testing::Contains("would run: nvidia-smi mig -dci -i 0"));
  EXPECT_THAT(printed, ::testing::Contains("would run: nvidia-smi -i 0 -mig 0"));
  EXPECT_THAT(Changes(), IsEmpty());
  EXPECT_EQ(State()["gpus"][0]["current"], "Enabled");
}

TEST_F(GpuIntegration, MigResetNeverHasNothingToDo) {
  config.gpu.mig_reset = config::MigReset::kNever;
  EXPECT_EQ(MakeGpuPhase()->NothingToDo(config), "gpu.migReset is never");
}

}  // namespace
}  // namespace nodeboot::gpu
