// The gpu phase's entries in the error catalog (packaging/errors.yaml): its codes with the exit
// codes of SPEC §2, and the events that explain a failure from a log line: the seeds' case (ACK:
// ebmgn7/ebmgn7e keep their MIG configuration, whose reset may take too long) and nvidia-smi's
// documented refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/gpu/mig_reset.h"
#include "agent/report/catalog.h"

namespace nodeboot::gpu {
namespace {

const report::Catalog& Builtin() {
  static const report::Catalog catalog = [] {
    auto parsed = report::Catalog::Parse(report::BuiltinCatalogText(), "built-in");
    if (!parsed) throw std::runtime_error(parsed.error().message);
    return std::move(*parsed);
  }();
  return catalog;
}

TEST(GpuCatalog, EveryCodeHasItsExitCode) {
  const std::map<std::string_view, int> expected = {{errors::kGpuMigResetFailed.code, 50},
                                                    {errors::kGpuInUse.code, 50},
                                                    {errors::kGpuRebootRequired.code, 50},
                                                    {errors::kGpuMigResetTimeout.code, 51}};
  for (const auto& [code, exit] : expected) {
    const report::CatalogEntry* entry = Builtin().Find(code);
    ASSERT_NE(entry, nullptr) << code;
    EXPECT_EQ(entry->exit_code, exit) << code;
    EXPECT_FALSE(entry->cause.empty());
    EXPECT_FALSE(entry->solution.empty());
  }
}

TEST(GpuCatalog, ClassifiesTheSeedsCaseAndNvidiaSmisRefusals) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"Instances of GPU-accelerated ECS Bare Metal Instance families ebmgn7 and ebmgn7e cannot "
       "automatically "
       "delete the Multi-Instance GPU (MIG) configuration.",
       "CLOUD-GPU-MIG-RETAINED"},
      {"cloud-init[812]: failed to reset the MIG configuration retained on the instance: timeout",
       "CLOUD-GPU-MIG-RETAINED"},
      {"cloud-init[812]: resetting MIG configuration timed out after 600s", "CLOUD-GPU-MIG-RETAINED"},
      {"nodeboot: info gpu: nvidia-smi stdout: Resetting GPU 00000000:00:03.0 is not supported.",
       "NVIDIA-GPU-RESET-NOT-SUPPORTED"},
      {"Warning: MIG mode is in pending enable state for GPU 00000000:00:03.0:Not Supported",
       "NVIDIA-GPU-RESET-NOT-SUPPORTED"},
      {"Unable to destroy GPU instance ID  5 from GPU  0: In use by another client", "NVIDIA-GPU-IN-USE"},
      {"Unable to reset GPU 00000000:18:00.0 because it's being used by some other process (e.g. "
       "CUDA application). "
       "Please first kill all processes using this GPU.",
       "NVIDIA-GPU-IN-USE"},
  };
  for (const auto& [line, code] : cases) {
    const report::CatalogEntry* entry = Builtin().Classify(line);
    ASSERT_NE(entry, nullptr) << line;
    EXPECT_EQ(entry->code, code) << line;
  }
}

TEST(GpuCatalog, ThePhasesOwnProgressLinesAreNotEvents) {
  for (const char* line : {
           "nodeboot: info gpu: GPU 0 (GPU-e86cb44c-6756-fd30-cd4a-1e6da3caf9b0, "
           "00000000:36:00.0): MIG Enabled "
           "(pending Enabled), 2 GPU instances, 2 compute instances, no compute process",
           "nodeboot: info gpu: destroy the 2 GPU instances of GPU 0: nvidia-smi mig -dgi -i 0",
           "nodeboot: info gpu: reset GPU 0 to apply its pending MIG disable: nvidia-smi -r -i 0",
           "nodeboot: info gpu: nvidia-smi stdout: Successfully destroyed GPU instance ID  1 from "
           "GPU  0",
           "nodeboot: info gpu: nvidia-smi stdout: GPU 00000000:36:00.0 was successfully reset.",
           "nodeboot: info gpu: MIG is disabled on every GPU and no GPU or compute instance is "
           "left",
           "nodeboot: error phase gpu: failed after 900012 ms: the MIG reset did not finish within "
           "gpu.resetTimeoutSeconds (900 s): nvidia-smi -r -i 0 was still running",
       }) {
    const report::CatalogEntry* entry = Builtin().Classify(line);
    EXPECT_EQ(entry, nullptr) << line << " -> " << entry->code;
  }
}

}  // namespace
}  // namespace nodeboot::gpu
